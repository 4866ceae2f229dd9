import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPhasegate, type Store } from '../../src/index.js';
import { PostgresStore } from '../../src/postgres/index.js';
import { RedisStore } from '../../src/redis/index.js';
import { PostgresServer, RedisServer } from '../support/servers.js';

const reader = new URL('../support/segment-reader.ts', import.meta.url).pathname;

/**
 * One process edits a segment; another process, started first and following the same store,
 * must see every flag that uses the segment change, without restarting.
 */
async function segmentChangeReachesAnotherProcess(kind: 'redis' | 'postgres', url: string, open: () => Store): Promise<void> {
  const writer = await createPhasegate({ store: open() });
  try {
    await writer.segments.create({ key: 'eu', conditions: [{ attribute: 'country', operator: 'IN', values: ['DE', 'FR'] }] });
    await writer.flags.create({ key: 'eu-checkout', state: 'rollout', rules: [{ id: 'eu', segments: ['eu'], serve: { type: 'on' } }] });
    const child = spawn(process.execPath, ['--import', 'tsx', reader, kind, url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const next = async () => {
      const line = await lines.next();
      if (line.done) throw new Error(`reader exited early: ${stderr}`);
      return line.value;
    };
    try {
      expect(await next()).toBe('ready {"de":true,"us":false}');
      await writer.segments.update('eu', { conditions: [{ attribute: 'country', operator: 'IN', values: ['US'] }] });
      expect(await next()).toBe('changed ["eu-checkout"] {"de":false,"us":true}');
    } finally {
      child.kill();
    }
  } finally {
    await writer.close();
  }
}

describe('a segment change propagates between processes', () => {
  let redis: RedisServer;
  let postgres: PostgresServer;
  beforeAll(async () => {
    [redis, postgres] = await Promise.all([RedisServer.start(), PostgresServer.start()]);
    const store = new PostgresStore({ connectionString: postgres.url });
    await store.migrate();
    await store.close();
  });
  afterAll(async () => {
    await redis?.stop();
    postgres?.stop();
  });

  it('on Redis', async () => {
    await segmentChangeReachesAnotherProcess('redis', redis.url, () => new RedisStore({ url: redis.url }));
  });

  it('on PostgreSQL', async () => {
    await segmentChangeReachesAnotherProcess('postgres', postgres.url, () => new PostgresStore({ connectionString: postgres.url }));
  });
});
