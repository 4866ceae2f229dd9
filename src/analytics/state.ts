import * as z from 'zod';
import type { SequentialDecision } from './sequential.js';
import type { Observation } from './statistics.js';

/**
 * The analytics module's stored records, and the schemas every one of them is validated with
 * when read back. Keys are structured (see keys.ts): `["series", metric, release, feature]` and
 * `["adoption", kind, feature, day]` in `metrics`; alert ids in `alerts`; in `analytics-state`
 * `["threshold", metric]`, `["guard", version]`, `["arms", version, metric]`,
 * `["alert-state", metric, release, feature]` (a fifth part `"comparison"` for comparisons),
 * `["decision", version]` and `["webhook", url]`.
 */

/** Collection of shared analytics state: thresholds, guard configs, per-arm aggregates, alert state, decisions, webhooks. */
export const ANALYTICS_STATE_COLLECTION = 'analytics-state';

/** Observations kept per series, in the store and in memory. */
export const SERIES_WINDOW = 500;

/** A metric series as persisted: running aggregates plus the latest observations. */
export interface MetricSeries {
  readonly metric: string;
  readonly release: string | null;
  readonly feature: string | null;
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
  readonly recent: readonly Observation[];
}

/** One observation as stored. */
export const observationSchema = z.strictObject({ value: z.number(), at: z.number() });
/** A metric series (`metrics`, `["series", …]`). */
export const seriesSchema = z.strictObject({
  metric: z.string(),
  release: z.string().nullable(),
  feature: z.string().nullable(),
  count: z.number().int().min(0),
  sum: z.number(),
  min: z.number(),
  max: z.number(),
  recent: z.array(observationSchema).max(SERIES_WINDOW),
});
/** One arm's count, sum and sum of squares. */
export const armSchema = z.strictObject({ count: z.number().int().min(0), sum: z.number(), sumOfSquares: z.number().min(0) });
/** Both arms of one guarded metric of one release (`["arms", version, metric]`). */
export const armsSchema = z.strictObject({ treatment: armSchema, control: armSchema, firstAt: z.number(), lastAt: z.number() });
/** A shared threshold (`["threshold", metric]`). */
export const storedThresholdSchema = z.strictObject({ metric: z.string(), limit: z.number(), bad: z.enum(['above', 'below']), critical: z.number() });
/** An alert (`alerts`, keyed by its id). */
export const alertSchema = z.strictObject({
  id: z.string(),
  at: z.number(),
  metric: z.string(),
  value: z.number(),
  limit: z.number(),
  critical: z.number().optional(),
  bad: z.enum(['above', 'below']),
  severity: z.enum(['warning', 'critical']),
  samples: z.number(),
  release: z.string().nullable(),
  feature: z.string().nullable(),
  kind: z.enum(['threshold', 'comparison']).optional(),
});
/** The alert state of one series (`["alert-state", …]`). */
export const alertStateSchema = z.strictObject({ severity: z.enum(['warning', 'critical']).nullable(), alert: alertSchema.nullable(), published: z.boolean() });
/** A release's comparison guard (`["guard", version]`). */
export const storedGuardSchema = z.strictObject({
  metrics: z.array(
    z.strictObject({
      metric: z.string(),
      bad: z.enum(['above', 'below']),
      maxRelativeRegression: z.number().optional(),
      maxRegression: z.number().optional(),
    }),
  ),
  alpha: z.number(),
  minimumSamples: z.number(),
  samplesBeforeAdvancing: z.number(),
});
/** A HyperLogLog sketch (`["adoption", kind, feature, day]`). */
export const sketchSchema = z.strictObject({ registers: z.string() });

/** Per-arm aggregates of one guarded metric of one release. */
export type Arms = z.infer<typeof armsSchema>;
/** The alert state of one series: what it last alerted, and whether that alert is published. */
export type AlertState = z.infer<typeof alertStateSchema>;

/** The last thing the guards decided about a release: stored, so every process and the CLI see it. */
export interface GuardDecision {
  readonly version: string;
  /** When this decision was first made (it is rewritten only when it changes). */
  readonly at: number;
  /** `none`: nothing to do; `waiting`: the next phase waits for evidence. */
  readonly action: 'held' | 'rolledBack' | 'resumed' | 'waiting' | 'none';
  readonly reason: string | null;
  readonly comparisons: ReadonlyArray<{
    readonly metric: string;
    readonly decision: SequentialDecision;
    readonly difference: number | null;
    readonly interval: readonly [number, number] | null;
    readonly treatmentCount: number;
    readonly controlCount: number;
  }>;
}

/** A release's last guard decision (`["decision", version]`). */
export const decisionSchema = z.strictObject({
  version: z.string(),
  at: z.number(),
  action: z.enum(['held', 'rolledBack', 'resumed', 'waiting', 'none']),
  reason: z.string().nullable(),
  comparisons: z.array(
    z.strictObject({
      metric: z.string(),
      decision: z.enum(['regression', 'no evidence yet', 'safe']),
      difference: z.number().nullable(),
      interval: z.tuple([z.number(), z.number()]).nullable(),
      treatmentCount: z.number(),
      controlCount: z.number(),
    }),
  ),
});

