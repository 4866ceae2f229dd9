import type { Release } from '../releases/model.js';
import { describeComparison } from './metric-commands.js';
import type { Overview } from './overview.js';
import { describeFallthrough, showValue } from './variant-syntax.js';

const WIDTH = 640;
const HEIGHT = 220;
const PAD = { left: 48, right: 16, top: 28, bottom: 32 };

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** The flags with variants: type, values, what they serve when on (a variant or a split) and off. */
function variantSection(overview: Overview): string {
  const flags = overview.flags.filter((flag) => flag.variants !== undefined);
  if (flags.length === 0) return '';
  const rows = flags.map(
    (flag) =>
      `<tr><td>${escape(flag.key)}</td><td>${escape(flag.state)}</td><td>${escape(flag.valueType ?? 'boolean')}</td><td>${flag.variants!.map((variant) => escape(`${variant.name} = ${showValue(variant.value)}`)).join('<br>')}</td><td>${escape(describeFallthrough(flag.fallthrough))}</td><td>${escape(flag.offVariant ?? '-')}</td></tr>`,
  );
  return `<h2>Flags with variants</h2>
<table><tr><th>flag</th><th>state</th><th>type</th><th>variants</th><th>serves when on</th><th>when off</th></tr>
${rows.join('\n')}
</table>`;
}

interface Scale {
  x(value: number): number;
  y(value: number): number;
}

function scale(xMin: number, xMax: number, yMin: number, yMax: number): Scale {
  const xs = xMax > xMin ? xMax - xMin : 1;
  const ys = yMax > yMin ? yMax - yMin : 1;
  return {
    x: (v) => PAD.left + ((v - xMin) / xs) * (WIDTH - PAD.left - PAD.right),
    y: (v) => HEIGHT - PAD.bottom - ((v - yMin) / ys) * (HEIGHT - PAD.top - PAD.bottom),
  };
}

function points(values: ReadonlyArray<[number, number]>, s: Scale): string {
  return values.map(([x, y]) => `${s.x(x).toFixed(1)},${s.y(y).toFixed(1)}`).join(' ');
}

function axes(s: Scale, xMin: number, xMax: number, yMin: number, yMax: number, yLabel: string): string {
  const date = (t: number) => new Date(t).toISOString().slice(5, 10);
  return [
    `<line class="axis" x1="${PAD.left}" y1="${HEIGHT - PAD.bottom}" x2="${WIDTH - PAD.right}" y2="${HEIGHT - PAD.bottom}"/>`,
    `<line class="axis" x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${HEIGHT - PAD.bottom}"/>`,
    `<text x="${PAD.left}" y="${HEIGHT - 8}">${date(xMin)}</text>`,
    `<text x="${WIDTH - PAD.right}" y="${HEIGHT - 8}" text-anchor="end">${date(xMax)}</text>`,
    `<text x="${PAD.left - 6}" y="${s.y(yMax) + 4}" text-anchor="end">${round(yMax)}</text>`,
    `<text x="${PAD.left - 6}" y="${s.y(yMin) + 4}" text-anchor="end">${round(yMin)}</text>`,
    `<text x="${PAD.left}" y="14" class="unit">${escape(yLabel)}</text>`,
  ].join('');
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/** The exposure a release actually had over time (a step line from its history) and what its plan said. */
export function exposureSeries(release: Release, now: number): { actual: Array<[number, number]>; plan: Array<[number, number]> } {
  const actual: Array<[number, number]> = [];
  let level = 0;
  for (const event of release.history) {
    if (event.percentage === undefined) continue;
    actual.push([event.at, level], [event.at, event.percentage]);
    level = event.percentage;
  }
  const end = release.rollback?.at ?? release.releasedAt ?? now;
  if (actual.length) actual.push([Math.max(end, actual[actual.length - 1]![0]), level]);
  const plan: Array<[number, number]> = [];
  if (release.startedAt !== null) {
    let t = release.startedAt;
    let previous = 0;
    for (const phase of release.plan.phases) {
      plan.push([t, previous], [t, phase.percentage]);
      previous = phase.percentage;
      t += phase.durationMs;
    }
    plan.push([Math.max(t, end), previous]);
  }
  return { actual, plan };
}

function releaseChart(release: Release, now: number): string {
  const { actual, plan } = exposureSeries(release, now);
  const xs = [...actual, ...plan].map(([x]) => x);
  if (xs.length === 0) return '';
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const s = scale(xMin, xMax, 0, 100);
  const markers = release.rollback
    ? `<circle class="rollback" data-marker="rollback" cx="${s.x(release.rollback.at).toFixed(1)}" cy="${s.y(0).toFixed(1)}" r="5"><title>rolled back: ${escape(release.rollback.reason)}</title></circle>`
    : '';
  return `<figure>
<figcaption>Release ${escape(release.version)} — exposure against plan (${escape(release.status)})</figcaption>
<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="exposure of release ${escape(release.version)}" data-chart="release-exposure" data-release="${escape(release.version)}">
${axes(s, xMin, xMax, 0, 100, '% of users')}
<polyline class="plan" data-series="plan" points="${points(plan, s)}"/>
<polyline class="actual" data-series="actual" points="${points(actual, s)}"/>
${markers}
</svg>
<p class="legend"><span class="swatch plan"></span> plan <span class="swatch actual"></span> actual exposure</p>
</figure>`;
}

function metricChart(overview: Overview, seriesIndex: number): string {
  const series = overview.series[seriesIndex]!;
  if (series.recent.length === 0) return '';
  const threshold = overview.thresholds.find((t) => t.metric === series.metric);
  const alerts = overview.alerts.filter(
    (a) => a.metric === series.metric && a.release === series.release && a.feature === series.feature,
  );
  const values = series.recent.map((o) => o.value);
  const times = series.recent.map((o) => o.at);
  const yValues = [...values, ...(threshold ? [threshold.limit] : [])];
  const yMin = Math.min(0, ...yValues);
  const yMax = Math.max(...yValues) * 1.1 || 1;
  const xMin = Math.min(...times);
  const xMax = Math.max(...times, xMin + 1);
  const s = scale(xMin, xMax, yMin, yMax);
  const label = `${series.metric}${series.release ? ` · release ${series.release}` : ''}${series.feature ? ` · ${series.feature}` : ''}`;
  const line = threshold
    ? `<line class="threshold" data-series="threshold" x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${s.y(threshold.limit).toFixed(1)}" y2="${s.y(threshold.limit).toFixed(1)}"><title>limit ${threshold.limit}: bad ${threshold.bad}</title></line>`
    : '';
  const marks = alerts
    .filter((a) => a.at >= xMin && a.at <= xMax)
    .map(
      (a) =>
        `<circle class="alert ${a.severity}" data-marker="alert" cx="${s.x(a.at).toFixed(1)}" cy="${s.y(a.value).toFixed(1)}" r="5"><title>${a.severity}: ${escape(a.metric)} ${round(a.value)}</title></circle>`,
    )
    .join('');
  return `<figure>
<figcaption>${escape(label)}${threshold ? ` — must stay ${threshold.bad === 'above' ? 'below' : 'above'} ${threshold.limit}` : ''}</figcaption>
<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escape(label)}" data-chart="metric" data-metric="${escape(series.metric)}">
${axes(s, xMin, xMax, yMin, yMax, series.metric)}
${line}
<polyline class="values" data-series="values" points="${points(series.recent.map((o) => [o.at, o.value] as [number, number]), s)}"/>
${marks}
</svg>
</figure>`;
}

function funnelChart(overview: Overview): string {
  const ea = overview.earlyAccess;
  const statusBars = Object.entries(ea.members.byStatus);
  const levelBars = Object.entries(ea.members.byLevel);
  const max = Math.max(1, ...statusBars.map(([, n]) => n), ...levelBars.map(([, n]) => n));
  const rowHeight = 26;
  const rows = [...statusBars.map(([k, n]) => ['status', k, n] as const), ...levelBars.map(([k, n]) => ['level', k, n] as const)];
  const height = rows.length * rowHeight + 20;
  const bars = rows
    .map(([group, key, count], index) => {
      const y = 10 + index * rowHeight;
      const width = (count / max) * (WIDTH - 220);
      return `<text x="120" y="${y + 16}" text-anchor="end">${group === 'level' ? 'level ' : ''}${escape(key)}</text><rect class="bar ${group}" data-bar="${group}:${escape(key)}" x="130" y="${y + 4}" width="${width.toFixed(1)}" height="16"/><text x="${(136 + width).toFixed(1)}" y="${y + 16}">${count}</text>`;
    })
    .join('');
  return `<figure>
<figcaption>Early access — ${ea.members.total} members by status and by level</figcaption>
<svg viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="early access funnel" data-chart="early-access-funnel">${bars}</svg>
</figure>`;
}

/** A self-contained HTML dashboard: inline CSS and SVG, no external assets, no scripts. */
export function renderDashboardHtml(overview: Overview): string {
  const releases = overview.releases.filter(({ release }) => release.startedAt !== null);
  const generated = new Date(overview.now).toISOString().replace('T', ' ').slice(0, 16);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>phasegate dashboard</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1d2330; background: #f6f7f9; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 8px; }
.meta { color: #5b6475; margin: 0 0 16px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 16px; }
figure { background: #fff; border: 1px solid #dde1e7; border-radius: 8px; padding: 12px; margin: 0; }
figcaption { font-weight: 600; margin-bottom: 6px; }
svg { width: 100%; height: auto; } svg text { font-size: 11px; fill: #5b6475; }
.axis { stroke: #b7bfcc; } .plan { fill: none; stroke: #9aa5b8; stroke-dasharray: 5 4; stroke-width: 2; }
.actual { fill: none; stroke: #2f6fde; stroke-width: 2.5; } .values { fill: none; stroke: #2f6fde; stroke-width: 1.5; }
.threshold { stroke: #d9822b; stroke-width: 1.5; stroke-dasharray: 6 3; }
.alert.warning { fill: #f2b441; stroke: #8a5a00; } .alert.critical, .rollback { fill: #d64545; stroke: #7a1111; }
.bar.status { fill: #2f6fde; } .bar.level { fill: #59a14f; }
.legend { color: #5b6475; margin: 4px 0 0; } .swatch { display: inline-block; width: 18px; height: 3px; vertical-align: middle; }
.swatch.plan { background: #9aa5b8; } .swatch.actual { background: #2f6fde; }
table { border-collapse: collapse; background: #fff; } td, th { padding: 4px 10px; border-bottom: 1px solid #eceff3; text-align: left; }
</style>
</head>
<body>
<h1>phasegate</h1>
<p class="meta">Generated ${generated} UTC from ${escape(overview.store)} · current version ${escape(overview.currentVersion ?? 'none')} · ${overview.flagStats.total} flags</p>
<h2>Releases: exposure over time against plan</h2>
<div class="grid">${releases.map(({ release }) => releaseChart(release, overview.now)).join('\n') || '<p>No release has started.</p>'}</div>
<h2>Metrics against their thresholds (alerts marked)</h2>
<div class="grid">${overview.series.map((_, i) => metricChart(overview, i)).join('\n') || '<p>No metrics recorded.</p>'}</div>
<h2>Early-access funnel</h2>
<div class="grid">${funnelChart(overview)}</div>
<h2>Release health</h2>
<table><tr><th>release</th><th>status</th><th>phase</th><th>exposure</th><th>health</th><th>against control</th><th>advice</th></tr>
${overview.releases
  .map(
    ({ release, progress, health }) =>
      `<tr><td>${escape(release.version)}</td><td>${escape(release.status)}${progress.held ? ' (held)' : ''}</td><td>${escape(progress.phase ?? '-')}</td><td>${progress.exposurePercentage}%</td><td>${escape(health.label)}</td><td>${health.comparisons.map((c) => escape(describeComparison(c))).join('<br>')}</td><td>${escape(health.recommendations[0] ?? '')}</td></tr>`,
  )
  .join('\n')}
</table>
${overview.segments.length > 0 ? `<h2>Targeting segments</h2>
<table><tr><th>segment</th><th>conditions (all must hold)</th><th>used by</th></tr>
${overview.segments
  .map(({ segment, usedBy }) => `<tr><td>${escape(segment.key)}</td><td>${segment.conditions.map((c) => escape(`${c.attribute} ${c.negate ? 'not ' : ''}${c.operator} ${c.values.join(', ')}`)).join('<br>')}</td><td>${escape(usedBy.join(', ') || '-')}</td></tr>`)
  .join('\n')}
</table>` : ''}
${variantSection(overview)}
</body>
</html>
`;
}
