import type { Observation } from '../analytics/statistics.js';
import type { Release } from '../releases/model.js';
import { escapeHtml as e } from './escape.js';

/**
 * The inline SVG charts of the console and of the `phasegate dashboard` file: one module, pure
 * functions of their data returning markup, no script, no external assets. They draw in a fixed
 * viewBox (a {@link ChartFrame}) and scale to the width they get; colours come from CSS classes,
 * so dark mode is the stylesheet's business. Every text drawn from data is escaped here.
 */

/** The drawing area of a chart and how its axes are labelled. */
export interface ChartFrame {
  readonly width: number;
  readonly height: number;
  readonly pad: { readonly left: number; readonly right: number; readonly top: number; readonly bottom: number };
  /** Time labels on the x axis: `auto` (the hour within two days, else the date) or always the date. */
  readonly timeLabels: 'auto' | 'date';
  /** Distance of the time labels from the bottom edge. */
  readonly labelInset: number;
}

/** The console's frame: small, so text stays readable at 400 px wide. */
export const CONSOLE_FRAME: ChartFrame = { width: 420, height: 210, pad: { left: 40, right: 10, top: 22, bottom: 30 }, timeLabels: 'auto', labelInset: 10 };
/** The dashboard file's frame: wider, for a grid of charts on a desktop screen. */
export const DASHBOARD_FRAME: ChartFrame = { width: 640, height: 220, pad: { left: 48, right: 16, top: 28, bottom: 32 }, timeLabels: 'date', labelInset: 8 };

type Point = readonly [number, number];

interface Scale {
  x(value: number): number;
  y(value: number): number;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function scale(frame: ChartFrame, xMin: number, xMax: number, yMin: number, yMax: number): Scale {
  const { width, height, pad } = frame;
  const xs = xMax > xMin ? xMax - xMin : 1;
  const ys = yMax > yMin ? yMax - yMin : 1;
  return {
    x: (v) => pad.left + ((v - xMin) / xs) * (width - pad.left - pad.right),
    y: (v) => height - pad.bottom - ((v - yMin) / ys) * (height - pad.top - pad.bottom),
  };
}

function points(values: readonly Point[], s: Scale): string {
  return values.map(([x, y]) => `${s.x(x).toFixed(1)},${s.y(y).toFixed(1)}`).join(' ');
}

function timeLabel(frame: ChartFrame, at: number, span: number): string {
  const iso = new Date(at).toISOString();
  // Over two days, the date says more than the hour; under, the hour says more.
  return frame.timeLabels === 'date' || span > 2 * 86_400_000 ? iso.slice(5, 10) : iso.slice(11, 16);
}

function axes(frame: ChartFrame, s: Scale, xMin: number, xMax: number, yMin: number, yMax: number, unit: string): string {
  const { width, height, pad, labelInset } = frame;
  const bottom = height - pad.bottom;
  return (
    `<line class="axis" x1="${pad.left}" y1="${bottom}" x2="${width - pad.right}" y2="${bottom}"/>` +
    `<line class="axis" x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${bottom}"/>` +
    `<text x="${pad.left}" y="${height - labelInset}">${timeLabel(frame, xMin, xMax - xMin)}</text>` +
    `<text x="${width - pad.right}" y="${height - labelInset}" text-anchor="end">${timeLabel(frame, xMax, xMax - xMin)}</text>` +
    `<text x="${pad.left - 6}" y="${(s.y(yMax) + 4).toFixed(1)}" text-anchor="end">${round2(yMax)}</text>` +
    `<text x="${pad.left - 6}" y="${(s.y(yMin) + 4).toFixed(1)}" text-anchor="end">${round2(yMin)}</text>` +
    `<text x="${pad.left}" y="14" class="unit">${e(unit)}</text>`
  );
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

/** How a chart is presented: its caption, and what to show when there is nothing to draw. */
export interface ChartLabels {
  readonly caption: string;
  /** Markup for "nothing to chart" (default: nothing). */
  readonly empty?: string;
  /** Class of the `<figure>` (default none). */
  readonly figureClass?: string;
}

function figure(labels: ChartLabels, body: string): string {
  return `<figure${labels.figureClass ? ` class="${e(labels.figureClass)}"` : ''}><figcaption>${e(labels.caption)}</figcaption>${body}</figure>`;
}

/** Exposure over time against plan, with rollback (and, when asked, hold) markers. */
export function exposureChart(frame: ChartFrame, release: Release, now: number, labels: ChartLabels & { readonly legend: string; readonly markHolds?: boolean }): string {
  const { actual, plan } = exposureSeries(release, now);
  const xs = [...actual, ...plan].map(([x]) => x);
  if (xs.length === 0) return labels.empty ?? '';
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs, xMin + 1);
  const s = scale(frame, xMin, xMax, 0, 100);
  const holds = labels.markHolds
    ? release.history
        .filter((event) => event.kind === 'hold' && event.at >= xMin && event.at <= xMax)
        .map((event) => `<circle class="hold" data-marker="hold" cx="${s.x(event.at).toFixed(1)}" cy="${s.y(plannedExposure(release, event.at)).toFixed(1)}" r="5"><title>held: ${e(event.note ?? '')}</title></circle>`)
        .join('')
    : '';
  const rollback = release.rollback
    ? `<circle class="rollback" data-marker="rollback" cx="${s.x(release.rollback.at).toFixed(1)}" cy="${s.y(0).toFixed(1)}" r="6"><title>rolled back: ${e(release.rollback.reason)}</title></circle>`
    : '';
  const version = e(release.version);
  return figure(
    labels,
    `<svg viewBox="0 0 ${frame.width} ${frame.height}" role="img" aria-label="exposure of release ${version} against plan" data-chart="release-exposure" data-release="${version}">${axes(frame, s, xMin, xMax, 0, 100, '% of users')}<polyline class="plan" data-series="plan" points="${points(plan, s)}"/><polyline class="actual" data-series="actual" points="${points(actual, s)}"/>${holds}${rollback}</svg><p class="legend"><span class="swatch plan"></span> plan <span class="swatch actual"></span> ${e(labels.legend)}</p>`,
  );
}

/** An alert drawn on a metric chart. */
export interface ChartAlert {
  readonly at: number;
  readonly value: number;
  readonly severity: string;
}

/** A metric's observations against its limit, with alerts marked. */
export function metricChart(
  frame: ChartFrame,
  data: { readonly metric: string; readonly observations: readonly Observation[]; readonly limit?: number | undefined; readonly bad?: 'above' | 'below' | undefined; readonly alerts?: readonly ChartAlert[] },
  labels: ChartLabels & { readonly ariaLabel?: string },
): string {
  const { metric, observations, limit, bad } = data;
  if (observations.length === 0) return labels.empty ?? '';
  const values = observations.map((o) => o.value);
  const times = observations.map((o) => o.at);
  const ys = limit === undefined ? values : [...values, limit];
  const yMin = Math.min(0, ...ys);
  const yMax = Math.max(...ys) * 1.1 || 1;
  const xMin = Math.min(...times);
  const xMax = Math.max(...times, xMin + 1);
  const s = scale(frame, xMin, xMax, yMin, yMax);
  const line =
    limit === undefined
      ? ''
      : `<line class="threshold" data-series="threshold" x1="${frame.pad.left}" x2="${frame.width - frame.pad.right}" y1="${s.y(limit).toFixed(1)}" y2="${s.y(limit).toFixed(1)}"><title>limit ${limit} (bad ${e(bad ?? '')})</title></line>`;
  const marks = (data.alerts ?? [])
    .filter((a) => a.at >= xMin && a.at <= xMax)
    .map((a) => `<circle class="alert ${e(a.severity)}" data-marker="alert" cx="${s.x(a.at).toFixed(1)}" cy="${s.y(a.value).toFixed(1)}" r="5"><title>${e(a.severity)}: ${e(metric)} ${round2(a.value)}</title></circle>`)
    .join('');
  return figure(
    labels,
    `<svg viewBox="0 0 ${frame.width} ${frame.height}" role="img" aria-label="${e(labels.ariaLabel ?? labels.caption)}" data-chart="metric" data-metric="${e(metric)}">${axes(frame, s, xMin, xMax, yMin, yMax, metric)}${line}<polyline class="values" data-series="values" points="${points(observations.map((o) => [o.at, o.value] as const), s)}"/>${marks}</svg>`,
  );
}

/** One bar of {@link barChart}. */
export interface Bar {
  readonly label: string;
  readonly count: number;
  /** `data-bar` of the bar (default its label). */
  readonly key?: string;
  /** Extra class of the bar, after `bar`. */
  readonly className?: string;
}

/** Horizontal bars, one per labelled count (the early-access funnel). */
export function barChart(frame: ChartFrame, name: string, bars: readonly Bar[], labels: ChartLabels & { readonly ariaLabel?: string; readonly labelWidth: number; readonly top: number; readonly reserved: number }): string {
  const rowHeight = 26;
  const height = bars.length * rowHeight + labels.top * 2;
  const max = Math.max(1, ...bars.map((bar) => bar.count));
  const x = labels.labelWidth + 8;
  const rows = bars
    .map((bar, index) => {
      const y = labels.top + index * rowHeight;
      const width = (bar.count / max) * (frame.width - labels.reserved);
      return `<text x="${labels.labelWidth}" y="${y + 16}" text-anchor="end">${e(bar.label)}</text><rect class="bar${bar.className ? ` ${e(bar.className)}` : ''}" data-bar="${e(bar.key ?? bar.label)}" x="${x}" y="${y + 4}" width="${width.toFixed(1)}" height="16"/><text x="${(x + 6 + width).toFixed(1)}" y="${y + 16}">${bar.count}</text>`;
    })
    .join('');
  return figure(labels, `<svg viewBox="0 0 ${frame.width} ${height}" role="img" aria-label="${e(labels.ariaLabel ?? labels.caption)}" data-chart="${e(name)}">${rows}</svg>`);
}

/** A small two-bar gauge: actual exposure against what the plan calls for now. */
export function exposureGauge(version: string, actual: number, planned: number): string {
  const width = 160;
  const bar = (value: number) => ((Math.max(0, Math.min(100, value)) / 100) * width).toFixed(1);
  return `<svg class="gauge" viewBox="0 0 ${width + 4} 22" width="${width + 4}" height="22" role="img" aria-label="${e(version)}: ${actual}% exposed, plan ${planned}%" data-chart="exposure-gauge" data-release="${e(version)}" data-actual="${actual}" data-planned="${planned}"><rect class="track" x="2" y="2" width="${width}" height="8"/><rect class="actual-bar" x="2" y="2" width="${bar(actual)}" height="8"/><rect class="track" x="2" y="12" width="${width}" height="8"/><rect class="plan-bar" x="2" y="12" width="${bar(planned)}" height="8"/></svg>`;
}
