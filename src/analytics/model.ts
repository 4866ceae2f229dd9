import { z } from 'zod';

/** Which side of a limit is bad. */
export type Badness = 'above' | 'below';

/** A threshold: `metric` must not go `bad` of `limit`. */
export interface Threshold {
  readonly metric: string;
  readonly limit: number;
  readonly bad: Badness;
}

/** Severity of a breach: how far the limit was crossed (under 50% of the limit: warning; further: critical). */
export type Severity = 'warning' | 'critical';

const metricName = z
  .string({ error: 'must be a string' })
  .regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,99}$/, 'must be letters, digits and "_" (a Prometheus-safe name)');

/** Input to `gate.analytics.record`. */
export const metricSampleSchema = z.strictObject({
  metric: metricName,
  value: z.number({ error: 'must be a number' }).refine(Number.isFinite, 'must be finite'),
  /** Epoch ms; default: the clock's now. */
  at: z.number().int().min(0).optional(),
  /** The release the sample belongs to (only its own metrics count for its health). */
  release: z.string().min(1).max(100).optional(),
  feature: z.string().min(1).max(200).optional(),
});
/** Input to `gate.analytics.record`. */
export type MetricSample = z.input<typeof metricSampleSchema>;

/** Input to `gate.analytics.setThreshold`. */
export const thresholdSchema = z.strictObject({
  metric: metricName,
  limit: z.number().refine(Number.isFinite, 'must be finite'),
  bad: z.enum(['above', 'below'], { error: "must be 'above' or 'below'" }),
});

/** The built-in thresholds: error and crash rates must stay below, satisfaction and adoption above. */
export const DEFAULT_THRESHOLDS: readonly Threshold[] = [
  { metric: 'error_rate', limit: 5, bad: 'above' },
  { metric: 'crash_rate', limit: 2, bad: 'above' },
  { metric: 'user_satisfaction', limit: 3, bad: 'below' },
  { metric: 'feature_adoption', limit: 10, bad: 'below' },
];

/** A raised alert, as emitted and kept in the (bounded) alert history. */
export interface Alert {
  readonly id: string;
  readonly at: number;
  readonly metric: string;
  /** The windowed mean that crossed the limit. */
  readonly value: number;
  readonly limit: number;
  readonly bad: Badness;
  readonly severity: Severity;
  readonly samples: number;
  readonly release: string | null;
  readonly feature: string | null;
}

/** Whether `value` is on the bad side of the threshold, and how badly. */
export function breachOf(value: number, limit: number, bad: Badness): Severity | null {
  const crossed = bad === 'above' ? value > limit : value < limit;
  if (!crossed) return null;
  const distance = Math.abs(value - limit);
  const scale = Math.abs(limit) > 0 ? Math.abs(limit) : 1;
  return distance / scale >= 0.5 ? 'critical' : 'warning';
}
