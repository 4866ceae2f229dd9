// npm run bench: every group of cases in its own process, its cases interleaved on a CPU-time
// clock (bench/harness.mjs), reported as ratios with their spread over rounds; then the
// allocation check and the scale report. Writes bench/results.json, and docs/benchmarks.md and
// docs/benchmarks.svg through bench/report.mjs (re-render alone with `node bench/report.mjs`).
//   --quick: tiny batches (the smoke test); --no-write: touch no file; --only=<text>: the groups
//   holding cases whose name contains <text>; --rounds=N, --batch-ms=M: override the defaults.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { ANCHORS, cases, groupOf } from './cases.mjs';
import { roundRatios, spread } from './harness.mjs';
import { renderReport } from './report.mjs';

const quick = process.argv.includes('--quick');
const write = !process.argv.includes('--no-write');
const option = (name) => process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
const only = option('only');
const rounds = Number(option('rounds') ?? (quick ? 3 : 11));
const batchMs = Number(option('batch-ms') ?? (quick ? 4 : 60));
const here = new URL('.', import.meta.url).pathname;
const node = (args, options = {}) => execFileSync(process.execPath, args, { encoding: 'utf8', timeout: 900_000, maxBuffer: 64 * 1024 * 1024, ...options });

const loadBefore = os.loadavg();
const groups = [...new Set(Object.entries(cases).filter(([name]) => !only || name.includes(only)).map(([, definition]) => groupOf(definition)))];
const measured = {};
for (const group of groups) {
  const output = node([`${here}case.mjs`, 'group', group, String(rounds), String(batchMs), ...(only ? [only] : [])]);
  measured[group] = JSON.parse(output.trim().split('\n').pop());
  process.stderr.write(`group ${group}: ${measured[group].results.length} cases, ${measured[group].cpuSeconds.toFixed(1)} CPU s\n`);
}

/** The measurement of `name` in `group` (its home group unless given). */
function measurement(name, group = groupOf(cases[name])) {
  return measured[group]?.results.find((r) => r.name === name);
}

const results = [];
const problems = [];
for (const group of groups) {
  for (const m of measured[group].results) {
    // An anchor is reported from its home group; elsewhere it only anchors ratios.
    if (ANCHORS.includes(m.name) && groupOf(cases[m.name]) !== group && groups.includes(groupOf(cases[m.name]))) continue;
    const definition = cases[m.name];
    const enabledFraction = m.on / m.total;
    // No case may win by doing nothing: the enabled fraction must be what its flag says.
    const tolerance = definition.expected === 0 || definition.expected === 1 ? 0 : 0.02;
    const valid = Math.abs(enabledFraction - definition.expected) <= tolerance;
    if (!valid) problems.push(`${m.name}: enabled fraction ${enabledFraction} is not the expected ${definition.expected}`);
    const floor = measured[group].results.find((r) => r.name === 'floor');
    results.push({
      name: m.name,
      label: definition.label,
      kind: definition.kind,
      group,
      opsPerSecond: spread(m.opsPerSecond).median,
      rounds: m.opsPerSecond,
      xFloor: spread(roundRatios(m.opsPerSecond, floor.opsPerSecond)),
      enabledFraction,
      valid,
    });
    const x = results.at(-1).xFloor;
    process.stderr.write(`${m.name.padEnd(34)} ${(results.at(-1).opsPerSecond / 1e6).toFixed(3).padStart(8)} M/s  × floor ${x.median.toFixed(2)} (${x.min.toFixed(2)}–${x.max.toFixed(2)})  enabled ${(enabledFraction * 100).toFixed(2)}%\n`);
  }
}

/**
 * The ratio a/b: round by round when both ran in one process (a's home group, or b's), else the
 * ratio of their × floor medians (each against the floor of its own process), marked as such.
 */
function pair(a, b) {
  for (const group of [groupOf(cases[a] ?? {}), groupOf(cases[b] ?? {})]) {
    const ma = measurement(a, group);
    const mb = measurement(b, group);
    if (ma && mb) return { ...spread(roundRatios(ma.opsPerSecond, mb.opsPerSecond)), inProcess: true };
  }
  const ra = results.find((r) => r.name === a);
  const rb = results.find((r) => r.name === b);
  if (!ra || !rb) return undefined;
  const value = ra.xFloor.median / rb.xFloor.median;
  return { min: value, median: value, max: value, inProcess: false };
}

/** The fastest of `names` as measured next to `against` (by median ratio). */
function fastestOf(names, against) {
  return names.map((name) => ({ name, ratio: pair(against, name) })).filter((p) => p.ratio).sort((x, y) => x.ratio.median - y.ratio.median)[0];
}

const targets = [];
const target = (name, a, b, goal) => {
  const ratio = pair(a, b);
  if (ratio) targets.push({ name, ...ratio, value: ratio.median, goal, met: goal === null ? null : ratio.median >= goal });
};
const namesOf = (kind) => results.filter((r) => r.kind === kind).map((r) => r.name);
target('isEnabled (percentage), exposure off ≥ 0.85 × floor', 'phasegate isEnabled', 'floor', 0.85);
target('isEnabled (percentage), exposure on ≥ 0.8 × floor', 'phasegate isEnabled + exposure', 'floor', 0.8);
target('exposure counting on ≥ 0.9 × off', 'phasegate isEnabled + exposure', 'phasegate isEnabled', 0.9);
target('context, not a target: exposure on, with a second client (exposure off) in the same process, × floor', 'phasegate isEnabled + exposure, beside a client without', 'floor', null);
const fastestPeer = fastestOf(namesOf('peer'), 'phasegate isEnabled');
if (fastestPeer) target(`isEnabled ≥ 5 × fastest peer (${fastestPeer.name})`, 'phasegate isEnabled', fastestPeer.name, 5);
const fastestAllFlagsPeer = fastestOf(namesOf('all-flags-peer'), 'all-flags phasegate');
if (fastestAllFlagsPeer) target(`all flags for one user ≥ 5 × fastest peer (${fastestAllFlagsPeer.name})`, 'all-flags phasegate', fastestAllFlagsPeer.name, 5);
for (const name of ['phasegate ring', 'phasegate userList 1k', 'phasegate enabled', 'phasegate disabled']) target(`${name.replace('phasegate ', '')} faster than percentage`, name, 'phasegate isEnabled', 1);
target('user list of 100,000 ≥ 0.5 × user list of 1,000 (O(1): 100 × the ids is not 100 × the time)', 'phasegate userList 100k', 'phasegate userList 1k', 0.5);
target('context, not a target: user list of 100,000 × percentage', 'phasegate userList 100k', 'phasegate isEnabled', null);
target('10,000 flags loaded ≥ 0.9 × one flag (no growth)', 'phasegate isEnabled, 10k flags', 'phasegate isEnabled', 0.9);
const fastestTargetingPeer = fastestOf(namesOf('targeting-peer'), 'targeting phasegate');
if (fastestTargetingPeer) target(`targeting (3 conditions + 10%) ≥ 10 × fastest peer on the same logic (${fastestTargetingPeer.name})`, 'targeting phasegate', fastestTargetingPeer.name, 10);
// The SDK's own cost is the ceiling: a provider can only be measured against a no-op one through the same client.
target('OpenFeature: PhasegateProvider ≥ 0.9 × a no-op provider through the same SDK client', 'openfeature phasegate', 'openfeature no-op (ceiling)', 0.9);
target('context, not a target: PhasegateProvider × OpenFeature in-memory provider', 'openfeature phasegate', 'openfeature in-memory', null);
target('OpenFeature: PhasegateProvider getStringValue (3-way split) ≥ 0.9 × a no-op provider', 'openfeature phasegate string', 'openfeature no-op string (ceiling)', 0.9);
for (const t of targets) process.stderr.write(`target ${t.name}: ${t.median.toFixed(2)} (${t.min.toFixed(2)}–${t.max.toFixed(2)})${t.met === false ? '  NOT MET' : ''}\n`);

// Allocation check: no Scavenge between the markers over 5M calls means < 1 byte per call.
function gcCheck(name) {
  const iterations = quick ? 200_000 : 5_000_000;
  const output = node(['--trace-gc', `${here}case.mjs`, 'gc-check', name, String(iterations)]);
  const between = output.slice(output.indexOf('GC-CHECK-START'), output.indexOf('GC-CHECK-END'));
  return { name, iterations, collections: (between.match(/Scavenge|Mark-Compact|Mark-sweep/g) ?? []).length };
}
const allocations = only ? [] : ['phasegate isEnabled', 'phasegate isEnabled + exposure', 'targeting phasegate'].map(gcCheck);
for (const a of allocations) process.stderr.write(`allocation check ${a.name}: ${a.collections} garbage collections in ${a.iterations.toLocaleString('en')} calls\n`);

// Scale: each size of flag set in a fresh process; the exposure flush and big user lists on a
// Redis of their own (skipped, and said so, where redis-server is not installed).
const lastLine = (output) => JSON.parse(output.trim().split('\n').pop());
let scale;
if (!only) {
  const load = (quick ? [1000] : [1000, 10_000, 100_000]).map((flags) => lastLine(node(['--expose-gc', `${here}scale.mjs`, String(flags)])));
  for (const row of load) process.stderr.write(`scale: ${row.flags} flags load in ${row.loadMs.toFixed(0)} ms CPU (floor ${row.floorMs.toFixed(0)} ms), ${Math.round(row.bytesPerFlag)} B per flag (GrowthBook ${Math.round(row.peerBytesPerFlag)} B)\n`);
  const flush = lastLine(node([`${here}flush.mjs`, quick ? '50' : '1000', quick ? '1' : '5']));
  if (!flush.skipped) process.stderr.write(`flush: ${flush.flags} changed flags in ${flush.changedMs.median.toFixed(0)} ms (store floor ${flush.floorMs.toFixed(0)} ms), nothing changed ${flush.unchangedMs.median.toFixed(1)} ms\n`);
  const bigList = lastLine(node([`${here}big-list.mjs`, quick ? '20000' : '1000000', quick ? '1' : '3']));
  if (!bigList.skipped) process.stderr.write(`big list: ${bigList.ids} ids, list kept: ${bigList.listKept.propagationMs.median.toFixed(0)} ms to propagate, reader stall ${bigList.listKept.readerStallCpuMs.max.toFixed(0)} ms CPU\n`);
  scale = { load, flush, bigList, flags: load[0].flags };
}

const report = {
  date: new Date().toISOString(),
  machine: { cpu: os.cpus()[0]?.model ?? 'unknown CPU', cores: os.cpus().length, node: process.version, platform: `${os.platform()} ${os.arch()}`, loadBefore, loadAfter: os.loadavg() },
  settings: { rounds, batchMs, quick },
  results,
  targets,
  allocations,
  scale,
  problems,
};
if (write) {
  writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(report, null, 1)}\n`);
  const { markdown, svg } = renderReport(report);
  writeFileSync(new URL('../docs/benchmarks.md', import.meta.url), markdown);
  writeFileSync(new URL('../docs/benchmarks.svg', import.meta.url), svg);
  process.stderr.write('wrote bench/results.json, docs/benchmarks.md and docs/benchmarks.svg\n');
}
process.stdout.write(`${JSON.stringify(report)}\n`);
if (problems.length) {
  process.stderr.write(`invalid cases:\n${problems.join('\n')}\n`);
  process.exitCode = 1;
}
