import type { Badness, Severity } from './model.js';
import type { SequentialDecision } from './sequential.js';
import type { ReleaseView } from './ports.js';
import type { GuardDecision } from './state.js';

/**
 * Release health, pure: how each watched metric and each comparison against control stands,
 * the status and score they add up to, and recommendations in plain words. No data is not
 * health: without an observation in the window the status is `no data`, and a rolled-back
 * release is `rolled back`, neither with a score.
 */

/** How one watched metric stands for a release. */
export interface MetricHealth {
  readonly metric: string;
  readonly value: number;
  readonly samples: number;
  readonly limit: number;
  readonly critical: number;
  readonly bad: Badness;
  readonly severity: Severity | null;
}

/** One guard metric compared between the release's users (treatment) and everyone else (control). */
export interface MetricComparison {
  readonly metric: string;
  readonly bad: Badness;
  readonly decision: SequentialDecision;
  readonly treatment: { readonly count: number; readonly mean: number | null };
  readonly control: { readonly count: number; readonly mean: number | null };
  /** Treatment minus control. */
  readonly difference: number | null;
  /** Always-valid interval of the difference at level 1 − alpha. */
  readonly interval: readonly [number, number] | null;
  readonly alpha: number;
  /** The accepted harm, in metric units, at this look. */
  readonly tolerance: number;
  readonly lastObservationAt: number | null;
}

/** Health states: the usual three when there is enough recent data to judge, otherwise why not. */
export type HealthStatus = 'healthy' | 'warning' | 'critical' | 'no_data' | 'rolled_back';

/** A release's health from its own metrics only. */
export interface ReleaseHealth {
  readonly version: string;
  /**
   * 0–100 from the release's own metrics and comparisons; `null` when there is nothing to score:
   * no metric has the minimum number of samples in the window and no comparison has recent
   * observations, or the release was rolled back. No data is not health.
   */
  readonly score: number | null;
  readonly status: HealthStatus;
  /** The status in words for screens: `100 healthy`, `60 critical`, `no data`, `rolled back`. */
  readonly label: string;
  readonly metrics: readonly MetricHealth[];
  /** Comparisons against control, for releases guarded with `guardRelease`. */
  readonly comparisons: readonly MetricComparison[];
  /** Latest observation counted (within the window, not after the clock's now); `null` if none. */
  readonly lastObservationAt: number | null;
  /** The guards' last decision about the release, if they made one. */
  readonly decision: GuardDecision | null;
  readonly recommendations: readonly string[];
}

/** Status, score and label from what was observed (`enoughData`: something can be judged). */
export function scoreHealth(
  release: ReleaseView,
  metrics: readonly MetricHealth[],
  comparisons: readonly MetricComparison[],
  enoughData: boolean,
): { status: HealthStatus; score: number | null; label: string } {
  if (release.status === 'rolled_back') return { status: 'rolled_back', score: null, label: 'rolled back' };
  if (!enoughData) return { status: 'no_data', score: null, label: 'no data' };
  const regressions = comparisons.filter((c) => c.decision === 'regression').length;
  const penalty = metrics.reduce((sum, m) => sum + (m.severity === 'critical' ? 40 : m.severity === 'warning' ? 20 : 0), 0) + 40 * regressions;
  const score = Math.max(0, 100 - penalty);
  const status: HealthStatus =
    metrics.some((m) => m.severity === 'critical') || regressions > 0 || score < 50 ? 'critical' : metrics.some((m) => m.severity === 'warning') ? 'warning' : 'healthy';
  return { status, score, label: `${score} ${status}` };
}

/** Two decimals, for messages. */
export function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/** A signed number with four decimals at most, for messages. */
export function signed(value: number): string {
  const rounded = Math.round(value * 10_000) / 10_000;
  return rounded > 0 ? `+${rounded}` : String(rounded);
}

/** Plain-words advice from a release's health. */
export function recommend(
  version: string,
  release: ReleaseView,
  metrics: readonly MetricHealth[],
  comparisons: readonly MetricComparison[],
  status: HealthStatus,
  minimumSamples: number,
  windowMs: number,
): string[] {
  if (release.status === 'rolled_back') {
    return [`Release ${version} was rolled back (${release.rollback?.reason ?? 'no reason recorded'}): ship the fix as a new release.`];
  }
  const window = windowMs % 3_600_000 === 0 ? `${windowMs / 3_600_000} h` : `${Math.round(windowMs / 60_000)} min`;
  if (metrics.length === 0 && !comparisons.some((c) => c.treatment.count + c.control.count > 0)) {
    return release.status === 'released'
      ? [`Release ${version} is fully released; no metrics for it in the last ${window}, so its health is unknown.`]
      : [`No metrics for release ${version} in the last ${window}: record error_rate and crash_rate for it before advancing.`];
  }
  const advice: string[] = [];
  const active = release.status === 'planned' || release.status === 'in_progress' || release.status === 'testing' || release.status === 'staging';
  for (const m of metrics) {
    const where = `${m.metric} is ${round(m.value)} (must stay ${m.bad === 'above' ? 'below' : 'above'} ${m.limit})`;
    if (m.severity === 'critical') advice.push(`${where}: roll back release ${version} now and investigate.`);
    else if (m.severity === 'warning') advice.push(`${where}: hold release ${version} in its phase until it recovers.`);
    else if (active && m.samples < minimumSamples) advice.push(`${m.metric} has only ${m.samples} sample(s) in the last ${window}: wait for at least ${minimumSamples} before deciding.`);
  }
  for (const c of comparisons) {
    if (c.decision === 'regression') advice.push(`${c.metric} is worse for the release's users than for everyone else (difference ${signed(c.difference!)}): roll back release ${version}.`);
    else if (c.decision === 'no evidence yet' && active) advice.push(`${c.metric}: no evidence yet either way (${c.treatment.count} observations from the release's users, ${c.control.count} from everyone else).`);
  }
  if (status === 'healthy' && advice.length === 0) {
    advice.push(
      release.status === 'released'
        ? `Release ${version} is fully released and its watched metrics are within their limits.`
        : `All watched metrics of release ${version} are within their limits: it is safe to advance.`,
    );
  }
  return advice;
}
