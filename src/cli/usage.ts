import { STRATEGIES } from '../flags/strategies/index.js';
/** A mistake in how the CLI was called: exit code 2. */
export class UsageError extends Error {
  readonly command: string | undefined;

  constructor(message: string, command?: string) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}

// Derived from the strategy registry: a new strategy documents its own options.
const strategyOptionHelp = STRATEGIES.map(
  (definition) => `  ${definition.cli.options.map((option) => `--${option.name} ${option.placeholder}`).join(' ').padEnd(37)}${definition.cli.help}`,
).join('\n');

/** Help text per command group. */
export const HELP: Readonly<Record<string, string>> = {
  main: `phasegate — phased rollouts from the command line

Usage: phasegate <command> [options]

Commands:
  init       create the store (a directory by default); any write command also creates it
  flag       create | list | show | set | delete | eval | rule
  segment    create | list | show | delete
  release    plan | start | advance | hold | resume | tick | complete | rollback | status | list
  ea         enroll | approve | activate | suspend | reinstate | graduate | feedback | feature | stats | user
  metric     record | stats | health | report
  status     a one-screen dashboard of flags, releases, early access and alerts
  dashboard  write a self-contained HTML dashboard (--out FILE.html)
  serve      the live rollout console on this machine (--port, --host)
  audit      the audit log: who changed what, when and why
  typegen    write the flags' key and value types for TypeScript (--out FILE.d.ts)

Store (default ./.phasegate):
  --store DIR        an embedded store directory: SQLite, or FileStore (or PHASEGATE_STORE);
                     reading one that does not exist is an error, the first write
                     creates it and says so
  --redis URL        a shared Redis store (needs ioredis)
  --postgres URL     a shared PostgreSQL store (needs pg)

Global options:
  --json             machine-readable output
  --at ISO-TIME      act as if the time were this (simulations, tests)
  --help             help for any command
  --version          the installed phasegate version

Environment:
  PHASEGATE_WEBHOOK_SECRET  signs webhook notifications; 'release tick' sends them only with it

Exit codes: 0 success, 1 error (one line on stderr), 2 bad usage.
With --json, errors are one JSON line on stderr: {"error":{"code","message","exitCode"}}.`,
  init: `Usage:
  phasegate init [--store DIR | --redis URL | --postgres URL]

Creates the store: the directory (mode 0700), or the PostgreSQL schema. Running it on an
existing store changes nothing. Write commands also create a missing directory and say so on
stderr; read commands (list, show, status, …) refuse a directory that does not exist.`,
  flag: `Usage:
  phasegate flag create KEY [--state S] [--description TEXT] [strategy options] [--salt S] [--access-level L] [--users-on a,b]
  phasegate flag list
  phasegate flag show KEY
  phasegate flag set KEY [--state S] [--description TEXT] [strategy options] [--users-on a,b]
  phasegate flag delete KEY
  phasegate flag eval KEY [--user ID] [--ring R] [--access-level L] [--attr KEY=VALUE ...]
  phasegate flag create|set KEY … [--bucket-by ATTR] [--requires FLAG[:off],…]
  phasegate flag create|set KEY … --type string|number|json|boolean --variant NAME=VALUE [--variant …]
                                  [--off-variant NAME] [--fallthrough NAME | NAME=P,NAME=P] [--target NAME=ID,ID ...]
  phasegate flag rule list KEY
  phasegate flag rule add KEY --id ID [--when 'ATTR [not] OP[/i] V1,V2' ...] [--segment a,b] --serve on|off|P%|NAME|NAME=P,NAME=P [--position N]
  phasegate flag rule remove KEY ID

States: enabled, disabled (the default), rollout, beta, deprecated. The strategy decides only in
rollout and beta; enabled is on for everyone, disabled and deprecated off for everyone.
eval --user ID evaluates with the context the library builds for that user (an early-access
member's level and features); --ring and --access-level override parts of it.
Variants (see docs/variants.md): values are read as --type says (text, numbers, true/false,
JSON); a split gives each variant a percentage, adding up to 100; the off variant and the
fallthrough default to the first variant.
Strategy options (one of):
${strategyOptionHelp}`,
  segment: `Usage:
  phasegate segment create KEY --when 'ATTR [not] OP[/i] V1,V2' [--when ...] [--description TEXT]
  phasegate segment list
  phasegate segment show KEY
  phasegate segment delete KEY

A context is in a segment when every condition holds. Operators: IN, NOT_IN, STR_STARTS_WITH,
STR_ENDS_WITH, STR_CONTAINS, NUM_EQ, NUM_GT, NUM_GTE, NUM_LT, NUM_LTE, DATE_AFTER, DATE_BEFORE,
SEMVER_EQ, SEMVER_GT, SEMVER_LT, REGEX, IN_CIDR. 'not' negates; '/i' ignores case.`,
  release: `Usage:
  phasegate release plan VERSION --type T [--features a,b] [--fixes "x;y"] [--breaking "x;y"] [--description TEXT]
  phasegate release start|advance|resume|complete VERSION [--by NAME]
  phasegate release hold VERSION --reason TEXT [--by NAME]
  phasegate release rollback VERSION --reason TEXT [--by NAME]
  phasegate release tick
  phasegate release status VERSION
  phasegate release list

Types: major, minor, patch, hotfix, beta, alpha`,
  ea: `Usage:
  phasegate ea enroll --user ID --email EMAIL [--level L]
  phasegate ea approve|activate|reinstate|graduate USER [--by NAME]
  phasegate ea suspend USER --reason TEXT [--by NAME]
  phasegate ea feedback USER FEATURE [--rating 1-5] [--text TEXT]
  phasegate ea feature create KEY --level L [--cap N] [--rollout P] [--description TEXT]
  phasegate ea feature update KEY [--level L] [--cap N] [--rollout P] [--enable | --disable]
  phasegate ea feature list
  phasegate ea stats
  phasegate ea user USER

Levels: alpha, beta, preview, stable (alpha members get beta and preview features too)`,
  metric: `Usage:
  phasegate metric record NAME VALUE [--release VERSION] [--feature KEY]
  phasegate metric stats NAME [--release VERSION] [--feature KEY] [--window-hours H]
  phasegate metric health VERSION
  phasegate metric report [--format json|prometheus] [--window-hours H]`,
  status: `Usage:
  phasegate status

One screen: flags by state, releases in flight with phase, exposure and health,
early-access numbers, and open alerts.`,
  dashboard: `Usage:
  phasegate dashboard --out FILE.html

Writes a self-contained HTML page (no external assets) with charts: each release's exposure
over time against its plan, each metric against its threshold with alerts marked, and the
early-access funnel by status and level.`,
};
