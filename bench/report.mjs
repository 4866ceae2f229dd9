// Renders docs/benchmarks.md and docs/benchmarks.svg from a bench report (bench/results.json,
// written by bench/run.mjs). The docs are never edited by hand: `node bench/report.mjs`
// re-renders them from the last run.
import { readFileSync, writeFileSync } from 'node:fs';

const fmt = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0));
const x = (s) => (s.min === s.max ? s.median.toFixed(2) : `${s.median.toFixed(2)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})`);
const escape = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** An ASCII bar of `value` out of `max`, `width` characters at most. */
export function bar(value, max, width = 40) {
  const filled = Math.max(0, Math.min(width, Math.round((value / max) * width)));
  return `${'█'.repeat(filled)}${'·'.repeat(width - filled)}`;
}

const ms = (n) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
const mmm = (s) => `${ms(s.median)} (${ms(s.min)}–${ms(s.max)})`;

function scaleSection(scale, results) {
  if (!scale?.load) return '-';
  const lines = [];
  lines.push('### Loading flags and their memory', '');
  lines.push(
    'Each size in a fresh process, on a `MemoryStore`; CPU time. The floor reads the same records from one JSON',
    'file and parses them; "store listing" is the store handing over every record (its own read and parse).',
    'Heap is retained heap after a full GC; GrowthBook holds the same number of features (its parsed payload).',
    '',
  );
  lines.push('| flags | phasegate load | read + `JSON.parse` floor | × floor | store listing | heap per flag | after evaluating each once | GrowthBook heap per feature | × GrowthBook |', '|---|---|---|---|---|---|---|---|---|');
  for (const row of scale.load) {
    lines.push(`| ${row.flags.toLocaleString('en')} | ${ms(row.loadMs)} ms | ${ms(row.floorMs)} ms | ${(row.loadMs / row.floorMs).toFixed(2)} | ${ms(row.listMs)} ms | ${Math.round(row.bytesPerFlag)} B | ${Math.round(row.bytesPerFlagEvaluated)} B | ${Math.round(row.peerBytesPerFlag)} B | ${(row.bytesPerFlag / row.peerBytesPerFlag).toFixed(2)} |`);
  }
  lines.push('');
  const max = Math.max(...scale.load.flatMap((row) => [row.loadMs, row.floorMs, row.listMs]));
  lines.push(
    '```text',
    ...scale.load.flatMap((row) => [
      `${`${row.flags.toLocaleString('en')} flags`.padStart(14)}  load     ${bar(row.loadMs, max)} ${ms(row.loadMs)} ms`,
      `${''.padStart(14)}  listing  ${bar(row.listMs, max)} ${ms(row.listMs)} ms`,
      `${''.padStart(14)}  floor    ${bar(row.floorMs, max)} ${ms(row.floorMs)} ms`,
    ]),
    '```',
    '',
  );
  const tenK = results.find((r) => r.name === 'phasegate isEnabled, 10k flags');
  if (tenK) lines.push(`Evaluation with 10,000 flags loaded runs at ${x(tenK.xFloor)} × the floor (see the table above): lookups do not grow with the flag count.`, '');
  const flush = scale.flush;
  lines.push('### Exposure flush on Redis', '');
  if (!flush || flush.skipped) lines.push(`Not measured: ${flush?.skipped ?? 'no result'}.`, '');
  else {
    lines.push(
      `A client holding ${flush.flags.toLocaleString('en')} flags, every one evaluated for new users between flushes, on a Redis of its own`,
      '(loopback, AOF fsync every second); wall time, median (min–max) over rounds. The store floor is one get and',
      'one put of a sketch-sized record per flag, one after the other.',
      '',
      '| flush | time |',
      '|---|---|',
      `| ${flush.flags.toLocaleString('en')} flags changed since the last flush | ${mmm(flush.changedMs)} ms |`,
      `| nothing changed | ${mmm(flush.unchangedMs)} ms |`,
      `| the first flush (also applies retention) | ${ms(flush.firstMs)} ms |`,
      `| store floor: ${flush.flags.toLocaleString('en')} × (get + put) in sequence | ${ms(flush.floorMs)} ms |`,
      '',
    );
  }
  const big = scale.bigList;
  lines.push('### Big user lists', '');
  if (!big || big.skipped) lines.push(`Not measured: ${big?.skipped ?? 'no result'}.`, '');
  else {
    lines.push(
      `A flag with a user list of ${big.ids.toLocaleString('en')} ids on Redis; another process follows it and answers from each new`,
      `version. Propagation: from the write's start to the reader's first answer from the new version (wall time).`,
      `Reader stall: the longest gap between ticks of a 1 ms timer in the reader, in its CPU time (the work that`,
      `blocked its loop) and in wall time (which on a loaded machine also counts time the OS gave to others).`,
      `Median (min–max) over ${big.rounds} round(s).`,
      '',
      '| change | propagation | reader stall, CPU | reader stall, wall |',
      '|---|---|---|---|',
      `| the list kept (description changed) | ${mmm(big.listKept.propagationMs)} ms | ${mmm(big.listKept.readerStallCpuMs)} ms | ${mmm(big.listKept.readerStallMs)} ms |`,
      `| the list changed (one id replaced) | ${mmm(big.listChanged.propagationMs)} ms | ${mmm(big.listChanged.readerStallCpuMs)} ms | ${mmm(big.listChanged.readerStallMs)} ms |`,
      '',
    );
  }
  return lines.join('\n');
}

/** The markdown page and the SVG chart of a report. */
export function renderReport(report) {
  const { machine, settings, results, targets, allocations, scale } = report;
  const date = report.date.slice(0, 10);
  const load = (l) => l.map((n) => n.toFixed(2)).join(' / ');
  const rows = results
    .map((r) => `| ${r.label} | ${r.group} | ${fmt(r.opsPerSecond)} | ${x(r.xFloor)} | ${(r.enabledFraction * 100).toFixed(2)}% |`)
    .join('\n');
  const provider = targets.find((t) => t.name.startsWith('OpenFeature: PhasegateProvider'));
  const markdown = `# Benchmarks

Generated by \`npm run bench\` (bench/run.mjs, rendered by bench/report.mjs from bench/results.json;
never edited by hand) on ${date}: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.platform}.
Load average (1 / 5 / 15 min) ${load(machine.loadBefore)} before the run and ${load(machine.loadAfter)} after: this is a
shared machine, so read the spreads.

## How it is measured

- Cases are measured in **groups, each in one process, interleaved**: every round runs one batch
  of every case of the group (about ${settings.batchMs} ms of CPU each, order rotating), ${settings.rounds} rounds. Every group
  also runs the floor, and all but the exposure group \`phasegate isEnabled\`, so each ratio
  compares cases that ran in the same process within the same second. The exposure group holds
  one client, as a real process does: two clients in one process share \`isEnabled\`'s type
  feedback in the JIT and both run slower (the "in a process with another client" row).
- Ratios marked "across processes" divide two cases' × floor medians, each against the floor
  of its own process.
- The clock is **CPU time** (\`process.cpuUsage\`, user + system, GC threads included), not wall
  time: another process holding the core does not count against a case.
- A ratio is given as **median (min–max) over the rounds**, each round's ratio taken from that
  round's batches. A target is met when its median reaches the goal.
- The workload is a 10% rollout evaluated for 10,000 distinct user ids, cycled. Every peer is
  fully offline (bootstrapped in-process; any URL points at a closed loopback port). Each case's
  enabled fraction is checked against its flag, so no case can win by doing nothing.
- The floor is MurmurHash3 x86_32 hand-inlined over the bytes of \`bench:<id>\` with no
  allocation at all, the least any percentage evaluator can do. OpenFeature cases go through the
  real \`@openfeature/server-sdk\` client (\`await client.getBooleanValue\`). "All flags for one
  user" evaluates 20 percentage flags for one user per call, through each SDK's own way to do it.

| case | group | evaluations/s (CPU) | × floor, median (min–max) | enabled |
|---|---|---|---|---|
${rows}

![benchmark chart](benchmarks.svg)

## Targets

| target | measured, median (min–max) | goal | met |
|---|---|---|---|
${targets.map((t) => `| ${t.name} | ${x(t)}${t.inProcess ? '' : ' (across processes, via each floor)'} | ${t.goal ?? '-'} | ${t.met === null ? '-' : t.met ? 'yes' : '**no**'} |`).join('\n')}
${
  provider
    ? `
About the OpenFeature target: through \`@openfeature/server-sdk\` every call pays the SDK's own cost
(context merging, hook contexts, frozen results, transpiled async helpers), which no provider can avoid. The
no-op provider answers a constant and does nothing else, so it is the ceiling; PhasegateProvider reaches
${(provider.median * 100).toFixed(0)}% of it. Call \`gate.isEnabled\` directly where speed matters.
`
    : ''
}
## Allocation

${allocations.length ? allocations.map((a) => `- \`${a.name}\`: ${a.collections} garbage collections during ${a.iterations.toLocaleString('en')} calls with ASCII ids (run under \`--trace-gc\`; none means no per-call allocation).`).join('\n') : '-'}

## Scale

${scaleSection(scale, results)}
`;
  return { markdown, svg: svg(report) };
}

/** Bars of × floor (log scale) with a whisker from the worst round to the best. */
function svg({ results, date, machine }) {
  const width = 820;
  const barHeight = 20;
  const left = 420;
  const span = width - left - 110;
  const values = results.flatMap((r) => [r.xFloor.min, r.xFloor.max]).filter((v) => v > 0);
  const low = Math.floor(Math.log10(Math.min(...values)));
  const high = Math.ceil(Math.log10(Math.max(...values)));
  const at = (v) => ((Math.log10(Math.max(v, 10 ** low)) - low) / (high - low)) * span;
  const colour = (kind) => (kind === 'floor' ? '#9aa5b8' : kind.endsWith('peer') ? '#d9822b' : kind === 'openfeature' ? '#8e6bbf' : kind === 'reference' ? '#b7bfcc' : '#2f6fde');
  const rows = results
    .map((r, i) => {
      const y = 40 + i * (barHeight + 6);
      const mid = y + barHeight / 2;
      return [
        `<text x="${left - 8}" y="${y + 14}" text-anchor="end">${escape(r.label)}</text>`,
        `<rect x="${left}" y="${y}" width="${at(r.xFloor.median).toFixed(1)}" height="${barHeight}" fill="${colour(r.kind)}"/>`,
        `<line x1="${(left + at(r.xFloor.min)).toFixed(1)}" x2="${(left + at(r.xFloor.max)).toFixed(1)}" y1="${mid}" y2="${mid}" stroke="#222"/>`,
        `<text x="${(left + Math.max(at(r.xFloor.median), at(r.xFloor.max)) + 6).toFixed(1)}" y="${y + 14}">${r.xFloor.median < 0.1 ? r.xFloor.median.toFixed(3) : r.xFloor.median.toFixed(2)} ×</text>`,
      ].join('');
    })
    .join('\n');
  const ticks = [];
  for (let e = low; e <= high; e++) ticks.push(`<line x1="${(left + at(10 ** e)).toFixed(1)}" x2="${(left + at(10 ** e)).toFixed(1)}" y1="30" y2="${40 + results.length * (barHeight + 6)}" stroke="#ddd"/><text x="${(left + at(10 ** e)).toFixed(1)}" y="28" text-anchor="middle" fill="#666">${10 ** e >= 1 ? 10 ** e : (10 ** e).toFixed(-e)} ×</text>`);
  const height = 50 + results.length * (barHeight + 6);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">
<text x="8" y="16" font-weight="600">Speed as a multiple of the allocation-free floor (log scale; line: worst to best round), Node ${machine.node}, ${date.slice(0, 10)}</text>
${ticks.join('\n')}
${rows}
</svg>
`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const report = JSON.parse(readFileSync(new URL('./results.json', import.meta.url), 'utf8'));
  const { markdown, svg: chart } = renderReport(report);
  writeFileSync(new URL('../docs/benchmarks.md', import.meta.url), markdown);
  writeFileSync(new URL('../docs/benchmarks.svg', import.meta.url), chart);
  process.stderr.write('wrote docs/benchmarks.md and docs/benchmarks.svg\n');
}
