// Guarded-rollout simulations: `npx tsx bench/guarded.mjs` (1,000 simulated releases per row).
// Prints a table with the 95% confidence interval of each rollback rate, and rewrites the results
// section of docs/guarded-rollouts.md and the picture docs/guarded-rollouts.svg.
// --quick: 20 runs per row (the smoke test); --no-write: do not touch docs/.
// Seeded: the same numbers on every machine and every run.
import { readFileSync, writeFileSync } from 'node:fs';
import { REFERENCE_GUARD_SCENARIO, simulateGuard, traceSequentialGuard } from '../src/analytics/guard-simulation.ts';

const quick = process.argv.includes('--quick');
const write = !process.argv.includes('--no-write');
const runs = quick ? 20 : 1_000;

const base = { ...REFERENCE_GUARD_SCENARIO, runs, seed: 18 };
const scenarios = [
  { name: 'A/A: no difference (2% errors in both arms)', options: { ...base, treatmentRate: 0.02 }, harmful: false },
  { name: 'release doubles the error rate (4% against 2%)', options: { ...base, treatmentRate: 0.04 }, harmful: true },
  { name: 'A/A during a fleet-wide incident (8% errors for everyone, hours 6–9)', options: { ...base, treatmentRate: 0.02, fleetIncident: { atHour: 6, hours: 3, rate: 0.08 } }, harmful: false },
];
const guards = [
  { name: 'sequential vs control (α = 5%)', guard: { method: 'sequential' } },
  { name: 'absolute limit 5 (default trigger)', guard: { method: 'absolute', limit: 5 } },
  { name: 'absolute limit 3 (tightened)', guard: { method: 'absolute', limit: 3 } },
];

const rows = [];
for (const scenario of scenarios) {
  for (const { name, guard } of guards) {
    const started = performance.now();
    const summary = simulateGuard({ ...scenario.options, guard });
    rows.push({ scenario: scenario.name, harmful: scenario.harmful, guard: name, method: guard.method, ...summary, ms: performance.now() - started });
    process.stderr.write(`${scenario.name.slice(0, 40).padEnd(40)} ${name.padEnd(36)} rolled back ${String(summary.rollbacks).padStart(4)}/${runs}\n`);
  }
}

const pct = (x) => `${(x * 100).toFixed(1)}%`;
const interval = (r) => `${pct(r.rollbackRateInterval[0])}–${pct(r.rollbackRateInterval[1])}`;
const table = [
  '| scenario | guard | rolled back | 95% CI | ever held | rolled back in phase 1 | median observations to rollback | median hours to rollback |',
  '|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.scenario} | ${r.guard} | ${r.rollbacks} of ${r.runs} (${pct(r.rollbackRate)}) | ${interval(r)} | ${r.method === 'absolute' ? r.heldRuns : '-'} | ${r.rollbacks ? r.rolledBackInFirstPhase : '-'} | ${r.medianObservationsToDetection === null ? '-' : Math.round(r.medianObservationsToDetection).toLocaleString('en')} | ${r.medianHoursToDetection === null ? '-' : r.medianHoursToDetection.toFixed(1)} |`,
  ),
].join('\n');
process.stdout.write(`${table}\n`);

// The picture: one harmful and one harmless release, the interval of the difference narrowing.
const harmful = traceSequentialGuard({ ...base, seed: 5, treatmentRate: 0.04 });
const harmless = traceSequentialGuard({ ...base, seed: 5, treatmentRate: 0.02 }).slice(0, harmful.length * 2);

function svg() {
  const width = 760;
  const height = 330;
  const left = 70;
  const right = 20;
  const top = 40;
  const bottom = 50;
  const hoursMax = Math.max(harmless.at(-1).hours, harmful.at(-1).hours);
  const yMin = -4;
  const yMax = 6;
  const x = (h) => left + (h / hoursMax) * (width - left - right);
  const y = (d) => top + ((yMax - Math.max(yMin, Math.min(yMax, d * 100))) / (yMax - yMin)) * (height - top - bottom);
  const band = (points, colour) => {
    const withInterval = points.filter((p) => p.interval);
    const upper = withInterval.map((p) => `${x(p.hours).toFixed(1)},${y(p.interval[1]).toFixed(1)}`);
    const lower = withInterval.map((p) => `${x(p.hours).toFixed(1)},${y(p.interval[0]).toFixed(1)}`).reverse();
    const line = withInterval.map((p) => `${x(p.hours).toFixed(1)},${y(p.difference).toFixed(1)}`).join(' ');
    return `<polygon points="${[...upper, ...lower].join(' ')}" fill="${colour}" fill-opacity="0.22" stroke="none"/>\n<polyline points="${line}" fill="none" stroke="${colour}" stroke-width="1.5"/>`;
  };
  const ticks = [];
  for (let d = yMin; d <= yMax; d += 2) ticks.push(`<line x1="${left}" x2="${width - right}" y1="${y(d / 100)}" y2="${y(d / 100)}" stroke="#e3e6eb"/><text x="${left - 6}" y="${y(d / 100) + 4}" text-anchor="end">${d > 0 ? '+' : ''}${d}</text>`);
  const hourTicks = [];
  for (let h = 0; h <= hoursMax; h += 4) hourTicks.push(`<text x="${x(h)}" y="${height - bottom + 16}" text-anchor="middle">${h}</text>`);
  const detected = harmful.at(-1);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">
<title>Treatment minus control error rate, with its always-valid 95% interval, for a harmful and a harmless release</title>
<text x="8" y="18" font-weight="600">Error rate of the release's users minus everyone else's (percentage points), 95% always-valid interval</text>
${ticks.join('\n')}
<line x1="${left}" x2="${width - right}" y1="${y(0)}" y2="${y(0)}" stroke="#555" stroke-dasharray="4 3"/>
${band(harmless, '#2f6fde')}
${band(harmful, '#d9412b')}
<line x1="${x(detected.hours)}" x2="${x(detected.hours)}" y1="${top}" y2="${height - bottom}" stroke="#d9412b" stroke-dasharray="2 2"/>
<text x="${x(detected.hours) + 6}" y="${top + 14}" fill="#d9412b">harmful release (4% errors against 2%):</text>
<text x="${x(detected.hours) + 6}" y="${top + 29}" fill="#d9412b">interval above 0, regression, rolled back</text>
<text x="${x(detected.hours) + 6}" y="${top + 44}" fill="#d9412b">after ${detected.hours.toFixed(1)} h, ${detected.treatmentCount.toLocaleString('en')} observations from its users</text>
<text x="${x(harmless.at(-1).hours) - 4}" y="${y(harmless.at(-1).interval?.[0] ?? 0) + 18}" text-anchor="end" fill="#2f6fde">harmless release: the interval keeps 0 inside</text>
${hourTicks.join('\n')}
<text x="${(left + width - right) / 2}" y="${height - 12}" text-anchor="middle">hours since the release started (5% of users)</text>
</svg>
`;
}

if (write) {
  const docUrl = new URL('../docs/guarded-rollouts.md', import.meta.url);
  const doc = readFileSync(docUrl, 'utf8');
  const start = '<!-- simulation results: generated by bench/guarded.mjs -->';
  const end = '<!-- end of simulation results -->';
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  if (from < 0 || to < from) throw new Error('docs/guarded-rollouts.md lost its simulation markers');
  const section = `${start}\n\n${runs.toLocaleString('en')} simulated releases per row (seed ${base.seed}; 2,000 observations an hour, a look every 10 minutes,\n5% of users for 24 h then 20% for 24 h):\n\n${table}\n\n${end}`;
  writeFileSync(docUrl, doc.slice(0, from) + section + doc.slice(to + end.length));
  writeFileSync(new URL('../docs/guarded-rollouts.svg', import.meta.url), svg());
  process.stderr.write('wrote docs/guarded-rollouts.md (results) and docs/guarded-rollouts.svg\n');
}
process.stdout.write(`${JSON.stringify({ runs, rows })}\n`);
