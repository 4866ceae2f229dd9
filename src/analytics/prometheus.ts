import type { AnalyticsReport } from './analytics.js';

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(pairs: Record<string, string | null>): string {
  const parts = Object.entries(pairs)
    .filter(([, value]) => value !== null && value !== '')
    .map(([name, value]) => `${name}="${escapeLabel(value!)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function number(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/**
 * The report in the Prometheus text exposition format (version 0.0.4), so existing monitoring
 * can scrape it: serve it with `content-type: text/plain; version=0.0.4`.
 */
export function toPrometheus(report: AnalyticsReport): string {
  const families: Array<{ name: string; help: string; type: 'gauge' | 'counter'; samples: string[] }> = [];
  const family = (name: string, help: string, type: 'gauge' | 'counter') => {
    const entry = { name, help, type, samples: [] as string[] };
    families.push(entry);
    return (labelSet: Record<string, string | null>, value: number) => entry.samples.push(`${name}${labels(labelSet)} ${number(value)}`);
  };
  const mean = family('phasegate_metric_mean', 'Mean of a recorded metric over the report window.', 'gauge');
  const p95 = family('phasegate_metric_p95', '95th percentile of a recorded metric over the report window.', 'gauge');
  const latest = family('phasegate_metric_latest', 'Latest value of a recorded metric.', 'gauge');
  const samples = family('phasegate_metric_samples', 'Observations of a metric in the report window.', 'gauge');
  for (const { metric, release, feature, statistics } of report.metrics) {
    const set = { metric, release, feature };
    mean(set, statistics.mean);
    p95(set, statistics.p95);
    latest(set, statistics.latest);
    samples(set, statistics.count);
  }
  const threshold = family('phasegate_metric_threshold', 'Limit of a metric; the bad label says which side is bad.', 'gauge');
  for (const t of report.thresholds) threshold({ metric: t.metric, bad: t.bad }, t.limit);
  const health = family('phasegate_release_health_score', 'Health score (0-100) of a release from its own metrics.', 'gauge');
  const exposure = family('phasegate_release_exposure_percent', 'Percent of users exposed to a release.', 'gauge');
  for (const r of report.releases) {
    // No data is not a score: a release without one has no health sample (its status is in the report).
    if (r.health.score !== null) health({ release: r.version, status: r.health.status }, r.health.score);
    exposure({ release: r.version, phase: r.phase }, r.exposurePercentage);
  }
  const evaluations = family('phasegate_flag_evaluations_total', 'Flag evaluations by this process, by outcome.', 'counter');
  const exposed = family('phasegate_flag_exposed_users', 'Distinct users who saw the flag on today (estimated).', 'gauge');
  for (const f of report.flags) {
    evaluations({ flag: f.key, outcome: 'on' }, f.evaluationsOn);
    evaluations({ flag: f.key, outcome: 'off' }, f.evaluationsOff);
    exposed({ flag: f.key }, f.exposedUsersToday);
  }
  const alerts = family('phasegate_alerts', 'Alerts in the kept history, by severity.', 'gauge');
  for (const severity of ['warning', 'critical'] as const) alerts({ severity }, report.alerts.filter((a) => a.severity === severity).length);

  return `${families
    .map((f) => [`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`, ...f.samples].join('\n'))
    .join('\n')}\n`;
}
