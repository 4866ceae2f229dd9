import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../src/redis/index.js';
import { runStorageConformance } from '../../src/testing/index.js';
import { RedisServer } from '../support/servers.js';
import { followsThroughNotification, outageScenario } from './outage.js';
import { hammerFromProcesses } from './shared-state.js';

let server: RedisServer;
beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(async () => {
  await server?.stop();
});

runStorageConformance(() => new RedisStore({ url: server.url }), {
  name: 'RedisStore conformance',
  shared: true,
  test: { describe, it, expect, afterEach },
});

describe('RedisStore with real clients', () => {
  it('loses no update when several processes hammer one flag', async () => {
    const store = new RedisStore({ url: server.url });
    try {
      await hammerFromProcesses(store, 'redis', server.url);
    } finally {
      await store.close();
    }
  });

  it('a second client follows changes through pub/sub', async () => {
    await followsThroughNotification(() => new RedisStore({ url: server.url }));
  });

  it('keeps evaluating while Redis is down and resynchronises after a restart', async () => {
    await outageScenario(() => new RedisStore({ url: server.url }), server);
  });

  it('uses a caller-provided ioredis client and a custom prefix', async () => {
    const { Redis } = await import('ioredis');
    const client = new Redis(server.url);
    const store = new RedisStore({ client, prefix: 'tenant-a' });
    await store.put('flags', 'k', { a: 1 }, 0);
    expect(await client.hget('tenant-a:flags:versions', 'k')).toBe('1');
    await store.close();
    expect(client.status).toBe('ready');
    client.disconnect();
  });
});
