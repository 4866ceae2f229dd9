// Runs one group of benchmark cases in this process, interleaved on a CPU-time clock (see
// harness.mjs), and prints a JSON result on stdout.
//   node bench/case.mjs group <group> <rounds> <batchMs> [onlyText]
//   node bench/case.mjs gc-check <case> <iterations>      (run under --trace-gc)
import { anchorsOf, cases, groupOf } from './cases.mjs';
import { measureInterleaved } from './harness.mjs';

const USERS = 10_000;
const users = Array.from({ length: USERS }, (_, i) => `user-${i}`);
const [mode, ...args] = process.argv.slice(2);

if (mode === 'gc-check') {
  const [name, iterationsArg] = args;
  const definition = cases[name];
  if (!definition) throw new Error(`unknown case ${name}`);
  const instance = await definition.setup(users);
  // Contexts are built up front (so the harness allocates nothing): any allocation inside
  // isEnabled fills the young generation and prints a Scavenge line between these markers.
  if (!instance.evaluateContext) throw new Error(`${name} has no evaluateContext for the allocation check`);
  const contexts = users.map((userId) => ({ userId }));
  const check = instance.evaluateContext;
  const iterations = Number(iterationsArg);
  let on = 0;
  for (let i = 0; i < 1_000_000; i++) if (check(contexts[i % USERS])) on++;
  console.log('GC-CHECK-START');
  for (let i = 0; i < iterations; i++) if (check(contexts[i % USERS])) on++;
  console.log('GC-CHECK-END', on);
  process.exit(0);
}

if (mode !== 'group') throw new Error(`unknown mode ${mode}: use 'group' or 'gc-check'`);
const [group, roundsArg, batchMsArg, only] = args;
const anchors = anchorsOf(group);
const names = Object.keys(cases).filter((name) => groupOf(cases[name]) === group && (!only || name.includes(only) || anchors.includes(name)));
for (const anchor of anchors.toReversed()) if (!names.includes(anchor)) names.unshift(anchor);

const entries = [];
const instances = [];
for (const name of names) {
  const instance = await cases[name].setup(users);
  instances.push(instance);
  entries.push({ name, evaluate: instance.evaluate, async: Boolean(cases[name].async) });
}
const started = process.cpuUsage();
const measured = await measureInterleaved(entries, users, { rounds: Number(roundsArg), batchMs: Number(batchMsArg) });
const cpu = process.cpuUsage(started);
for (const instance of instances) await instance.close?.();
process.stdout.write(`${JSON.stringify({ group, cpuSeconds: (cpu.user + cpu.system) / 1e6, results: measured })}\n`);
process.exit(0);
