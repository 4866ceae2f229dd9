// Import time in Node: `npm run build && node bench/import-time.mjs` (--quick: a few rounds, the
// smoke test). Each sample is a fresh Node process that imports one package and reports how long
// `await import(…)` took, in CPU time of that process (so other load on the machine counts less).
// The packages take turns round by round (interleaved), and the floor (importing an empty module)
// runs in the same rounds. Reported as ratios of medians, never as absolute times: issue 21 asks
// for phasegate's import to cost at most 1.2 × GrowthBook's.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..');
const quick = process.argv.includes('--quick');
const rounds = quick ? 3 : 25;

const scratch = mkdtempSync(join(tmpdir(), 'phasegate-import-time-'));
const empty = join(scratch, 'empty.mjs');
writeFileSync(empty, 'export {};\n');

/** What each sample imports, and a check that the import really gave the package. */
const subjects = [
  { name: 'floor (empty module)', specifier: pathToFileURL(empty).href, check: '' },
  // Bare names, resolved from this checkout as a user's code would: phasegate through its own
  // package.json `exports` (the built dist/), GrowthBook from node_modules.
  { name: 'phasegate', specifier: 'phasegate', check: 'createPhasegate' },
  { name: 'growthbook', specifier: '@growthbook/growthbook', check: 'GrowthBook' },
];

function sample(subject) {
  const script = `
    const before = process.cpuUsage();
    const module = await import(${JSON.stringify(subject.specifier)});
    const used = process.cpuUsage(before);
    if (${JSON.stringify(subject.check)} && typeof module[${JSON.stringify(subject.check)}] !== 'function') throw new Error('missing export');
    console.log((used.user + used.system) / 1000);`;
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' }).trim());
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

try {
  const samples = new Map(subjects.map((subject) => [subject.name, []]));
  for (let round = 0; round < rounds; round++) {
    // Rotate the order every round so no package always runs first.
    for (let i = 0; i < subjects.length; i++) {
      const subject = subjects[(round + i) % subjects.length];
      samples.get(subject.name).push(sample(subject));
    }
  }
  const medians = Object.fromEntries([...samples].map(([name, values]) => [name, median(values)]));
  const floor = medians['floor (empty module)'];
  const above = (name) => Math.max(medians[name] - floor, 0.001);
  const ratio = above('phasegate') / above('growthbook');
  const report = {
    rounds,
    medianCpuMs: medians,
    ratios: { 'phasegate / growthbook (above the floor)': Number(ratio.toFixed(2)), target: 1.2 },
    withinTarget: ratio <= 1.2,
  };
  for (const [name, value] of Object.entries(medians)) console.error(`${name.padEnd(22)} ${value.toFixed(1)} ms CPU (median of ${rounds})`);
  console.error(`phasegate / growthbook, above the floor: ${ratio.toFixed(2)} (target ≤ 1.2)`);
  console.log(JSON.stringify(report));
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
