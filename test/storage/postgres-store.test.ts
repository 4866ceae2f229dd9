import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPhasegate } from '../../src/index.js';
import { PostgresStore } from '../../src/postgres/index.js';
import { runStorageConformance } from '../../src/testing/index.js';
import { PostgresServer } from '../support/servers.js';
import { followsThroughNotification, hostsSurviveOutage, outageScenario } from './outage.js';
import { hammerFromProcesses } from './shared-state.js';
import { concurrentRecreatesNeverReuseVersions, versionsNeverGoBackwards } from './versions.js';

let server: PostgresServer;
beforeAll(async () => {
  server = await PostgresServer.start();
  const store = new PostgresStore({ connectionString: server.url });
  await store.migrate();
  await store.migrate(); // idempotent
  await store.close();
});
afterAll(() => server?.stop());

runStorageConformance(() => new PostgresStore({ connectionString: server.url }), {
  name: 'PostgresStore conformance',
  shared: true,
  test: { describe, it, expect, afterEach },
});

describe('PostgresStore with real clients', () => {
  it('never lets a version go backwards, whatever the sequence of writes and deletes (property)', async () => {
    await versionsNeverGoBackwards(() => new PostgresStore({ connectionString: server.url }), 30);
  });

  it('never reuses a version while several instances delete and re-create one key at once', async () => {
    await concurrentRecreatesNeverReuseVersions(() => new PostgresStore({ connectionString: server.url }));
  });

  it('loses no update when several processes hammer one flag', async () => {
    const store = new PostgresStore({ connectionString: server.url });
    try {
      await hammerFromProcesses(store, 'postgres', server.url);
    } finally {
      await store.close();
    }
  });

  it('a second client follows changes through LISTEN/NOTIFY', async () => {
    await followsThroughNotification(() => new PostgresStore({ connectionString: server.url }));
  });

  it('notifies changes made by plain SQL too (the trigger is in the database)', async () => {
    const store = new PostgresStore({ connectionString: server.url });
    const events: unknown[] = [];
    store.subscribe((event) => events.push(event));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    await client.query(`INSERT INTO phasegate.records (collection, key, version, value) VALUES ('sql', 'k', 1, '{}')`);
    await client.end();
    await expect.poll(() => events, { timeout: 2000 }).toContainEqual({ type: 'change', collection: 'sql', key: 'k', version: 1 });
    await store.close();
  });

  it('migrate() upgrades a table from before the deleted-version floor: a re-created record still gets a higher version', async () => {
    const store = new PostgresStore({ connectionString: server.url, schema: 'upgraded' });
    const pg = (await import('pg')).default;
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    try {
      await store.migrate();
      // What an older phasegate left behind: records, no floor table.
      await admin.query('DROP TABLE upgraded.deleted_version_floors');
      await admin.query(`INSERT INTO upgraded.records (collection, key, version, value) VALUES ('flags', 'old', 5, '{}'), ('releases', 'r', 2, '{}')`);
      await store.migrate();
      const floors = await admin.query('SELECT collection, deleted_version_floor FROM upgraded.deleted_version_floors ORDER BY collection');
      expect(floors.rows).toEqual([
        { collection: 'flags', deleted_version_floor: 0 },
        { collection: 'releases', deleted_version_floor: 0 },
      ]);
      expect(await store.delete('flags', 'old', 5)).toBe(true);
      expect((await store.put('flags', 'old', { again: true }, 0)).version).toBe(6);
    } finally {
      await admin.query('DROP SCHEMA IF EXISTS upgraded CASCADE');
      await admin.end();
      await store.close();
    }
  });

  it("leaves no listener on a caller's pool after close (stores come and go, the pool stays)", async () => {
    const pg = (await import('pg')).default;
    const pool = new pg.Pool({ connectionString: server.url });
    try {
      const before = pool.listenerCount('error');
      for (let i = 0; i < 20; i++) {
        const store = new PostgresStore({ pool });
        await store.count('flags');
        await store.close();
      }
      expect(pool.listenerCount('error')).toBe(before);
      expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
    }
  });

  it('says to migrate when the schema is missing', async () => {
    const store = new PostgresStore({ connectionString: server.url, schema: 'never_migrated' });
    await expect(store.get('flags', 'x')).rejects.toThrow(/schema is missing; call store\.migrate\(\) first/);
    await store.close();
  });

  it('hosts survive a fast shutdown (pg_ctl -m fast stop) under load from several lanes, losing no acknowledged write', async () => {
    await hostsSurviveOutage({
      kind: 'postgres',
      url: server.url,
      openStore: () => new PostgresStore({ connectionString: server.url }),
      outage: () => server.fastStop(),
      restart: () => server.resume(),
    });
  }, 90_000);

  it('hosts survive kill -9 of PostgreSQL under load from several lanes, losing no acknowledged write', async () => {
    await hostsSurviveOutage({
      kind: 'postgres',
      url: server.url,
      openStore: () => new PostgresStore({ connectionString: server.url }),
      outage: () => server.crash(),
      restart: () => server.resume(),
    });
  }, 90_000);

  it('a client whose LISTEN connection was cut answers a flag deleted and re-created meanwhile, without a further write', async () => {
    const writer = await createPhasegate({ store: new PostgresStore({ connectionString: server.url }) });
    // A slow first reconnection leaves room for the writes to land while nobody listens.
    const reader = await createPhasegate({ store: new PostgresStore({ connectionString: server.url, reconnectIntervalMs: 4000 }) });
    const seen: string[] = [];
    reader.events.on('store:unavailable', () => seen.push('unavailable'));
    reader.events.on('store:available', () => seen.push('available'));
    const pg = (await import('pg')).default;
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    try {
      const key = `relisten-${Date.now()}`;
      await writer.flags.create({ key, state: 'enabled' });
      await writer.flags.update(key, { description: 'version 2' });
      await vi.waitFor(() => expect(reader.isEnabled(key)).toBe(true), { timeout: 2000 });
      const cut = await admin.query<{ done: boolean }>(
        `SELECT pg_terminate_backend(pid, 5000) AS done FROM pg_stat_activity WHERE query LIKE 'LISTEN %' AND pid <> pg_backend_pid()`,
      );
      expect(cut.rows.length).toBeGreaterThanOrEqual(2);
      expect(cut.rows.every((row) => row.done)).toBe(true);
      // Deleted and re-created (disabled) while the reader hears nothing: the re-created record
      // must not come back at version 1, or the reader's reload would keep its version 2.
      await writer.flags.delete(key);
      await writer.flags.create({ key, state: 'disabled' });
      expect(reader.isEnabled(key)).toBe(true);
      await vi.waitFor(() => expect(reader.isEnabled(key)).toBe(false), { timeout: 15_000 });
      expect(seen.slice(0, 2)).toEqual(['unavailable', 'available']);
      // Notifications flow again afterwards.
      await writer.flags.update(key, { state: 'enabled' });
      await vi.waitFor(() => expect(reader.isEnabled(key)).toBe(true), { timeout: 2000 });
    } finally {
      await admin.end();
      await Promise.all([writer.close(), reader.close()]);
    }
  });

  it('comes back as available by itself after an idle pool connection is terminated, with no query from the app', async () => {
    const gate = await createPhasegate({ store: new PostgresStore({ connectionString: server.url, reconnectIntervalMs: 100 }) });
    const seen: string[] = [];
    gate.events.on('store:unavailable', () => seen.push('unavailable'));
    gate.events.on('store:available', () => seen.push('available'));
    const pg = (await import('pg')).default;
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    try {
      // The client's first load left a pool connection idle; kill it (and nothing else of ours).
      const cut = await admin.query<{ done: boolean }>(
        `SELECT pg_terminate_backend(pid, 5000) AS done FROM pg_stat_activity
         WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND query NOT LIKE 'LISTEN %'`,
      );
      expect(cut.rows.length).toBeGreaterThanOrEqual(1);
      await vi.waitFor(() => expect(seen).toEqual(['unavailable', 'available']), { timeout: 10_000 });
      expect(gate.storeIsAvailable).toBe(true);
    } finally {
      await admin.end();
      await gate.close();
    }
  });

  it('keeps evaluating while PostgreSQL is down and resynchronises after a restart', async () => {
    await outageScenario(() => new PostgresStore({ connectionString: server.url }), server);
  });
});
