import * as z from 'zod';

/** Which side of a limit is bad. */
export type Badness = 'above' | 'below';

/**
 * A threshold: `metric` must not go `bad` of `limit` (a warning); past `critical` it is critical.
 * `critical` is always filled in: when not given it is {@link defaultCriticalLimit}, shown
 * wherever the threshold is, so no severity rule is hidden.
 */
export interface Threshold {
  readonly metric: string;
  /** The warning limit. */
  readonly limit: number;
  readonly bad: Badness;
  /** The critical limit, further on the bad side than `limit`. */
  readonly critical: number;
}

/** Severity of a breach: past `limit` is a warning, past `critical` is critical. */
export type Severity = 'warning' | 'critical';

/**
 * The critical limit used when a threshold names none: half the limit further on the bad side
 * (limit 5 above → 7.5; limit 3 below → 1.5; a limit of 0 → ±0.5). Choose your own `critical`
 * for metrics where that is out of reach, such as a success rate floor of 99 (default 49.5).
 */
export function defaultCriticalLimit(limit: number, bad: Badness): number {
  const scale = Math.abs(limit) > 0 ? Math.abs(limit) : 1;
  return bad === 'above' ? limit + 0.5 * scale : limit - 0.5 * scale;
}

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

/** Metric names: letters, digits and `_` (Prometheus-safe). */
export const metricNameSchema = metricName;

/** Checks that a critical limit lies beyond the warning limit on the bad side. */
export function criticalIssue(limit: number, bad: Badness, critical: number | undefined): string | null {
  if (critical === undefined) return null;
  if (bad === 'above' && !(critical > limit)) return `must be above the limit ${limit} (bad is 'above')`;
  if (bad === 'below' && !(critical < limit)) return `must be below the limit ${limit} (bad is 'below')`;
  return null;
}

/** Input to `gate.analytics.setThreshold`. */
export const thresholdSchema = z
  .strictObject({
    metric: metricName,
    limit: z.number({ error: 'must be a number' }).refine(Number.isFinite, 'must be finite'),
    bad: z.enum(['above', 'below'], { error: "must be 'above' or 'below'" }),
    /** The critical limit; default {@link defaultCriticalLimit}. */
    critical: z.number({ error: 'must be a number' }).refine(Number.isFinite, 'must be finite').optional(),
  })
  .superRefine((t, context) => {
    const issue = criticalIssue(t.limit, t.bad, t.critical);
    if (issue) context.addIssue({ code: 'custom', path: ['critical'], message: issue });
  })
  .transform((t): Threshold => ({ metric: t.metric, limit: t.limit, bad: t.bad, critical: t.critical ?? defaultCriticalLimit(t.limit, t.bad) }));
/** Input to `gate.analytics.setThreshold`. */
export type ThresholdInput = z.input<typeof thresholdSchema>;

/** A threshold (or release trigger) as given, with `critical` filled in. */
export function withCritical(t: { readonly metric: string; readonly limit: number; readonly bad: Badness; readonly critical?: number | undefined }): Threshold {
  return { metric: t.metric, limit: t.limit, bad: t.bad, critical: t.critical ?? defaultCriticalLimit(t.limit, t.bad) };
}

/** The built-in thresholds: error and crash rates must stay below, satisfaction and adoption above. */
export const DEFAULT_THRESHOLDS: readonly Threshold[] = [
  { metric: 'error_rate', limit: 5, bad: 'above', critical: 7.5 },
  { metric: 'crash_rate', limit: 2, bad: 'above', critical: 3 },
  { metric: 'user_satisfaction', limit: 3, bad: 'below', critical: 1.5 },
  { metric: 'feature_adoption', limit: 10, bad: 'below', critical: 5 },
];

/** A raised alert, as emitted and kept in the (bounded) alert history. */
export interface Alert {
  readonly id: string;
  readonly at: number;
  readonly metric: string;
  /** The windowed mean that crossed the limit. */
  readonly value: number;
  readonly limit: number;
  /** The critical limit in force when the alert was raised. */
  readonly critical?: number;
  readonly bad: Badness;
  readonly severity: Severity;
  readonly samples: number;
  /** `threshold` (the windowed mean crossed a limit) or `comparison` (worse than control, see docs/guarded-rollouts.md). */
  readonly kind?: 'threshold' | 'comparison';
  readonly release: string | null;
  readonly feature: string | null;
}

/**
 * Whether `value` is on the bad side of the threshold, and how badly: past `critical` (default
 * {@link defaultCriticalLimit}) is critical, past `limit` a warning.
 */
export function breachOf(value: number, limit: number, bad: Badness, critical: number = defaultCriticalLimit(limit, bad)): Severity | null {
  const past = (edge: number) => (bad === 'above' ? value > edge : value < edge);
  if (past(critical) || value === critical) return 'critical';
  return past(limit) ? 'warning' : null;
}

/** One metric compared between a release's users and everyone else. */
export const guardMetricSchema = z
  .strictObject({
    metric: metricName,
    bad: z.enum(['above', 'below'], { error: "must be 'above' or 'below'" }),
    /** Largest accepted harm as a fraction of control's mean (0.1: treatment may be 10% worse). */
    maxRelativeRegression: z.number({ error: 'must be a number' }).min(0, 'must be at least 0').max(100, 'must be at most 100').optional(),
    /** Largest accepted harm in the metric's own units. */
    maxRegression: z.number({ error: 'must be a number' }).min(0, 'must be at least 0').refine(Number.isFinite, 'must be finite').optional(),
  })
  .refine((m) => m.maxRelativeRegression === undefined || m.maxRegression === undefined, {
    message: 'give maxRelativeRegression or maxRegression, not both',
    path: ['maxRegression'],
  });

/** Input to `gate.analytics.guardRelease`: which metrics to compare against control, and how strictly. */
export const guardConfigSchema = z.strictObject({
  metrics: z
    .array(guardMetricSchema)
    .min(1, 'must name at least one metric')
    .max(20, 'may name at most 20 metrics')
    .refine((metrics) => new Set(metrics.map((m) => m.metric)).size === metrics.length, 'must not name a metric twice'),
  /** False-alarm rate over the whole release. Default 0.05. */
  alpha: z.number({ error: 'must be a number' }).gt(0, 'must be above 0').lt(0.5, 'must be below 0.5').default(0.05),
  /** Observations each arm needs before the comparison decides anything. Default 100. */
  minimumSamples: z.number({ error: 'must be a number' }).int('must be a whole number').min(2, 'must be at least 2').max(1e9).default(100),
  /**
   * While a metric has `no evidence yet` and fewer than this many observations from the release's
   * users, `tick()` keeps the release in its phase (it waits; nothing is held). Default 0: never waits.
   */
  samplesBeforeAdvancing: z.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must be at least 0').max(1e9).default(0),
});
/** Input to `gate.analytics.guardRelease`. */
export type GuardConfigInput = z.input<typeof guardConfigSchema>;
/** A release's comparison guard, as stored. */
export type GuardConfig = z.output<typeof guardConfigSchema>;

/** Input to `gate.analytics.recordOutcome`: one observation of one user. */
export const outcomeSchema = z.strictObject({
  metric: metricName,
  value: z.number({ error: 'must be a number' }).refine(Number.isFinite, 'must be finite'),
  userId: z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(512, 'must be at most 512 characters'),
  /** Only this release (default: every active release that guards the metric). */
  release: z.string().min(1).max(100).optional(),
});
/** Input to `gate.analytics.recordOutcome`. */
export type OutcomeInput = z.input<typeof outcomeSchema>;

/** How long analytics keeps what it stores (see docs/analytics.md, "Retention"). */
export interface RetentionPolicy {
  /** Metric series and per-arm aggregates with no observation for this long are deleted; older observations are dropped. Default 30. */
  readonly observationDays: number;
  /** Daily adoption sketches older than this are deleted. Default 31. */
  readonly adoptionDays: number;
  /** Alerts older than this are deleted. Default 90. */
  readonly alertDays: number;
  /** At most this many alerts are kept (oldest go first). Default 500. */
  readonly alertLimit: number;
  /** Delivered or failed notifications older than this are deleted from the outbox. Default 7. */
  readonly notificationDays: number;
}

/** The default retention policy. */
export const DEFAULT_RETENTION: RetentionPolicy = Object.freeze({ observationDays: 30, adoptionDays: 31, alertDays: 90, alertLimit: 500, notificationDays: 7 });
