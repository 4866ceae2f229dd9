// Store scale benchmark: does a store's cost grow with the work, or with the store?
//
//   npm run build && node bench/store-scale.mjs            short run (100k members, a few seconds per case)
//   node bench/store-scale.mjs --full                      1M members, PostgreSQL and the demo at 100k and 1M
//   node bench/store-scale.mjs --only redis-writes,listing one or more cases
//   node bench/store-scale.mjs --smoke                     tiny sizes, for the test that keeps this script working
//
// Every number that matters is a ratio measured in this process, in interleaved rounds, against a
// floor measured in the same run (an append + fsync, a bare Redis SET round trip, the same page at
// a tenth of the size): on a shared machine absolute timings swing, ratios side by side do not.
// One JSON line per case, then a summary line `{ "targets": [...] }`.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const dist = join(root, 'dist');
const { Collections, FileStore, MemoryStore, createPhasegate } = await import(join(dist, 'index.js'));

const args = process.argv.slice(2);
const full = args.includes('--full');
const smoke = args.includes('--smoke');
const only = args.includes('--only') ? new Set(args[args.indexOf('--only') + 1].split(',')) : undefined;
const members = smoke ? 5_000 : full ? 1_000_000 : 100_000;
const rounds = smoke ? 2 : 5;
const scratch = mkdtempSync(join(tmpdir(), 'phasegate-store-scale-'));
const results = [];
const targets = [];

function report(result) {
  results.push(result);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function target(name, value, limit, better) {
  const met = better === 'lower' ? value <= limit : value >= limit;
  targets.push({ name, value: Number(value.toFixed(3)), target: `${better === 'lower' ? '≤' : '≥'} ${limit}`, met });
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const elapsed = (start) => performance.now() - start;

/** The member record `enroll` would have written for user `i` (valid for the stored-record checks). */
function member(i) {
  const userId = `user-${String(i).padStart(7, '0')}`;
  const email = `u${i}@example.com`;
  const emailHash = createHash('sha256').update(email).digest('hex');
  const status = ['pending', 'approved', 'active', 'suspended', 'graduated'][i % 5];
  const level = ['alpha', 'beta', 'preview'][i % 3];
  const suspension = status === 'suspended' ? { previous: 'active', reason: 'bench' } : null;
  return { userId, email, emailHash, level, status, suspension, history: [{ at: 0, from: null, to: 'pending', by: 'bench' }], enrolledAt: 0, updatedAt: 0 };
}

/** An append of one record-sized line and its fdatasync: the floor of any durable write. */
function appendFloor(count) {
  const fd = openSync(join(scratch, 'floor.log'), 'a', 0o600);
  const line = Buffer.from(`${JSON.stringify({ key: 'user-x', version: 1, value: member(0) })}\n`);
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    writeSync(fd, line);
    fdatasyncSync(fd);
  }
  const ms = elapsed(start);
  closeSync(fd);
  return ms;
}

async function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

// ---- listing: a page at n and at n / 10, and the early-access report -----------------------------

async function listing() {
  // Two stores, a tenth and the full size, probed in turns: the same page must cost the same.
  const tenth = new MemoryStore();
  const store = new MemoryStore();
  const limit = Math.min(1000, members / 100); // a full page at both sizes
  for (let i = 0; i < members; i++) {
    const record = member(i);
    if (i < members / 10) await tenth.put(Collections.earlyAccessUsers, record.userId, record, 0);
    await store.put(Collections.earlyAccessUsers, record.userId, record, 0);
  }
  const probe = async (target, size, index) => {
    const after = member(Math.floor((((index * 7919) % 997) / 997) * 0.9 * size)).userId;
    const start = performance.now();
    const page = await target.list(Collections.earlyAccessUsers, { after, limit });
    if (page.length !== limit) throw new Error(`listing: a page of ${page.length} records, not ${limit}`);
    return elapsed(start);
  };
  const smallTimes = [];
  const largeTimes = [];
  for (let index = 0; index < 41; index++) {
    smallTimes.push(await probe(tenth, members / 10, index));
    largeTimes.push(await probe(store, members, index));
  }
  const small = median(smallTimes);
  const large = median(largeTimes);
  const gate = await createPhasegate({ store });
  const start = performance.now();
  const stats = await gate.earlyAccess.stats();
  const reportMs = elapsed(start);
  if (stats.members.total !== members) throw new Error(`listing: the report counted ${stats.members.total} members, not ${members}`);
  await gate.close();
  const result = { case: 'listing', store: 'memory', members, pageSize: limit, pageMsAtTenth: small, pageMs: large, pageGrowth: large / small, reportMs };
  target(`memory: a page at ${members} members ÷ at ${members / 10} (O(page))`, large / small, 2, 'lower');
  if (full || args.includes('--postgres')) {
    const postgres = await postgresReport();
    result.postgresReportMs = postgres;
    result.memoryOverPostgres = reportMs / postgres;
    target(`early-access report over ${members} members: memory ÷ PostgreSQL`, reportMs / postgres, 2, 'lower');
  }
  report(result);
}

/** The same report on PostgreSQL, the members inserted in bulk with SQL (same records). */
async function postgresReport() {
  const { PostgresStore } = await import(join(dist, 'postgres', 'index.js'));
  const server = await startPostgres();
  try {
    const store = new PostgresStore({ connectionString: server.url });
    await store.count(Collections.earlyAccessUsers); // creates the schema
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    for (let from = 0; from < members; from += 20_000) {
      const rows = [];
      for (let i = from; i < Math.min(members, from + 20_000); i++) rows.push(member(i));
      await client.query(
        `INSERT INTO phasegate.records (collection, key, version, value) SELECT $1, r->>'userId', 1, r FROM jsonb_array_elements($2::jsonb) AS r`,
        [Collections.earlyAccessUsers, JSON.stringify(rows)],
      );
    }
    await client.query('ANALYZE phasegate.records');
    await client.end();
    const gate = await createPhasegate({ store });
    const start = performance.now();
    const stats = await gate.earlyAccess.stats();
    const ms = elapsed(start);
    if (stats.members.total !== members) throw new Error(`postgres: the report counted ${stats.members.total} members`);
    await gate.close();
    return ms;
  } finally {
    server.stop();
  }
}

async function startPostgres() {
  const versions = execFileSync('ls', ['/usr/lib/postgresql'], { encoding: 'utf8' }).trim().split('\n').sort((a, b) => Number(b) - Number(a));
  const bin = (name) => join('/usr/lib/postgresql', versions[0], 'bin', name);
  const directory = mkdtempSync(join(tmpdir(), 'phasegate-bench-pg-'));
  const asPostgres = process.getuid?.() === 0;
  const run = (command, commandArgs) =>
    asPostgres ? execFileSync('runuser', ['-u', 'postgres', '--', command, ...commandArgs], { stdio: 'pipe' }) : execFileSync(command, commandArgs, { stdio: 'pipe' });
  if (asPostgres) execFileSync('chown', ['postgres:postgres', directory]);
  const port = await freePort();
  run(bin('initdb'), ['-D', join(directory, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  run(bin('pg_ctl'), ['-D', join(directory, 'data'), '-l', join(directory, 'log'), '-w', '-o', `-p ${port} -k ${directory} -c listen_addresses=127.0.0.1`, 'start']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: () => {
      run(bin('pg_ctl'), ['-D', join(directory, 'data'), '-m', 'immediate', '-w', 'stop']);
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

// ---- enrollment on the embedded stores against append + fsync ----------------------------------

async function sqliteEnroll() {
  const { SqliteStore, sqliteIsAvailable } = await import(join(dist, 'sqlite', 'index.js'));
  if (!(await sqliteIsAvailable())) return report({ case: 'sqlite-enroll', skipped: 'better-sqlite3 is not installed' });
  const path = join(scratch, 'enroll.db');
  const setup = new SqliteStore(path);
  await setup.count(Collections.earlyAccessUsers); // creates the schema
  await setup.close();
  // Fill through SQL in one transaction: a million enrollments one by one would take an hour.
  const Database = (await import('better-sqlite3')).default;
  const db = new Database(path);
  const insert = db.prepare('INSERT INTO records (collection, key, version, value) VALUES (?, ?, 1, ?)');
  db.transaction(() => {
    for (let i = 0; i < members; i++) {
      const record = member(i);
      insert.run(Collections.earlyAccessEmails, record.emailHash, JSON.stringify({ userId: record.userId }));
      insert.run(Collections.earlyAccessUsers, record.userId, JSON.stringify(record));
    }
  })();
  db.close();
  const gate = await createPhasegate({ store: new SqliteStore(path) });
  const result = await enrollAgainstFloor(gate, 'sqlite', members);
  await gate.close();
  target(`sqlite: one enrollment at ${members} members ÷ append + fsync`, result.ratio, 10, 'lower');
}

async function fileEnroll() {
  // Today's FileStore rewrites its collection per write: kept small so the run stays short.
  const size = smoke ? 500 : full ? 20_000 : 5_000;
  const directory = join(scratch, 'file-store');
  const store = new FileStore(directory, { watch: false });
  const records = [];
  for (let i = 0; i < size; i++) records.push(member(i));
  // One write per record would be quadratic: seed through a single generation file.
  const { writeFileSync, mkdirSync } = await import('node:fs');
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const file = (collection, lines) =>
    writeFileSync(join(directory, `${collection}.1.json`), `{"format":"phasegate-store","formatVersion":2,"collection":"${collection}","generation":1,"records":[\n${lines.join(',\n')}\n]}\n`, { mode: 0o600 });
  file(Collections.earlyAccessUsers, records.map((record) => JSON.stringify({ key: record.userId, version: 1, value: record })));
  file(Collections.earlyAccessEmails, records.map((record) => JSON.stringify({ key: record.emailHash, version: 1, value: { userId: record.userId } })));
  const gate = await createPhasegate({ store });
  const result = await enrollAgainstFloor(gate, 'file', size);
  await gate.close();
  target(`file: one enrollment at ${size} members ÷ append + fsync`, result.ratio, 10, 'lower');
}

async function enrollAgainstFloor(gate, store, size) {
  const perRound = smoke ? 5 : 20;
  let floorMs = 0;
  let enrollMs = 0;
  for (let round = 0; round < rounds; round++) {
    floorMs += appendFloor(perRound);
    const start = performance.now();
    for (let i = 0; i < perRound; i++) await gate.earlyAccess.enroll({ userId: `new-${round}-${i}`, email: `new-${round}-${i}@example.com`, level: 'beta' });
    enrollMs += elapsed(start);
  }
  const enrollments = rounds * perRound;
  const result = { case: `${store}-enroll`, members: size, floorMsPerAppend: floorMs / enrollments, msPerEnrollment: enrollMs / enrollments, ratio: enrollMs / floorMs };
  report(result);
  return result;
}

// ---- Redis: flag updates against the round-trip floor, and more writers ------------------------

async function redisWrites() {
  try {
    execFileSync('which', ['redis-server'], { stdio: 'ignore' });
  } catch {
    return report({ case: 'redis-writes', skipped: 'redis-server is not installed' });
  }
  const { RedisStore } = await import(join(dist, 'redis', 'index.js'));
  const { Redis } = await import('ioredis');
  const port = await freePort();
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  const gates = [];
  const clients = [];
  try {
    for (let attempt = 0; ; attempt++) {
      const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => {});
      const up = await probe.connect().then(() => probe.ping(), () => undefined);
      probe.disconnect();
      if (up === 'PONG') break;
      if (attempt > 100) throw new Error('redis-server did not start');
      await new Promise((done) => setTimeout(done, 50));
    }
    // One writer: updates ÷ bare SET round trips on the same client, interleaved.
    const client = new Redis(url);
    clients.push(client);
    const gate = await createPhasegate({ store: new RedisStore({ client }) });
    gates.push(gate);
    await gate.flags.create({ key: 'bench-0', state: 'rollout', strategy: { type: 'percentage', percentage: 1 } });
    for (let w = 1; w < 4; w++) await gate.flags.create({ key: `bench-${w}`, state: 'rollout', strategy: { type: 'percentage', percentage: 1 } });
    const perRound = smoke ? 20 : 200;
    let floorMs = 0;
    let updateMs = 0;
    let percentage = 1;
    for (let round = 0; round < rounds + 1; round++) {
      let start = performance.now();
      for (let i = 0; i < perRound; i++) await client.set('phasegate-bench:floor', String(i));
      const floor = elapsed(start);
      start = performance.now();
      for (let i = 0; i < perRound; i++) await gate.flags.update('bench-0', { strategy: { type: 'percentage', percentage: (percentage++ % 99) + 1 } });
      const updates = elapsed(start);
      if (round === 0) continue; // warm-up
      floorMs += floor;
      updateMs += updates;
    }
    const oneWriter = floorMs / updateMs;
    // More writers: each a process of its own, as app instances are; each on its own flag, then all on one.
    const durationMs = smoke ? 500 : 3000;
    const spread = {};
    const hot = {};
    for (let pass = 0; pass < (smoke ? 1 : 2); pass++) {
      for (const writers of [1, 2, 4]) {
        spread[writers] = Math.max(spread[writers] ?? 0, await writerProcesses(url, writers, false, durationMs));
        hot[writers] = Math.max(hot[writers] ?? 0, await writerProcesses(url, writers, true, durationMs));
      }
    }
    report({
      case: 'redis-writes',
      floorSetsPerSecond: (rounds * perRound * 1000) / floorMs,
      updatesPerSecond: (rounds * perRound * 1000) / updateMs,
      oneWriterOverFloor: oneWriter,
      updatesPerSecondByWriters: spread,
      updatesPerSecondByWritersOneFlag: hot,
    });
    target('redis: flag updates ÷ SET round trips, one writer', oneWriter, 0.4, 'higher');
    target('redis: 4 writers ÷ 1 writer, total updates, own flags', spread[4] / spread[1], 1, 'higher');
    target('redis: 4 writers ÷ 1 writer, total updates, one flag', hot[4] / hot[1], 1, 'higher');
  } finally {
    for (const gate of gates) await gate.close().catch(() => {});
    for (const client of clients) client.disconnect();
    server.kill();
  }
}

/** Total flag updates per second from `writers` processes, each with its own client, started together. */
async function writerProcesses(url, writers, sameFlag, durationMs) {
  const startAt = Date.now() + (smoke ? 1000 : 2000); // time for every process to load and connect
  const counts = await Promise.all(
    Array.from({ length: writers }, (_, w) =>
      new Promise((done, fail) => {
        const child = spawn(process.execPath, [import.meta.filename, '--redis-writer', url, sameFlag ? 'bench-0' : `bench-${w}`, String(startAt), String(durationMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
        let output = '';
        child.stdout.on('data', (chunk) => (output += chunk));
        child.on('exit', (code) => (code === 0 ? done(Number(output.trim())) : fail(new Error(`redis writer exited ${code}`))));
      }),
    ),
  );
  return (counts.reduce((sum, count) => sum + count, 0) / durationMs) * 1000;
}

/** A writer process: updates one flag from `startAt` for `durationMs`, prints how many updates landed. */
async function redisWriter([url, key, startAt, durationMs]) {
  const { RedisStore } = await import(join(dist, 'redis', 'index.js'));
  const gate = await createPhasegate({ store: new RedisStore({ url }) });
  for (let i = 0; i < 50; i++) await gate.flags.update(key, { strategy: { type: 'percentage', percentage: (i % 99) + 1 } }); // warm-up
  await new Promise((done) => setTimeout(done, Math.max(0, Number(startAt) - Date.now())));
  const deadline = Date.now() + Number(durationMs);
  let done = 0;
  for (let i = 0; Date.now() < deadline; i++) {
    await gate.flags.update(key, { strategy: { type: 'percentage', percentage: (i % 99) + 1 } });
    done++;
  }
  await gate.close();
  rmSync(scratch, { recursive: true, force: true });
  process.stdout.write(`${done}\n`);
  process.exit(0);
}

// ---- the 12-week demo: embedded store against MemoryStore ----------------------------------------

async function demo() {
  const run = (users, store) =>
    new Promise((done, fail) => {
      const child = spawn(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(root, 'examples', 'twelve-week-rollout', 'index.ts'), '--users', String(users), '--store', store], {
        cwd: root,
        env: { ...process.env, PHASEGATE_DEMO_STORE: join(scratch, `demo-${store}-${users}`) },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.on('exit', (code) => {
        const seconds = Number(/finished in ([\d.]+) s/.exec(output)?.[1]);
        if (code !== 0 || !Number.isFinite(seconds)) fail(new Error(`demo --users ${users} --store ${store} exited ${code}`));
        else done(seconds);
      });
    });
  const memory = [];
  const embedded = [];
  for (let round = 0; round < (smoke ? 1 : 2); round++) {
    memory.push(await run(smoke ? 20_000 : 100_000, 'memory'));
    embedded.push(await run(smoke ? 20_000 : 100_000, 'embedded'));
  }
  const result = { case: 'demo', users: smoke ? 20_000 : 100_000, memorySeconds: Math.min(...memory), embeddedSeconds: Math.min(...embedded) };
  result.ratio = result.embeddedSeconds / result.memorySeconds;
  target(`demo at ${result.users} users: embedded store ÷ MemoryStore`, result.ratio, 3, 'lower');
  if (full) {
    result.embeddedSecondsAtMillion = await run(1_000_000, 'embedded');
    target('demo at 1,000,000 users on the embedded store, seconds', result.embeddedSecondsAtMillion, 60, 'lower');
  }
  report(result);
}

if (args[0] === '--redis-writer') await redisWriter(args.slice(1));

const cases = { listing, 'sqlite-enroll': sqliteEnroll, 'file-enroll': fileEnroll, 'redis-writes': redisWrites, demo };
try {
  for (const [name, run] of Object.entries(cases)) {
    if (only ? !only.has(name) : name === 'demo' && !full && !args.includes('--demo')) continue;
    await run();
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify({ targets })}\n`);
process.exit(0);
