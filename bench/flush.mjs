// Exposure flush cost on Redis: a redis-server of our own on a free loopback port (AOF, fsync
// every second), a client holding `flags` flags, each evaluated for new users between flushes.
// Prints JSON: wall-clock ms of each flush (store round trips are the cost, so wall time is
// the measure here), with every flag changed, and with nothing changed; and the store's floor
// for as much data (one get + put of a sketch-sized record per flag, one after the other).
//   node bench/flush.mjs [flags=1000] [rounds=5]
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spread } from './harness.mjs';

const flags = Number(process.argv[2] ?? 1000);
const rounds = Number(process.argv[3] ?? 5);

try {
  execFileSync('which', ['redis-server'], { stdio: 'ignore' });
} catch {
  process.stdout.write(`${JSON.stringify({ skipped: 'redis-server is not installed' })}\n`);
  process.exit(0);
}

const port = await new Promise((resolve, reject) => {
  const server = createServer();
  server.once('error', reject);
  server.listen(0, '127.0.0.1', () => {
    const { port: free } = server.address();
    server.close(() => resolve(free));
  });
});
const directory = mkdtempSync(join(tmpdir(), 'phasegate-bench-redis-'));
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', directory], { stdio: 'ignore' });
try {
  for (let i = 0; ; i++) {
    try {
      if (execFileSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() === 'PONG') break;
    } catch {
      if (i > 200) throw new Error('redis-server did not start');
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const { createPhasegate, Collections } = await import('../dist/index.js');
  const { RedisStore } = await import('../dist/redis/index.js');
  const store = new RedisStore({ url: `redis://127.0.0.1:${port}` });
  const keys = Array.from({ length: flags }, (_, i) => `flag-${String(i).padStart(5, '0')}`);
  for (const key of keys) await store.put(Collections.flags, key, { key, description: '', state: 'enabled', strategy: { type: 'percentage', percentage: 100 }, enabledUsers: [], tags: [], metadata: {}, hashVersion: 1, createdAt: 0, updatedAt: 0 }, 0);
  const gate = await createPhasegate({ store, resyncIntervalMs: 0 });
  let user = 0;
  const exposeAll = () => {
    for (const key of keys) for (let i = 0; i < 20; i++) gate.isEnabled(key, { userId: `user-${user++}` });
  };
  const timed = async () => {
    const start = performance.now();
    await gate.analytics.flush();
    return performance.now() - start;
  };
  // The store's floor for the same data: one get + put of a sketch-sized record per flag, in sequence.
  const sketchSized = { registers: 'A'.repeat(5464) };
  const floorStart = performance.now();
  for (const key of keys) {
    const current = await store.get(Collections.metrics, `floor|${key}`);
    await store.put(Collections.metrics, `floor|${key}`, sketchSized, current?.version ?? 0);
  }
  const floorMs = performance.now() - floorStart;
  // The first flush also applies retention (once an hour): measured apart.
  exposeAll();
  const first = await timed();
  const changed = [];
  const unchanged = [];
  for (let round = 0; round < rounds; round++) {
    exposeAll();
    changed.push(await timed());
    unchanged.push(await timed());
  }
  await gate.close();
  await store.close?.();
  process.stdout.write(`${JSON.stringify({ flags, floorMs, firstMs: first, changedMs: spread(changed), unchangedMs: spread(unchanged), rounds })}\n`);
} finally {
  redis.kill('SIGKILL');
  await new Promise((resolve) => redis.once('exit', resolve));
  rmSync(directory, { recursive: true, force: true });
}
process.exit(0);
