// Big user lists: a flag whose user list holds `ids` ids, on a Redis of our own (loopback, AOF
// fsync every second). A reader process follows the flag and watches its own event loop (the
// longest gap between ticks of a 1 ms timer, in wall and CPU time); this process changes the flag and times how long
// until the reader answers from the new version. Two kinds of change: one that keeps the list
// (the description) and one that changes it (one id replaced). Prints JSON (wall-clock ms: this
// is latency across processes).
//   node bench/big-list.mjs [ids=1000000] [rounds=3]
import { execFileSync, fork, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [role] = process.argv.slice(2);
const FLAG = 'big-list';

if (role === 'reader') {
  // The reader: follows the flag; reports the version it answers from and its longest stall.
  const url = process.argv[3];
  const { createPhasegate } = await import('../dist/index.js');
  const { RedisStore } = await import('../dist/redis/index.js');
  const store = new RedisStore({ url });
  const gate = await createPhasegate({ store, resyncIntervalMs: 0, trackExposure: false });
  gate.isEnabled(FLAG, { userId: 'listed-1' });
  // The longest gap between ticks, in wall time and in this process's CPU time: on a loaded
  // machine the wall gap also counts time the OS gave to others; the CPU gap is the work that
  // blocked the loop.
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  let longest = 0;
  let longestCpu = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    const cpu = process.cpuUsage(lastCpu);
    longest = Math.max(longest, now - last);
    longestCpu = Math.max(longestCpu, (cpu.user + cpu.system) / 1000);
    last = now;
    lastCpu = process.cpuUsage();
  }, 1);
  gate.events.on('flag:changed', ({ key, flag }) => {
    if (key !== FLAG) return;
    // Answer once from the new version (a lazily compiled flag compiles here), then report.
    const on = gate.isEnabled(FLAG, { userId: 'listed-1' });
    process.send({ type: 'changed', at: performance.timeOrigin + performance.now(), description: flag?.description, on });
  });
  process.on('message', async (message) => {
    if (message.type === 'reset-stall') {
      longest = 0;
      longestCpu = 0;
      last = performance.now();
      lastCpu = process.cpuUsage();
      process.send({ type: 'reset' });
    } else if (message.type === 'stall') process.send({ type: 'stall', longest, longestCpu });
    else if (message.type === 'stop') {
      clearInterval(ticker);
      await gate.close();
      await store.close();
      process.exit(0);
    }
  });
  process.send({ type: 'ready' });
} else {
  const ids = Number(process.argv[2] ?? 1_000_000);
  const rounds = Number(process.argv[3] ?? 3);
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
  let reader;
  try {
    for (let i = 0; ; i++) {
      try {
        if (execFileSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() === 'PONG') break;
      } catch {
        if (i > 200) throw new Error('redis-server did not start');
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const url = `redis://127.0.0.1:${port}`;
    const { createPhasegate } = await import('../dist/index.js');
    const { RedisStore } = await import('../dist/redis/index.js');
    const store = new RedisStore({ url });
    const writer = await createPhasegate({ store, resyncIntervalMs: 0, trackExposure: false });
    const userIds = Array.from({ length: ids }, (_, i) => `listed-${i}`);
    await writer.flags.create({ key: FLAG, state: 'rollout', strategy: { type: 'userList', userIds } });

    reader = fork(new URL(import.meta.url).pathname, ['reader', url], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const inbox = [];
    const waiters = [];
    reader.on('message', (message) => {
      const waiter = waiters.findIndex((w) => w.type === message.type);
      if (waiter >= 0) waiters.splice(waiter, 1)[0].resolve(message);
      else inbox.push(message);
    });
    const next = (type) => {
      const queued = inbox.findIndex((m) => m.type === type);
      if (queued >= 0) return Promise.resolve(inbox.splice(queued, 1)[0]);
      return new Promise((resolve) => waiters.push({ type, resolve }));
    };
    await next('ready');
    const measure = async (change, description) => {
      reader.send({ type: 'reset-stall' });
      await next('reset');
      const start = performance.timeOrigin + performance.now();
      await writer.flags.update(FLAG, change);
      let seen;
      do seen = await next('changed');
      while (seen.description !== description);
      reader.send({ type: 'stall' });
      const { longest, longestCpu } = await next('stall');
      return { propagationMs: seen.at - start, readerStallMs: longest, readerStallCpuMs: longestCpu };
    };
    const keep = [];
    const change = [];
    for (let round = 0; round < rounds; round++) {
      keep.push(await measure({ description: `kept ${round}` }, `kept ${round}`));
      userIds[round] = `replaced-${round}`; // one id changed (the list is at its size limit)
      change.push(await measure({ description: `changed ${round}`, strategy: { type: 'userList', userIds } }, `changed ${round}`));
    }
    reader.send({ type: 'stop' });
    await new Promise((resolve) => reader.once('exit', resolve));
    await writer.close();
    await store.close();
    const summary = (list, field) => {
      const sorted = list.map((m) => m[field]).sort((a, b) => a - b);
      return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], max: sorted.at(-1) };
    };
    process.stdout.write(
      `${JSON.stringify({
        ids,
        rounds,
        listKept: { propagationMs: summary(keep, 'propagationMs'), readerStallMs: summary(keep, 'readerStallMs'), readerStallCpuMs: summary(keep, 'readerStallCpuMs') },
        listChanged: { propagationMs: summary(change, 'propagationMs'), readerStallMs: summary(change, 'readerStallMs'), readerStallCpuMs: summary(change, 'readerStallCpuMs') },
      })}\n`,
    );
  } finally {
    if (reader && reader.exitCode === null) reader.kill('SIGKILL');
    redis.kill('SIGKILL');
    await new Promise((resolve) => redis.once('exit', resolve));
    rmSync(directory, { recursive: true, force: true });
  }
  process.exit(0);
}
