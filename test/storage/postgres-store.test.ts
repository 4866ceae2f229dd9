import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/postgres/index.js';
import { runStorageConformance } from '../../src/testing/index.js';
import { PostgresServer } from '../support/servers.js';
import { followsThroughNotification, outageScenario } from './outage.js';
import { hammerFromProcesses } from './shared-state.js';

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

  it('says to migrate when the schema is missing', async () => {
    const store = new PostgresStore({ connectionString: server.url, schema: 'never_migrated' });
    await expect(store.get('flags', 'x')).rejects.toThrow(/schema is missing; call store\.migrate\(\) first/);
    await store.close();
  });

  it('keeps evaluating while PostgreSQL is down and resynchronises after a restart', async () => {
    await outageScenario(() => new PostgresStore({ connectionString: server.url }), server);
  });
});
