/** Direction of a metric over a window, from the least-squares slope. */
export type Trend = 'increasing' | 'decreasing' | 'stable';

/** Summary statistics of a metric over a window. */
export interface MetricStatistics {
  readonly count: number;
  readonly mean: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Population standard deviation. */
  readonly standardDeviation: number;
  readonly p95: number;
  readonly latest: number;
  /** Least-squares slope, in units per hour. */
  readonly slopePerHour: number;
  readonly trend: Trend;
}

/** One observation. */
export interface Observation {
  readonly value: number;
  /** Epoch ms. */
  readonly at: number;
}

/** The q-quantile (0–1) of sorted values, linearly interpolated. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (position - lower);
}

/** Least-squares slope of value against time (units per ms); 0 with fewer than two distinct times. */
export function leastSquaresSlope(observations: readonly Observation[]): number {
  const n = observations.length;
  if (n < 2) return 0;
  let meanT = 0;
  let meanV = 0;
  for (const o of observations) {
    meanT += o.at / n;
    meanV += o.value / n;
  }
  let covariance = 0;
  let variance = 0;
  for (const o of observations) {
    covariance += (o.at - meanT) * (o.value - meanV);
    variance += (o.at - meanT) ** 2;
  }
  return variance === 0 ? 0 : covariance / variance;
}

/**
 * The trend: the fitted change across the window compared with the mean's size. A change of less
 * than 5% of |mean| (or exactly none) is stable.
 */
export function trendOf(slope: number, spanMs: number, mean: number): Trend {
  const change = slope * spanMs;
  if (change === 0 || Math.abs(change) < 0.05 * Math.abs(mean)) return 'stable';
  return change > 0 ? 'increasing' : 'decreasing';
}

/** Summarises observations (at least one). */
export function summarize(observations: readonly Observation[]): MetricStatistics {
  const count = observations.length;
  if (count === 0) throw new RangeError('summarize needs at least one observation');
  const values = observations.map((o) => o.value);
  const sorted = [...values].sort((a, b) => a - b);
  const mean = values.reduce((sum, v) => sum + v, 0) / count;
  const variance = values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / count;
  const slope = leastSquaresSlope(observations);
  const times = observations.map((o) => o.at);
  const span = Math.max(...times) - Math.min(...times);
  const latest = observations.reduce((a, b) => (b.at >= a.at ? b : a));
  return {
    count,
    mean,
    median: quantile(sorted, 0.5),
    min: sorted[0]!,
    max: sorted[count - 1]!,
    standardDeviation: Math.sqrt(variance),
    p95: quantile(sorted, 0.95),
    latest: latest.value,
    slopePerHour: slope * 3_600_000,
    trend: trendOf(slope, span, mean),
  };
}
