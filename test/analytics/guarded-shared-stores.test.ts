import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Duration, ManualClock, createPhasegate, type Phasegate, type Store } from '../../src/index.js';
import { PostgresStore } from '../../src/postgres/index.js';
import { RedisStore } from '../../src/redis/index.js';
import { PostgresServer, RedisServer } from '../support/servers.js';

// The shared-state promises of issue 18 on the real network stores: clients on their own
// connections record one breach at once and tick at once.
let redis: RedisServer;
let postgres: PostgresServer;
beforeAll(async () => {
  [redis, postgres] = await Promise.all([RedisServer.start(), PostgresServer.start()]);
}, 120_000);
afterAll(async () => {
  await Promise.all([redis?.stop(), postgres?.stop()]);
});

const START = Date.UTC(2026, 3, 6);
let namespace = 0;

const stores: Record<string, () => Promise<() => Store>> = {
  redis: async () => {
    const prefix = `guard-${++namespace}`;
    return () => new RedisStore({ url: redis.url, prefix });
  },
  postgres: async () => {
    const schema = `guard_${++namespace}`;
    const first = new PostgresStore({ connectionString: postgres.url, schema });
    await first.migrate();
    await first.close();
    return () => new PostgresStore({ connectionString: postgres.url, schema });
  },
};

describe.each(Object.keys(stores))('guarded rollouts shared through %s', (kind) => {
  it('three clients recording one breach raise one alert, and ticking at once deliver one webhook', async () => {
    const open = await stores[kind]!();
    const deliveries: string[] = [];
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        deliveries.push(String(request.headers['idempotency-key']));
        response.end();
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const gates: Phasegate[] = [];
    try {
      for (let i = 0; i < 3; i++) gates.push(await createPhasegate({ store: open(), clock: new ManualClock(START), analytics: { webhookSecret: 's' } }));
      const [a, b, c] = gates as [Phasegate, Phasegate, Phasegate];
      await a.releases.plan({
        version: '7.0.0',
        type: 'minor',
        features: ['f'],
        rollbackPlan: { triggers: [{ metric: 'error_rate', limit: 5, bad: 'above', critical: 10 }], steps: [{ action: 'webhook', params: { url } }] },
      });
      await a.releases.start('7.0.0');
      await Promise.all(gates.flatMap((gate) => [1, 2, 3, 4].map((i) => gate.analytics.record({ metric: 'error_rate', value: 30, release: '7.0.0', at: START - i * Duration.minute }))));
      expect((await b.releases.get('7.0.0'))!.status).toBe('rolled_back');
      expect(await c.analytics.alerts()).toHaveLength(1);
      await Promise.all(gates.map((gate) => gate.tick()));
      await Promise.all(gates.map((gate) => gate.tick()));
      expect(deliveries).toHaveLength(1);
      expect((await a.analytics.notifications()).map((n) => n.state)).toEqual(['delivered']);
    } finally {
      for (const gate of gates) await gate.close();
      await new Promise<void>((done) => server.close(() => done()));
    }
  }, 60_000);
});
