import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { StoreError, type StoreEvent } from '../../src/index.js';
import { SqliteStore, openEmbeddedStore, sqliteIsAvailable } from '../../src/sqlite/index.js';
import { FileStore } from '../../src/storage/file-store.js';
import { runStorageConformance } from '../../src/testing/index.js';
import { followsThroughNotification } from './outage.js';
import { hammerFromProcesses, raceFromProcesses } from './shared-state.js';

const scratch = mkdtempSync(join(tmpdir(), 'phasegate-sqlite-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let counter = 0;
const freshPath = () => join(scratch, `store-${++counter}`, 'phasegate.db');

const shared = freshPath();
runStorageConformance(() => new SqliteStore(shared), {
  name: 'SqliteStore conformance',
  shared: true,
  corruptVersion: async (store, collection, key, version) =>
    tamper((store as SqliteStore).path, 'UPDATE records SET version = ? WHERE collection = ? AND key = ?', version, collection, key),
  test: { describe, it, expect, afterEach },
});

/** Writes a row behind the store's back, as damage or a hand edit would. */
function tamper(path: string, sql: string, ...parameters: unknown[]): void {
  const db = new Database(path);
  try {
    db.prepare(sql).run(...parameters);
  } finally {
    db.close();
  }
}

describe('SqliteStore on disk', () => {
  it('is available here (better-sqlite3 is a devDependency)', async () => {
    expect(await sqliteIsAvailable()).toBe(true);
  });

  it('creates the directory 0700 and the database, -wal and -shm files 0600', async () => {
    const path = freshPath();
    const store = new SqliteStore(path);
    try {
      await store.put('flags', 'a', { x: 1 }, 0);
      expect(statSync(join(path, '..')).mode & 0o777).toBe(0o700);
      for (const file of [path, `${path}-wal`, `${path}-shm`]) expect(statSync(file).mode & 0o777, file).toBe(0o600);
      const db = new Database(path, { readonly: true });
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      db.close();
    } finally {
      await store.close();
    }
  });

  it.each([
    ['1e308', 1e308],
    ['2^53', 2 ** 53],
    ['2^63-1', 9223372036854775807n],
    ['0', 0],
    ['a string', 'two'],
  ])('a stored version of %s is reported as corrupt, naming the record', async (_, version) => {
    const path = freshPath();
    const store = new SqliteStore(path);
    try {
      await store.put('flags', 'fine', 1, 0);
      await store.put('flags', 'broken', 1, 0);
      tamper(path, `UPDATE records SET version = ? WHERE key = 'broken'`, version);
      const message = /record flags\/broken is corrupt: its version .* is not a whole number from 1 to 2\^53-1/;
      await expect(store.get('flags', 'broken')).rejects.toThrow(message);
      await expect(store.list('flags')).rejects.toThrow(message);
      await expect(store.put('flags', 'broken', 2, 1)).rejects.toThrow(StoreError);
      await expect(store.delete('flags', 'broken')).rejects.toThrow(message);
      expect(await store.get('flags', 'fine')).toEqual({ key: 'fine', version: 1, value: 1 });
    } finally {
      await store.close();
    }
  });

  it('a value that is not JSON is reported as corrupt, naming the record', async () => {
    const path = freshPath();
    const store = new SqliteStore(path);
    try {
      await store.put('flags', 'broken', { ok: true }, 0);
      tamper(path, `UPDATE records SET value = '{ oops' WHERE key = 'broken'`);
      await expect(store.get('flags', 'broken')).rejects.toThrow(/record flags\/broken is corrupt: .*JSON/);
    } finally {
      await store.close();
    }
  });

  it('refuses a write that would take a version past 2^53-1', async () => {
    const path = freshPath();
    const store = new SqliteStore(path);
    try {
      await store.put('flags', 'a', 1, 0);
      tamper(path, `UPDATE records SET version = ? WHERE key = 'a'`, Number.MAX_SAFE_INTEGER);
      await expect(store.put('flags', 'a', 2, Number.MAX_SAFE_INTEGER)).rejects.toThrow(/version 9007199254740991 cannot grow any further/);
      expect(await store.get('flags', 'a')).toEqual({ key: 'a', version: Number.MAX_SAFE_INTEGER, value: 1 });
    } finally {
      await store.close();
    }
  });

  it('keeps the change log bounded, and a process that fell behind it reloads instead of missing changes', async () => {
    const path = freshPath();
    const writer = new SqliteStore(path, { changeLogLimit: 100 });
    const reader = new SqliteStore(path, { pollIntervalMs: 60_000 });
    const events: StoreEvent[] = [];
    try {
      await writer.put('flags', 'seed', 0, 0);
      reader.subscribe((event) => events.push(event));
      await reader.subscribed();
      for (let i = 1; i <= 300; i++) await writer.put('flags', 'seed', i, i);
      const db = new Database(path, { readonly: true });
      expect((db.prepare('SELECT count(*) AS n FROM changes').get() as { n: number }).n).toBeLessThanOrEqual(100);
      db.close();
      // The reader's next look finds the log moved past it: an outage and a recovery, so its client reloads.
      (reader as unknown as { poll(): void }).poll();
      expect(events.filter((event) => event.type === 'status').map((event) => (event as { available: boolean }).available)).toEqual([false, true]);
    } finally {
      await Promise.all([writer.close(), reader.close()]);
    }
  });

  it('loses no update when several processes hammer one flag', async () => {
    const path = freshPath();
    const store = new SqliteStore(path);
    try {
      await hammerFromProcesses(store, 'sqlite', path, { durationMs: 3000 });
    } finally {
      await store.close();
    }
  });

  it('8 processes racing compare-and-set on version 1: exactly one winner per record, 100 rounds', async () => {
    const path = freshPath();
    const store = new SqliteStore(path);
    try {
      await raceFromProcesses(store, 'sqlite', path, scratch);
    } finally {
      await store.close();
    }
  });

  it('a second client on the same database follows writes by polling the change log', async () => {
    const path = freshPath();
    await followsThroughNotification(() => new SqliteStore(path));
  });
});

describe('openEmbeddedStore', () => {
  it('opens SQLite in a new directory, and keeps a directory of FileStore data on FileStore', async () => {
    const fresh = join(scratch, `embedded-${++counter}`);
    const store = await openEmbeddedStore(fresh);
    expect(store).toBeInstanceOf(SqliteStore);
    await store.put('flags', 'a', 1, 0);
    await store.close();
    const again = await openEmbeddedStore(fresh);
    expect(await again.get('flags', 'a')).toMatchObject({ version: 1, value: 1 });
    await again.close();

    const old = join(scratch, `embedded-${++counter}`);
    const files = new FileStore(old);
    await files.put('flags', 'legacy', 1, 0);
    await files.close();
    const reopened = await openEmbeddedStore(old);
    expect(reopened).toBeInstanceOf(FileStore);
    await vi.waitFor(async () => expect(await reopened.get('flags', 'legacy')).toMatchObject({ value: 1 }));
    await reopened.close();
  });

  it('falls back to FileStore where better-sqlite3 is not installed (the CLI too)', async () => {
    const withoutSqlite = new URL('../support/without-sqlite.mjs', import.meta.url).pathname;
    const cli = new URL('../../dist/cli/main.js', import.meta.url).pathname;
    const directory = join(scratch, `embedded-${++counter}`);
    const run = promisify(execFile);
    await run(process.execPath, ['--import', withoutSqlite, cli, 'flag', 'create', 'fallback', '--store', directory]);
    // The flag, and the audit entry of its creation (every CLI write is audited).
    // (The audit collection is written three times per write: its entry goes ahead, src/audit/pending.ts.)
    expect([...new Set(readdirSync(directory).filter((name) => name.endsWith('.json')).map((name) => name.split('.')[0]))]).toEqual(['audit', 'flags']);
    expect(existsSync(join(directory, 'phasegate.db'))).toBe(false);
    const { stdout } = await run(process.execPath, ['--import', withoutSqlite, cli, 'flag', 'list', '--store', directory]);
    expect(stdout).toContain('fallback');
    // The same directory opened where SQLite is available stays a FileStore: its data is there.
    const store = await openEmbeddedStore(directory);
    expect(store).toBeInstanceOf(FileStore);
    expect(await store.get('flags', 'fallback')).toMatchObject({ version: 1 });
    await store.close();
  });
});
