// Runs one benchmark case in this process and prints a JSON result on stdout.
// argv: caseName iterations runs [--gc-check]
import { cases } from './cases.mjs';

const [name, iterationsArg, runsArg, gcFlag] = process.argv.slice(2);
const definition = cases[name];
if (!definition) throw new Error(`unknown case ${name}`);
const iterations = Number(iterationsArg);
const runs = Number(runsArg);
const USERS = 10_000;
const users = Array.from({ length: USERS }, (_, i) => `user-${i}`);

const instance = await definition.setup(users);
const evaluate = instance.evaluate;

async function loopAsync(count) {
  let on = 0;
  for (let i = 0; i < count; i++) if (await evaluate(users[i % USERS])) on++;
  return on;
}
function loopSync(count) {
  let on = 0;
  for (let i = 0; i < count; i++) if (evaluate(users[i % USERS])) on++;
  return on;
}
const loop = definition.async ? loopAsync : loopSync;

// Warm-up: let the JIT settle.
await loop(Math.min(iterations, 1_000_000));
await loop(Math.min(iterations, 1_000_000));

if (gcFlag === '--gc-check') {
  // Run under --trace-gc with contexts built up front (so the harness allocates nothing): any
  // allocation inside isEnabled fills the young generation and prints a Scavenge line between
  // these markers.
  if (!instance.evaluateContext) throw new Error(`${name} has no evaluateContext for the allocation check`);
  const contexts = users.map((userId) => ({ userId }));
  const check = instance.evaluateContext;
  let on = 0;
  for (let i = 0; i < 1_000_000; i++) if (check(contexts[i % USERS])) on++;
  console.log('GC-CHECK-START');
  for (let i = 0; i < iterations; i++) if (check(contexts[i % USERS])) on++;
  console.log('GC-CHECK-END', on);
  process.exit(0);
}

const opsPerSecond = [];
let enabled = 0;
for (let run = 0; run < runs; run++) {
  const start = process.hrtime.bigint();
  enabled = await loop(iterations);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  opsPerSecond.push(iterations / seconds);
}
await instance.close?.();
process.stdout.write(`${JSON.stringify({ name, opsPerSecond, enabledFraction: enabled / iterations })}\n`);
process.exit(0);
