#!/usr/bin/env node
/**
 * The `phasegate` command: flags, releases, early access and metrics on a store from the shell.
 * Exit codes: 0 success, 1 error (one line on stderr), 2 bad usage.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ManualClock, systemClock, type Clock } from '../clock.js';
import { PhasegateError } from '../errors.js';
import { STRATEGIES } from '../flags/strategies/index.js';
import { createPhasegate } from '../phasegate.js';
import { Collections } from '../storage/store.js';
import { openStore, type CommandContext, type CommandSpec, type Options, type StoreAccess } from './context.js';
import { renderDashboardHtml } from './dashboard-html.js';
import { earlyAccessCommands } from './ea-commands.js';
import { flagCommands } from './flag-commands.js';
import { describeForeignError, describeSystemError, missingPackage } from './messages.js';
import { metricCommands } from './metric-commands.js';
import { gatherOverview } from './overview.js';
import { releaseCommands } from './release-commands.js';
import { segmentCommands } from './segment-commands.js';
import { renderStatus } from './status-screen.js';
import { audit, AUDIT_HELP } from './audit-command.js';
import { serve, SERVE_HELP } from './serve-command.js';
import { typegen, TYPEGEN_HELP } from './typegen-command.js';
import { HELP as GROUP_HELP, UsageError } from './usage.js';

const HELP: Readonly<Record<string, string>> = { ...GROUP_HELP, serve: SERVE_HELP, audit: AUDIT_HELP, typegen: TYPEGEN_HELP };

/** Options every command takes. */
const GLOBAL = ['store', 'redis', 'postgres', 'json', 'at', 'help', 'version'];

const OPTIONS = {
  store: { type: 'string' },
  redis: { type: 'string' },
  postgres: { type: 'string' },
  json: { type: 'boolean' },
  at: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  state: { type: 'string' },
  description: { type: 'string' },
  // Strategy options (--percentage, --users, …) come from the strategy registry.
  ...Object.fromEntries(STRATEGIES.flatMap((definition) => definition.cli.options.map((option) => [option.name, { type: 'string' } as const]))),
  salt: { type: 'string' },
  'access-level': { type: 'string' },
  'users-on': { type: 'string' },
  user: { type: 'string' },
  ring: { type: 'string' },
  type: { type: 'string' },
  features: { type: 'string' },
  fixes: { type: 'string' },
  breaking: { type: 'string' },
  by: { type: 'string' },
  reason: { type: 'string' },
  email: { type: 'string' },
  level: { type: 'string' },
  rating: { type: 'string' },
  text: { type: 'string' },
  cap: { type: 'string' },
  rollout: { type: 'string' },
  enable: { type: 'boolean' },
  disable: { type: 'boolean' },
  release: { type: 'string' },
  feature: { type: 'string' },
  'window-hours': { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
  // Targeting: rules, segments and evaluation attributes.
  id: { type: 'string' },
  when: { type: 'string', multiple: true },
  segment: { type: 'string' },
  serve: { type: 'string' },
  position: { type: 'string' },
  attr: { type: 'string', multiple: true },
  'bucket-by': { type: 'string' },
  requires: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  'allow-actions': { type: 'boolean' },
  key: { type: 'string' },
  actor: { type: 'string' },
  since: { type: 'string' },
  limit: { type: 'string' },
  // Variants: --type (shared with releases), --variant NAME=VALUE, --target NAME=USERS.
  variant: { type: 'string', multiple: true },
  'off-variant': { type: 'string' },
  fallthrough: { type: 'string' },
  target: { type: 'string', multiple: true },
} as const;

const GROUPS: Readonly<Record<string, Readonly<Record<string, CommandSpec>>>> = {
  flag: flagCommands,
  release: releaseCommands,
  ea: earlyAccessCommands,
  metric: metricCommands,
  segment: segmentCommands,
};

const TOP_LEVEL: Readonly<Record<string, CommandSpec>> = {
  serve: { run: serve, options: ['port', 'host', 'allow-actions', 'by'] },
  audit: { run: audit, options: ['key', 'actor', 'since', 'limit'] },
  typegen: {
    run: typegen,
    options: ['out'],
    check: (options) => {
      if (typeof options.out !== 'string' || options.out === '') throw new UsageError('--out FILE.d.ts is required', 'typegen');
    },
  },
  status: {
    run: async ({ gate, out }) => {
      const overview = await gatherOverview(gate);
      out(renderStatus(overview), overview);
    },
  },
  dashboard: {
    options: ['out'],
    check: (options) => {
      if (typeof options.out !== 'string' || options.out === '') throw new UsageError('--out FILE.html is required', 'dashboard');
    },
    run: async ({ gate, options, out }) => {
      const target = options.out;
      if (typeof target !== 'string' || target === '') throw new UsageError('--out FILE.html is required', 'dashboard');
      const path = resolve(target);
      const html = renderDashboardHtml(await gatherOverview(gate));
      try {
        await writeFile(path, html);
      } catch (error) {
        const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? `the folder ${dirname(path)} does not exist` : describeSystemError(error);
        throw new PhasegateError('STORE', `Cannot write the dashboard to ${path}: ${reason}`, { cause: error });
      }
      out(`dashboard written to ${path}`, { path });
    },
  },
};

/** The package's version, from the package.json two folders up (from src/cli or dist/cli). */
function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

function clockFrom(options: Options): Clock {
  if (typeof options.at !== 'string') return systemClock;
  const at = Date.parse(options.at);
  if (Number.isNaN(at)) throw new UsageError(`--at must be an ISO date such as 2026-03-01T12:00:00Z, got '${options.at}'`);
  return new ManualClock(at);
}

const NEGATIVE_NUMBER = /^-(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const PLACEHOLDER = '\u0000negative:';

/**
 * `parseArgs` reads `-5` as an option: attach a negative number to the string option before it
 * (`--percentage -5` → `--percentage=-5`) and keep any other one as a positional, so the domain
 * gets to say what is wrong with the value.
 */
function protectNegativeNumbers(argv: readonly string[]): string[] {
  const result: string[] = [];
  for (const value of argv) {
    const previous = result.at(-1);
    if (NEGATIVE_NUMBER.test(value)) {
      const name = previous?.startsWith('--') && !previous.includes('=') ? previous.slice(2) : undefined;
      const option = name === undefined ? undefined : (OPTIONS as Record<string, { type: string }>)[name];
      if (option?.type === 'string') result[result.length - 1] = `${previous}=${value}`;
      else result.push(`${PLACEHOLDER}${value}`);
    } else {
      result.push(value);
    }
  }
  return result;
}

function parse(argv: readonly string[]): { options: Options; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: protectNegativeNumbers(argv), options: OPTIONS, allowPositionals: true, strict: true });
    return {
      options: parsed.values as Options,
      positionals: parsed.positionals.map((value) => (value.startsWith(PLACEHOLDER) ? value.slice(PLACEHOLDER.length) : value)),
    };
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0]!.replace(/\. To specify.*$/, ''));
  }
}

/** Finds the command the positionals name: `status`, `flag create`, `ea feature create`, … */
function resolveCommand(positionals: readonly string[], help: boolean): { spec: CommandSpec; args: string[]; group: string; name: string } | { help: string; code: number } {
  const [first, second, third, ...rest] = positionals;
  if (first === undefined) return { help: HELP.main!, code: help ? 0 : 2 };
  if (first === 'help') return { help: HELP[second ?? 'main'] ?? HELP.main!, code: 0 };
  const top = TOP_LEVEL[first];
  if (top) {
    if (help) return { help: HELP[first]!, code: 0 };
    return { spec: top, args: positionals.slice(1), group: first, name: first };
  }
  const commands = GROUPS[first];
  if (!commands) throw new UsageError(`unknown command '${first}'`);
  if (help || second === undefined) return { help: HELP[first]!, code: help ? 0 : 2 };
  const nested = third !== undefined ? commands[`${second} ${third}`] : undefined;
  if (nested) return { spec: nested, args: rest, group: first, name: `${second} ${third}` };
  const found = commands[second];
  if (!found) {
    const subcommands = Object.keys(commands).filter((key) => key.startsWith(`${second} `));
    if (subcommands.length > 0) {
      throw new UsageError(
        `${third === undefined ? `${first} ${second} needs one of` : `unknown ${first} ${second} command '${third}'; use one of`} ${subcommands.map((key) => key.split(' ')[1]).join(', ')}`,
        first,
      );
    }
    throw new UsageError(`unknown ${first} command '${second}'`, first);
  }
  return { spec: found, args: positionals.slice(2), group: first, name: second };
}

/** Rejects options the command does not take and extra positional arguments. */
function checkUsage(spec: CommandSpec, options: Options, args: readonly string[], group: string, name: string): void {
  const allowed = new Set([...GLOBAL, ...(spec.options ?? [])]);
  const unknown = Object.keys(options).filter((option) => !allowed.has(option));
  if (unknown.length > 0) {
    const takes = spec.options?.length ? `; it takes ${spec.options.map((option) => `--${option}`).join(', ')}` : '';
    throw new UsageError(`'${group === name ? name : `${group} ${name}`}' does not take ${unknown.map((option) => `--${option}`).join(', ')}${takes}`, group);
  }
  const names = spec.positionals ?? [];
  const limit = names.length + (spec.optionalPositionals?.length ?? 0);
  if (args.length > limit) throw new UsageError(`unexpected argument '${args[limit]}'`, group);
  const missing = names.slice(args.length);
  if (missing.length > 0) throw new UsageError(`missing ${missing.join(' and ')}`, group);
  for (const option of spec.required ?? []) {
    if (typeof options[option] !== 'string' || options[option] === '') throw new UsageError(`--${option} is required`, group);
  }
  spec.check?.(options);
}

/** A stable code for an error, for `--json` output. */
function codeOf(error: unknown): string {
  if (error instanceof PhasegateError) return error.code;
  if (missingPackage(error)) return 'MISSING_PACKAGE';
  return 'INTERNAL';
}

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function run(argv: readonly string[]): Promise<number> {
  let group: string | undefined;
  const json = argv.includes('--json');
  const fail = (code: string, message: string, exitCode: number, hint = ''): number => {
    process.stderr.write(json ? `${JSON.stringify({ error: { code, message, exitCode } })}\n` : `phasegate: ${message}${hint}\n`);
    return exitCode;
  };
  try {
    const { options, positionals } = parse(argv);
    if (options.version) {
      process.stdout.write(options.json ? `${JSON.stringify({ version: version() })}\n` : `${version()}\n`);
      return 0;
    }
    const [first] = positionals;
    group = first;
    if (first === 'init') {
      checkUsage({ run: async () => {} }, options, positionals.slice(1), 'init', 'init');
      if (options.help) {
        process.stdout.write(`${HELP.init}\n`);
        return 0;
      }
      const opened = await openStore(options, 'create');
      // One read makes a lazily created store (the SQLite database) exist now.
      await opened.store.count(Collections.flags).finally(() => opened.store.close());
      const message = (await opened.finish(true)) ?? `the store at ${opened.store.name} is ready`;
      process.stdout.write(options.json ? `${JSON.stringify({ store: opened.store.name, message })}\n` : `${message}\n`);
      return 0;
    }
    const resolved = resolveCommand(positionals, options.help === true);
    if ('help' in resolved) {
      process.stdout.write(`${resolved.help}\n`);
      return resolved.code;
    }
    const { spec, args } = resolved;
    checkUsage(spec, options, args, resolved.group, resolved.name);
    const clock = clockFrom(options);
    const access: StoreAccess = spec.writes ? 'write' : 'read';
    // The console follows changes made by other processes; one-shot commands need no watcher.
    const opened = await openStore(options, access, spec.run === serve);
    let succeeded = false;
    try {
      // Every write this command makes is audited as --by (or `cli`).
      const actor = typeof options.by === 'string' && options.by !== '' ? options.by : 'cli';
      // Webhook notifications are signed with this secret ('release tick' delivers them).
      const webhookSecret = process.env.PHASEGATE_WEBHOOK_SECRET;
      const gate = await createPhasegate({ store: opened.store, clock, actor, ...(webhookSecret ? { analytics: { webhookSecret } } : {}) }).catch(async (error: unknown) => {
        await opened.store.close().catch(() => {});
        throw error;
      });
      const context: CommandContext = {
        gate,
        args,
        options,
        out: (human, value) => process.stdout.write(`${options.json ? JSON.stringify(value, null, 2) : human}\n`),
      };
      try {
        await spec.run(context);
        succeeded = true;
      } finally {
        await gate.close();
      }
    } finally {
      const notice = await opened.finish(succeeded);
      if (notice) process.stderr.write(options.json ? `${JSON.stringify({ notice: { code: 'STORE_CREATED', message: notice } })}\n` : `phasegate: ${notice}\n`);
    }
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      const where = error.command ?? group;
      return fail('USAGE', error.message, 2, ` (see 'phasegate ${where && HELP[where] ? `${where} ` : ''}--help')`);
    }
    const message = error instanceof PhasegateError ? error.message.replace(/\s*\n\s*/g, ' ') : describeForeignError(error);
    const code = fail(codeOf(error), message, 1);
    if (process.env.PHASEGATE_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return code;
  }
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`phasegate: ${describeForeignError(error)}\n`);
    process.exitCode = 1;
  },
);
