import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Collections, createPhasegate } from '../../src/index.js';
import { RedisStore } from '../../src/redis/index.js';
import { runStorageConformance } from '../../src/testing/index.js';
import { RedisServer, type RedisPersistence } from '../support/servers.js';
import { followsThroughNotification, hostsSurviveOutage, outageScenario } from './outage.js';
import { hammerFromProcesses } from './shared-state.js';
import { concurrentRecreatesNeverReuseVersions, versionsNeverGoBackwards } from './versions.js';

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
  // Damage a version behind the store's back, as a hand edit with redis-cli would.
  corruptVersion: async (_store, collection, key, version) => {
    const { Redis } = await import('ioredis');
    const raw = new Redis(server.url);
    try {
      await raw.hset(`phasegate:${collection}:versions`, key, String(version));
    } finally {
      raw.disconnect();
    }
  },
  test: { describe, it, expect, afterEach },
});

describe('RedisStore with real clients', () => {
  it('never lets a version go backwards, whatever the sequence of writes and deletes (property)', async () => {
    await versionsNeverGoBackwards(() => new RedisStore({ url: server.url }), 30);
  });

  it('never reuses a version while several instances delete and re-create one key at once', async () => {
    await concurrentRecreatesNeverReuseVersions(() => new RedisStore({ url: server.url }));
  });

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

  it('hosts survive kill -9 of Redis under load from several lanes, losing no acknowledged write', async () => {
    await hostsSurviveOutage({
      kind: 'redis',
      url: server.url,
      openStore: () => new RedisStore({ url: server.url }),
      outage: () => server.kill(),
      restart: () => server.resume(),
    });
  }, 90_000);

  it('a client whose pub/sub connection was killed (CLIENT KILL TYPE pubsub) answers the change it missed, without a further write', async () => {
    const writer = await createPhasegate({ store: new RedisStore({ url: server.url }) });
    const reader = await createPhasegate({ store: new RedisStore({ url: server.url }) });
    const { Redis } = await import('ioredis');
    const admin = new Redis(server.url);
    const seen: string[] = [];
    reader.events.on('store:unavailable', () => seen.push('unavailable'));
    reader.events.on('store:available', () => seen.push('available'));
    try {
      const key = `pubsub-${Date.now()}`;
      await writer.flags.create({ key, state: 'enabled' });
      await vi.waitFor(() => expect(reader.isEnabled(key)).toBe(true), { timeout: 2000 });
      // Disable the flag in the same transaction that kills every pub/sub connection: its
      // notification is published to nobody, exactly what a client misses while disconnected.
      const [values, versions] = ['phasegate:flags:values', 'phasegate:flags:versions'];
      const stored = JSON.parse((await admin.hget(values, key))!) as Record<string, unknown>;
      const version = Number(await admin.hget(versions, key)) + 1;
      const replies = await admin
        .multi()
        .call('CLIENT', 'KILL', 'TYPE', 'pubsub')
        .hset(values, key, JSON.stringify({ ...stored, state: 'disabled' }))
        .hset(versions, key, version)
        .publish('phasegate:changes', `${JSON.stringify({ c: Collections.flags, k: key })}|${version}`)
        .exec();
      expect(replies!.map(([error]) => error)).toEqual([null, null, null, null]);
      expect(replies![0]![1]).toBeGreaterThanOrEqual(2); // both clients' subscribers were cut
      expect(replies![3]![1]).toBe(0); // and nobody heard the change
      await vi.waitFor(() => expect(reader.isEnabled(key)).toBe(false), { timeout: 10_000 });
      expect(seen.slice(0, 2)).toEqual(['unavailable', 'available']);
      expect(reader.storeIsAvailable).toBe(true);
      // Notifications flow again afterwards.
      await writer.flags.update(key, { state: 'enabled' });
      await vi.waitFor(() => expect(reader.isEnabled(key)).toBe(true), { timeout: 2000 });
    } finally {
      admin.disconnect();
      await Promise.all([writer.close(), reader.close()]);
    }
  });

  // docs/storage.md "Durability": what a kill -9 of Redis does to acknowledged writes.
  async function acknowledgedWritesKeptAfterKill(persistence: RedisPersistence): Promise<{ acked: number; kept: number }> {
    const own = await RedisServer.start(persistence);
    try {
      const writer = new RedisStore({ url: own.url });
      let acked = 0;
      for (let i = 0; i < 200; i++) {
        await writer.put('durability', `k${i}`, { i }, 0);
        acked++;
      }
      await writer.close();
      if (persistence === 'everysec') {
        // everysec promises the disk within about a second (two at worst): give the background
        // fsync that time, and more on a loaded machine, before the crash.
        await new Promise((resolve) => setTimeout(resolve, 2_500));
      }
      await own.kill();
      await own.resume();
      const reader = new RedisStore({ url: own.url });
      const kept = await reader.count('durability');
      await reader.close();
      return { acked, kept };
    } finally {
      await own.stop();
    }
  }

  it('durability: without AOF a kill -9 loses acknowledged writes; with appendfsync everysec it keeps those older than its fsync second', async () => {
    expect(await acknowledgedWritesKeptAfterKill('none')).toEqual({ acked: 200, kept: 0 });
    expect(await acknowledgedWritesKeptAfterKill('everysec')).toEqual({ acked: 200, kept: 200 });
  });

  it('follows changes with a caller-provided lazyConnect client', async () => {
    const { Redis } = await import('ioredis');
    const client = new Redis(server.url, { lazyConnect: true });
    const store = new RedisStore({ client, prefix: 'lazy' });
    const events: unknown[] = [];
    store.subscribe((event) => events.push(event));
    await store.subscribed();
    await store.put('flags', 'k', { a: 1 }, 0);
    await vi.waitFor(() => expect(events).toContainEqual({ type: 'change', collection: 'flags', key: 'k', version: 1 }), { timeout: 2000 });
    await store.close();
    client.disconnect();
  });

  it('uses a caller-provided ioredis client and a custom prefix', async () => {
    const { Redis } = await import('ioredis');
    const client = new Redis(server.url);
    const store = new RedisStore({ client, prefix: 'tenant-a' });
    await store.put('flags', 'k', { a: 1 }, 0);
    expect(await client.hget('tenant-a:flags:versions', 'k')).toBe('1');
    await store.close();
    expect(client.status).toBe('ready');
    // Stores come and go on a long-lived client: none leaves a listener behind.
    const before = ['error', 'close', 'ready'].map((event) => client.listenerCount(event));
    for (let i = 0; i < 20; i++) {
      const another = new RedisStore({ client, prefix: 'tenant-a' });
      await another.count('flags');
      await another.close();
    }
    expect(['error', 'close', 'ready'].map((event) => client.listenerCount(event))).toEqual(before);
    client.disconnect();
  });
});
