import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPhasegate, type Store } from '../../src/index.js';
import { RedisStore } from '../../src/redis/index.js';
import { SqliteStore } from '../../src/sqlite/index.js';
import { AUDIT_COLLECTION } from '../../src/audit/audit-log.js';
import { PENDING_PREFIX } from '../../src/audit/pending.js';
import { RedisServer } from '../support/servers.js';

// Issue 20 item 3: every committed write has its audit entry, even when the writing process is
// SIGKILLed between the write and its entry; a write killed before it committed leaves none.
const root = resolve(import.meta.dirname, '../..');

function child(where: string, step: string, key: string): Promise<{ signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const process_ = execFile(process.execPath, ['--import', 'tsx', join(root, 'test/support/audit-child.ts'), where, step, key], { cwd: root, timeout: 60_000 }, (_error, stdout, stderr) =>
      done({ signal: process_.signalCode, stdout, stderr }),
    );
  });
}

async function pendingCount(store: Store): Promise<number> {
  return (await store.list(AUDIT_COLLECTION, { prefix: PENDING_PREFIX })).length;
}

let directory: string;
let redis: RedisServer;
let counter = 0;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'phasegate-atomic-audit-'));
  redis = await RedisServer.start();
}, 60_000);

afterAll(async () => {
  await redis?.stop();
  rmSync(directory, { recursive: true, force: true });
});

// SQLite: a fresh database per test. Redis: the child uses the default key prefix, so each
// test empties the server's database first.
const stores: Array<[string, () => Promise<{ where: string; open: () => Store }>]> = [
  [
    'SQLite',
    async () => {
      const where = join(directory, `db-${++counter}`, 'phasegate.db');
      return { where, open: () => new SqliteStore(where) };
    },
  ],
  [
    'Redis',
    async () => {
      const { Redis } = await import('ioredis');
      const client = new Redis(redis.url);
      await client.flushdb();
      client.disconnect();
      return { where: redis.url, open: () => new RedisStore({ url: redis.url }) };
    },
  ],
];

describe.each(stores)('atomic audit entries on %s (a writer SIGKILLed between the steps)', (_name, make) => {
  async function setup(key: string) {
    const { where, open } = await make();
    const gate = await createPhasegate({ store: open(), resyncIntervalMs: 0 });
    await gate.flags.create({ key, state: 'rollout' });
    await gate.close();
    return { where, open };
  }

  it('a flag update killed after it committed still gets its audit entry, once', async () => {
    const { where, open } = await setup('killed-after-write');
    const run = await child(where, 'after-write', 'killed-after-write');
    expect(run.signal, run.stderr).toBe('SIGKILL');
    const store = open();
    // Before any recovery: the change is stored, its entry is still pending.
    expect((await store.get<{ state: string }>('flags', 'killed-after-write'))!.value.state).toBe('enabled');
    expect(await pendingCount(store)).toBe(1);
    // A client on the store settles it (its recovery timer runs shortly after start; here, directly).
    const gate = await createPhasegate({ store, resyncIntervalMs: 0 });
    expect(await gate.audit.recover()).toMatchObject({ promoted: 1 });
    const [entry] = await gate.audit.list({ key: 'killed-after-write' });
    expect(entry).toMatchObject({ action: 'flag.update', actor: 'ana', reason: 'launch', changes: [{ path: 'state', before: 'rollout', after: 'enabled' }] });
    expect(await pendingCount(store)).toBe(0);
    // Recovering again (another process, a timer) writes no second entry.
    await gate.audit.recover({ graceMs: 0 });
    expect((await gate.audit.list({ key: 'killed-after-write' })).filter((e) => e.action === 'flag.update')).toHaveLength(1);
    await gate.close();
  });

  it('a flag delete killed after it committed still gets its audit entry', async () => {
    const { where, open } = await setup('killed-after-delete');
    const run = await child(where, 'after-write-delete', 'killed-after-delete');
    expect(run.signal, run.stderr).toBe('SIGKILL');
    const store = open();
    expect(await store.get('flags', 'killed-after-delete')).toBeUndefined();
    const gate = await createPhasegate({ store, resyncIntervalMs: 0 });
    expect(await gate.audit.recover()).toMatchObject({ promoted: 1 });
    const [entry] = await gate.audit.list({ key: 'killed-after-delete' });
    expect(entry).toMatchObject({ action: 'flag.delete', actor: 'ana', reason: 'cleanup', changes: [{ path: '' }] });
    expect(await pendingCount(store)).toBe(0);
    await gate.close();
  });

  it('a flag update killed before it committed leaves no entry, and the next write of the flag is recorded normally', async () => {
    const { where, open } = await setup('killed-before-write');
    const run = await child(where, 'after-ahead', 'killed-before-write');
    expect(run.signal, run.stderr).toBe('SIGKILL');
    const store = open();
    expect((await store.get<{ state: string }>('flags', 'killed-before-write'))!.value.state).toBe('rollout');
    expect(await pendingCount(store)).toBe(1);
    const gate = await createPhasegate({ store, resyncIntervalMs: 0 });
    // Within the grace period it may still be in flight: kept; after it, dropped.
    expect(await gate.audit.recover()).toMatchObject({ waiting: 1, promoted: 0 });
    expect(await gate.audit.recover({ graceMs: 0 })).toMatchObject({ dropped: 1, promoted: 0 });
    expect((await gate.audit.list({ key: 'killed-before-write' })).map((e) => e.action)).toEqual(['flag.create']);
    await gate.flags.update('killed-before-write', { state: 'disabled' }, { by: 'bo' });
    expect((await gate.audit.list({ key: 'killed-before-write' })).map((e) => [e.action, e.actor])).toEqual([
      ['flag.update', 'bo'],
      ['flag.create', 'api'],
    ]);
    await gate.close();
  });
});
