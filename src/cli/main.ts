#!/usr/bin/env node
/**
 * The `phasegate` command: flags, releases, early access and metrics on a store from the shell.
 * Exit codes: 0 success, 1 error (one line on stderr), 2 bad usage.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ManualClock, systemClock, type Clock } from '../clock.js';
import { PhasegateError } from '../errors.js';
import { STRATEGIES } from '../flags/strategies/index.js';
import { createPhasegate } from '../phasegate.js';
import type { Store } from '../storage/store.js';
import type { Command, CommandContext, Options } from './context.js';
import { renderDashboardHtml } from './dashboard-html.js';
import { earlyAccessCommands } from './ea-commands.js';
import { flagCommands } from './flag-commands.js';
import { metricCommands } from './metric-commands.js';
import { gatherOverview } from './overview.js';
import { releaseCommands } from './release-commands.js';
import { renderStatus } from './status-screen.js';
import { HELP, UsageError } from './usage.js';

const OPTIONS = {
  store: { type: 'string' },
  redis: { type: 'string' },
  postgres: { type: 'string' },
  json: { type: 'boolean' },
  at: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
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
} as const;

const GROUPS: Readonly<Record<string, Readonly<Record<string, Command>>>> = {
  flag: flagCommands,
  release: releaseCommands,
  ea: earlyAccessCommands,
  metric: metricCommands,
};

const status: Command = async ({ gate, out }) => {
  const overview = await gatherOverview(gate);
  out(renderStatus(overview), overview);
};

const dashboard: Command = async ({ gate, options, out }) => {
  const target = options.out;
  if (typeof target !== 'string' || target === '') throw new UsageError('--out FILE.html is required', 'dashboard');
  const path = resolve(target);
  await writeFile(path, renderDashboardHtml(await gatherOverview(gate)));
  out(`dashboard written to ${path}`, { path });
};

async function openStore(options: Options): Promise<Store> {
  const chosen = ['store', 'redis', 'postgres'].filter((name) => typeof options[name] === 'string');
  if (chosen.length > 1) throw new UsageError('choose one of --store, --redis and --postgres');
  if (typeof options.redis === 'string') {
    const { RedisStore } = await import('../redis/index.js');
    return new RedisStore({ url: options.redis });
  }
  if (typeof options.postgres === 'string') {
    const { PostgresStore } = await import('../postgres/index.js');
    const store = new PostgresStore({ connectionString: options.postgres });
    await store.migrate();
    return store;
  }
  const directory = typeof options.store === 'string' ? options.store : process.env.PHASEGATE_STORE || './.phasegate';
  // SQLite when better-sqlite3 is installed (a directory already holding FileStore data stays a FileStore).
  const { openEmbeddedStore } = await import('../sqlite/index.js');
  return openEmbeddedStore(directory, { watch: false });
}

function clockFrom(options: Options): Clock {
  if (typeof options.at !== 'string') return systemClock;
  const at = Date.parse(options.at);
  if (Number.isNaN(at)) throw new UsageError(`--at must be an ISO date such as 2026-03-01T12:00:00Z, got '${options.at}'`);
  return new ManualClock(at);
}

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function run(argv: readonly string[]): Promise<number> {
  let group: string | undefined;
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
    } catch (error) {
      throw new UsageError((error as Error).message.split('\n')[0]!.replace(/\. To specify.*$/, ''));
    }
    const options = parsed.values as Options;
    const [first, second, ...rest] = parsed.positionals;
    group = first;
    if (!first) {
      process.stdout.write(`${HELP.main}\n`);
      return options.help ? 0 : 2;
    }
    if (first === 'help') {
      process.stdout.write(`${HELP[second ?? 'main'] ?? HELP.main}\n`);
      return 0;
    }
    let command: Command;
    let args: string[];
    if (first === 'status' || first === 'dashboard') {
      if (options.help) {
        process.stdout.write(`${HELP[first]}\n`);
        return 0;
      }
      command = first === 'status' ? status : dashboard;
      args = [second, ...rest].filter((a): a is string => a !== undefined);
    } else {
      const commands = GROUPS[first];
      if (!commands) throw new UsageError(`unknown command '${first}'`);
      if (options.help || second === undefined) {
        process.stdout.write(`${HELP[first]}\n`);
        return options.help ? 0 : 2;
      }
      const found = commands[second];
      if (!found) throw new UsageError(`unknown ${first} command '${second}'`, first);
      command = found;
      args = rest;
    }
    const clock = clockFrom(options);
    const store = await openStore(options);
    let gate;
    try {
      const webhookSecret = process.env.PHASEGATE_WEBHOOK_SECRET;
      gate = await createPhasegate({ store, clock, ...(webhookSecret ? { analytics: { webhookSecret } } : {}) });
    } catch (error) {
      await store.close().catch(() => {});
      throw error;
    }
    const context: CommandContext = {
      gate,
      args,
      options,
      out: (human, json) => process.stdout.write(`${options.json ? JSON.stringify(json, null, 2) : human}\n`),
    };
    try {
      await command(context);
    } finally {
      await gate.close();
    }
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      const where = error.command ?? group;
      process.stderr.write(`phasegate: ${error.message} (see 'phasegate ${where && HELP[where] ? `${where} ` : ''}--help')\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`phasegate: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    if (process.env.PHASEGATE_DEBUG && error instanceof Error && !(error instanceof PhasegateError)) process.stderr.write(`${error.stack}\n`);
    return 1;
  }
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`phasegate: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
