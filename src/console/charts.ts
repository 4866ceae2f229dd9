import type { Observation } from '../analytics/statistics.js';
import type { Release } from '../releases/model.js';
import { html, round2, type SafeHtml } from './html.js';

/**
 * Inline SVG charts for the console: pure functions of their data, no script, no external
 * assets. They draw in a fixed viewBox and scale to the width they get (readable down to
 * 400 px), and take their colours from CSS classes, so dark mode is the stylesheet's business.
 */

// A small viewBox: at 400 px the text is drawn near its nominal size; wider screens scale it up
// (the stylesheet caps the width).
const WIDTH = 420;
const HEIGHT = 210;
const PAD = { left: 40, right: 10, top: 22, bottom: 30 } as const;

type Point = readonly [number, number];

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

function points(values: readonly Point[], s: Scale): string {
  return values.map(([x, y]) => `${s.x(x).toFixed(1)},${s.y(y).toFixed(1)}`).join(' ');
}

function shortTime(at: number, span: number): string {
  const iso = new Date(at).toISOString();
  // Over two days, the date says more than the hour; under, the hour says more.
  return span > 2 * 86_400_000 ? iso.slice(5, 10) : iso.slice(11, 16);
}

function axes(s: Scale, xMin: number, xMax: number, yMin: number, yMax: number, unit: string): SafeHtml {
  const bottom = HEIGHT - PAD.bottom;
  return html`<line class="axis" x1="${PAD.left}" y1="${bottom}" x2="${WIDTH - PAD.right}" y2="${bottom}"/><line class="axis" x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${bottom}"/><text x="${PAD.left}" y="${HEIGHT - 10}">${shortTime(xMin, xMax - xMin)}</text><text x="${WIDTH - PAD.right}" y="${HEIGHT - 10}" text-anchor="end">${shortTime(xMax, xMax - xMin)}</text><text x="${PAD.left - 6}" y="${(s.y(yMax) + 4).toFixed(1)}" text-anchor="end">${round2(yMax)}</text><text x="${PAD.left - 6}" y="${(s.y(yMin) + 4).toFixed(1)}" text-anchor="end">${round2(yMin)}</text><text x="${PAD.left}" y="14" class="unit">${unit}</text>`;
}

/** The exposure percentage a release's plan calls for at `at` (phases back to back from its start). */
export function plannedExposure(release: Release, at: number): number {
  if (release.startedAt === null || at < release.startedAt) return 0;
  let t = release.startedAt;
  let level = 0;
  for (const phase of release.plan.phases) {
    level = phase.percentage;
    t += phase.durationMs;
    if (at < t) return level;
  }
  return level;
}

/** The release's actual exposure over time (a step line from its history) and its plan's. */
export function exposureSeries(release: Release, now: number): { actual: Point[]; plan: Point[] } {
  const actual: Point[] = [];
  let level = 0;
  for (const event of release.history) {
    if (event.percentage === undefined) continue;
    actual.push([event.at, level], [event.at, event.percentage]);
    level = event.percentage;
  }
  const end = Math.max(release.rollback?.at ?? release.releasedAt ?? now, actual.at(-1)?.[0] ?? 0);
  if (actual.length) actual.push([end, level]);
  const plan: Point[] = [];
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

/** Exposure over time against plan, with hold and rollback markers. */
export function exposureChart(release: Release, now: number): SafeHtml {
  const { actual, plan } = exposureSeries(release, now);
  const xs = [...actual, ...plan].map(([x]) => x);
  if (xs.length === 0) return html`<p class="empty">Release ${release.version} has not started: nothing to chart yet.</p>`;
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs, xMin + 1);
  const s = scale(xMin, xMax, 0, 100);
  const holds = release.history
    .filter((event) => event.kind === 'hold' && event.at >= xMin && event.at <= xMax)
    .map((event) => html`<circle class="hold" data-marker="hold" cx="${s.x(event.at).toFixed(1)}" cy="${s.y(plannedExposure(release, event.at)).toFixed(1)}" r="5"><title>held: ${event.note ?? ''}</title></circle>`);
  const rollback = release.rollback
    ? html`<circle class="rollback" data-marker="rollback" cx="${s.x(release.rollback.at).toFixed(1)}" cy="${s.y(0).toFixed(1)}" r="6"><title>rolled back: ${release.rollback.reason}</title></circle>`
    : null;
  return html`<figure class="chart"><figcaption>Exposure of ${release.version} against its plan</figcaption><svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="exposure of release ${release.version} against plan" data-chart="release-exposure" data-release="${release.version}">${axes(s, xMin, xMax, 0, 100, '% of users')}<polyline class="plan" data-series="plan" points="${points(plan, s)}"/><polyline class="actual" data-series="actual" points="${points(actual, s)}"/>${holds}${rollback}</svg><p class="legend"><span class="swatch plan"></span> plan <span class="swatch actual"></span> actual</p></figure>`;
}

/** A metric's observations against its limit. */
export function metricChart(metric: string, observations: readonly Observation[], limit: number | undefined, bad: 'above' | 'below' | undefined): SafeHtml {
  if (observations.length === 0) return html`<p class="empty">No ${metric} observations in the window.</p>`;
  const values = observations.map((o) => o.value);
  const times = observations.map((o) => o.at);
  const ys = limit === undefined ? values : [...values, limit];
  const yMin = Math.min(0, ...ys);
  const yMax = Math.max(...ys) * 1.1 || 1;
  const xMin = Math.min(...times);
  const xMax = Math.max(...times, xMin + 1);
  const s = scale(xMin, xMax, yMin, yMax);
  const line =
    limit === undefined
      ? null
      : html`<line class="threshold" data-series="threshold" x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${s.y(limit).toFixed(1)}" y2="${s.y(limit).toFixed(1)}"><title>limit ${limit} (bad ${bad ?? ''})</title></line>`;
  const caption = limit === undefined ? metric : `${metric}: must stay ${bad === 'above' ? 'below' : 'above'} ${limit}`;
  return html`<figure class="chart"><figcaption>${caption}</figcaption><svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${caption}" data-chart="metric" data-metric="${metric}">${axes(s, xMin, xMax, yMin, yMax, metric)}${line}<polyline class="values" data-series="values" points="${points(observations.map((o) => [o.at, o.value] as const), s)}"/></svg></figure>`;
}

/** Horizontal bars, one per labelled count (the early-access funnel). */
export function barChart(name: string, caption: string, bars: ReadonlyArray<readonly [string, number]>): SafeHtml {
  const rowHeight = 26;
  const height = bars.length * rowHeight + 12;
  const max = Math.max(1, ...bars.map(([, n]) => n));
  const rows = bars.map(([label, count], index) => {
    const y = 6 + index * rowHeight;
    const width = (count / max) * (WIDTH - 150);
    return html`<text x="90" y="${y + 16}" text-anchor="end">${label}</text><rect class="bar" data-bar="${label}" x="98" y="${y + 4}" width="${width.toFixed(1)}" height="16"/><text x="${(104 + width).toFixed(1)}" y="${y + 16}">${count}</text>`;
  });
  return html`<figure class="chart"><figcaption>${caption}</figcaption><svg viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${caption}" data-chart="${name}">${rows}</svg></figure>`;
}

/** A small two-bar gauge: actual exposure against what the plan calls for now. */
export function exposureGauge(version: string, actual: number, planned: number): SafeHtml {
  const width = 160;
  const bar = (value: number) => ((Math.max(0, Math.min(100, value)) / 100) * width).toFixed(1);
  return html`<svg class="gauge" viewBox="0 0 ${width + 4} 22" width="${width + 4}" height="22" role="img" aria-label="${version}: ${actual}% exposed, plan ${planned}%" data-chart="exposure-gauge" data-release="${version}" data-actual="${actual}" data-planned="${planned}"><rect class="track" x="2" y="2" width="${width}" height="8"/><rect class="actual-bar" x="2" y="2" width="${bar(actual)}" height="8"/><rect class="track" x="2" y="12" width="${width}" height="8"/><rect class="plan-bar" x="2" y="12" width="${bar(planned)}" height="8"/></svg>`;
}
