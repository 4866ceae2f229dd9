import { DASHBOARD_FRAME, barChart, exposureChart, metricChart as drawMetric } from '../markup/charts.js';
import { escapeHtml as escape } from '../markup/escape.js';
import type { Release } from '../releases/model.js';
import { describeComparison } from './metric-commands.js';
import type { Overview } from './overview.js';
import { describeFallthrough, showValue } from './variant-syntax.js';

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

function releaseChart(release: Release, now: number): string {
  return exposureChart(DASHBOARD_FRAME, release, now, { caption: `Release ${release.version} — exposure against plan (${release.status})`, legend: 'actual exposure' });
}

function metricChart(overview: Overview, seriesIndex: number): string {
  const series = overview.series[seriesIndex]!;
  const threshold = overview.thresholds.find((t) => t.metric === series.metric);
  const alerts = overview.alerts.filter((a) => a.metric === series.metric && a.release === series.release && a.feature === series.feature);
  const label = `${series.metric}${series.release ? ` · release ${series.release}` : ''}${series.feature ? ` · ${series.feature}` : ''}`;
  return drawMetric(
    DASHBOARD_FRAME,
    { metric: series.metric, observations: series.recent, limit: threshold?.limit, bad: threshold?.bad, alerts },
    { caption: `${label}${threshold ? ` — must stay ${threshold.bad === 'above' ? 'below' : 'above'} ${threshold.limit}` : ''}`, ariaLabel: label },
  );
}

function funnelChart(overview: Overview): string {
  const ea = overview.earlyAccess;
  const bars = [
    ...Object.entries(ea.members.byStatus).map(([key, count]) => ({ label: key, count, key: `status:${key}`, className: 'status' })),
    ...Object.entries(ea.members.byLevel).map(([key, count]) => ({ label: `level ${key}`, count, key: `level:${key}`, className: 'level' })),
  ];
  return barChart(DASHBOARD_FRAME, 'early-access-funnel', bars, {
    caption: `Early access — ${ea.members.total} members by status and by level`,
    ariaLabel: 'early access funnel',
    labelWidth: 120,
    top: 10,
    reserved: 220,
  });
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
