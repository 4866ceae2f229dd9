import { readdir, rm, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { StoreError } from '../errors.js';
import { makeDirectories } from '../storage/directories.js';
import type { Phasegate } from '../phasegate.js';
import { Collections, type Store } from '../storage/store.js';
import { describeSystemError, missingPackage } from './messages.js';
import { UsageError } from './usage.js';

/** Parsed option values (strings, booleans, or lists for repeatable options, as `parseArgs` gives them). */
export type Options = Readonly<Record<string, string | boolean | string[] | undefined>>;

/** What every command gets. */
export interface CommandContext {
  readonly gate: Phasegate;
  readonly args: readonly string[];
  readonly options: Options;
  /** Prints human output, or the value as JSON with `--json`. */
  readonly out: (human: string, json: unknown) => void;
}

/** A command: does its work and reports through `out`. */
export type Command = (context: CommandContext) => Promise<void>;

/**
 * A command and what it accepts. The CLI rejects any option a command does not list (besides the
 * global ones), so `flag list --cap 3` is a usage error rather than a silently ignored option.
 */
export interface CommandSpec {
  readonly run: Command;
  /** Options this command takes, besides the global `--store`, `--json`, `--at` and friends. */
  readonly options?: readonly string[];
  /** Names of the positional arguments it needs, in order (`['KEY']`); no more are accepted. */
  readonly positionals?: readonly string[];
  /** Positional arguments it may take after those (`['ID']`), not required. */
  readonly optionalPositionals?: readonly string[];
  /** Options it cannot do without: checked, like everything here, before the store is opened. */
  readonly required?: readonly string[];
  /** Further checks of the arguments alone (throw a {@link UsageError}), before the store is opened. */
  readonly check?: (options: Options) => void;
  /**
   * Whether it writes to the store. Only a write may create a missing store directory (and says
   * so); a read of a directory that does not exist is an error naming it, so a mistyped
   * `--store` is never mistaken for an empty store.
   */
  readonly writes?: boolean;
}

/** The positional argument at `index`, or a usage error naming it. */
export function arg(context: CommandContext, index: number, name: string, group: string): string {
  const value = context.args[index];
  if (value === undefined || value === '') throw new UsageError(`missing ${name}`, group);
  return value;
}

/** A string option, if given. */
export function text(options: Options, name: string): string | undefined {
  const value = options[name];
  return typeof value === 'string' ? value : undefined;
}

/** A required string option. */
export function required(options: Options, name: string, group: string): string {
  const value = text(options, name);
  if (value === undefined || value === '') throw new UsageError(`--${name} is required`, group);
  return value;
}

/** A number option, checked to be a finite number (the domain validates ranges). */
export function numeric(options: Options, name: string, group: string): number | undefined {
  const value = text(options, name);
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) throw new UsageError(`--${name} must be a number, got '${value}'`, group);
  return parsed;
}

/** A comma-separated list option. */
export function list(options: Options, name: string): string[] | undefined {
  const value = text(options, name);
  return value === undefined ? undefined : value.split(',').map((part) => part.trim()).filter(Boolean);
}

/** An ISO date option as epoch ms. */
export function instant(options: Options, name: string, group: string): number | undefined {
  const value = text(options, name);
  if (value === undefined) return undefined;
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed)) throw new UsageError(`--${name} must be an ISO date such as 2026-03-01T00:00:00Z, got '${value}'`, group);
  return parsed;
}

/** `--by`, or `cli`. */
export function actor(options: Options): { by: string } {
  return { by: text(options, 'by') ?? 'cli' };
}

/** How a command uses its store. */
export type StoreAccess = 'read' | 'write' | 'create';

/** A store opened for one CLI run. */
export interface OpenedStore {
  readonly store: Store;
  /**
   * Called once the command has finished (`succeeded` says how). Returns a sentence for stderr
   * when this run created the store, and removes a directory it created for a write that failed
   * before storing anything.
   */
  readonly finish: (succeeded: boolean) => Promise<string | undefined>;
}

/** Whether the embedded store in `directory` is empty (no file at all, or no record in any collection). */
async function holdsNoRecords(directory: string): Promise<boolean> {
  if ((await readdir(directory).catch(() => ['?'])).length === 0) return true;
  const { openEmbeddedStore } = await import('../sqlite/index.js');
  const store = await openEmbeddedStore(directory, { watch: false });
  try {
    for (const collection of Object.values(Collections)) if ((await store.count(collection)) > 0) return false;
    return true;
  } catch {
    return false;
  } finally {
    await store.close().catch(() => {});
  }
}

/** The FileStore directory the options name: `--store`, then `PHASEGATE_STORE`, then `./.phasegate`. */
export function storeDirectory(options: Options): string {
  return typeof options.store === 'string' ? options.store : process.env.PHASEGATE_STORE || './.phasegate';
}

/** A connection string with its password hidden, for messages. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

async function importPeer<T>(load: () => Promise<T>, option: string, peer: string): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (missingPackage(error) === peer) {
      throw new StoreError(`--${option} needs the '${peer}' package, which is not installed: run 'npm install ${peer}'`, { cause: error });
    }
    throw error;
  }
}

/**
 * Opens the store the options name, for `access`. The one place the CLI chooses and opens a store.
 *
 * - `--redis URL` / `--postgres URL`: a shared store; the server is checked up front so an
 *   unreachable server is one sentence naming it (PostgreSQL also gets its migration).
 * - otherwise a FileStore directory. `read`: the directory must exist. `write`: a missing
 *   directory is created, and `finish` says so (or removes it again if the command failed before
 *   storing anything). `create` (`phasegate init`): created now if missing.
 */
export async function openStore(options: Options, access: StoreAccess, watch = false): Promise<OpenedStore> {
  const chosen = ['store', 'redis', 'postgres'].filter((name) => typeof options[name] === 'string');
  if (chosen.length > 1) throw new UsageError('choose one of --store, --redis and --postgres');
  if (typeof options.redis === 'string') {
    const url = options.redis;
    const { RedisStore } = await importPeer(() => import('../redis/index.js'), 'redis', 'ioredis');
    const store = new RedisStore({ url });
    let lastProblem: Error | undefined;
    const unsubscribe = store.subscribe((event) => {
      if (event.type === 'status' && !event.available && event.error) lastProblem = event.error;
    });
    try {
      await store.count('flags');
    } catch (error) {
      await store.close().catch(() => {});
      throw new StoreError(`Cannot reach Redis at ${redact(url)}: ${describeSystemError(lastProblem ?? error)}. Is the server running and the URL right?`, { cause: error });
    } finally {
      unsubscribe();
    }
    return { store, finish: async () => undefined };
  }
  if (typeof options.postgres === 'string') {
    const url = options.postgres;
    const { PostgresStore } = await importPeer(() => import('../postgres/index.js'), 'postgres', 'pg');
    const store = new PostgresStore({ connectionString: url });
    try {
      await store.migrate();
    } catch (error) {
      await store.close().catch(() => {});
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
      throw new StoreError(`Cannot use PostgreSQL at ${redact(url)}: ${describeSystemError(cause)}. Is the server running and the URL right?`, { cause: error });
    }
    return { store, finish: async () => undefined };
  }
  const given = storeDirectory(options);
  const directory = resolve(given);
  const shown = given === directory ? directory : `${given} (${directory})`;
  const existing = await stat(directory).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new StoreError(`Cannot open the store directory ${shown}: ${describeSystemError(error)}`, { cause: error });
  });
  if (existing && !existing.isDirectory()) throw new StoreError(`The store ${shown} is a file, not a store directory`);
  let created: string | undefined;
  if (!existing) {
    if (access === 'read') {
      throw new StoreError(
        `No store at ${shown}: the directory does not exist. Check --store or PHASEGATE_STORE, or create the store with 'phasegate init --store ${given}' (or any write command).`,
      );
    }
    try {
      created = (await makeDirectories(directory, 0o700)) ?? directory;
    } catch (error) {
      throw new StoreError(`Cannot create the store directory ${shown}: ${describeSystemError(error)}`, { cause: error });
    }
  }
  // SQLite when better-sqlite3 is installed (a directory already holding FileStore data stays a FileStore).
  const { openEmbeddedStore } = await import('../sqlite/index.js');
  const store = await openEmbeddedStore(directory, { watch });
  return {
    store,
    finish: async (succeeded) => {
      if (!created) return access === 'create' ? `a store already exists in ${directory}` : undefined;
      if (!succeeded && access === 'write' && (await holdsNoRecords(directory))) {
        // This run created the directory and the command failed before storing anything.
        await rm(created, { recursive: true, force: true });
        return undefined;
      }
      return `created a new store in ${directory}`;
    },
  };
}
