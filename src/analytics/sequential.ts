/**
 * An always-valid sequential comparison of a release's users (treatment) against everyone else
 * (control): the mixture sequential probability ratio test (mSPRT) with a normal mixing prior.
 *
 * Why this test: a guard looks at its data again and again (every `record`, every `tick`). A
 * fixed-sample test checked that often raises false alarms far above its nominal rate; the
 * mSPRT's error guarantee holds at every look, however often and whenever one stops
 * (Johari, Koomen, Pekelis, Walsh, "Peeking at A/B tests", KDD 2017; Johari, Koomen, Pekelis,
 * Walsh, "Always valid inference: continuous monitoring of A/B tests", Operations Research 70(3),
 * 2022; Robbins, "Statistical methods related to the law of the iterated logarithm", 1970).
 *
 * Method. Per arm we keep only count, sum and sum of squares (no user ids). From them:
 * the difference of means `d = mean(T) - mean(C)` and its variance `V = s²(T)/n(T) + s²(C)/n(C)`
 * (sample variances plugged in). With a normal mixing prior of variance `τ²` on the true
 * difference `θ`, the mixture likelihood ratio against `θ = θ0` is
 *
 *     Λ(θ0) = sqrt(V / (V + τ²)) · exp( τ² (d − θ0)² / (2 V (V + τ²)) )
 *
 * and rejecting `θ0` once `Λ(θ0) ≥ 1/α` keeps the chance of ever rejecting a true `θ0` at or
 * below `α`. Inverting the test gives a confidence sequence: every `θ0` with `Λ(θ0) < 1/α`,
 * which is `d ± w` with
 *
 *     w² = V (V + τ²) / τ² · ( 2 ln(1/α) + ln((V + τ²) / V) ).
 *
 * It contains the true difference at every look simultaneously with probability at least `1 − α`.
 *
 * Decision, with `harm` the difference oriented so that positive is bad and `tolerance` the
 * largest harm the user accepts:
 * - `regression`: the whole interval of harm lies above `tolerance`;
 * - `safe`: the whole interval lies below `tolerance` (any harm is smaller than what is accepted);
 * - `no evidence yet`: otherwise, or while an arm has fewer than `minimumSamples` observations.
 *
 * Assumptions (read before trusting the numbers):
 * - Observations are independent across users and identically distributed within an arm over
 *   the comparison (one observation per user and outcome works best; many from one user make
 *   the interval too narrow).
 * - The guarantee is exact for normal data with known variance. With plugged-in variances and
 *   0/1 outcomes (error or not) it holds asymptotically; `minimumSamples` keeps the earliest
 *   looks, where the normal approximation is poor, from deciding. The simulations in
 *   test/analytics/guard-simulation.test.ts and bench/guarded.mjs measure the real rates.
 * - Arms are compared over the same period, so traffic and time-of-day changes that hit both
 *   arms cancel out; an absolute limit cannot tell them apart from a bad release.
 * - `τ` sets which effect sizes the test is quickest to detect; any fixed `τ` keeps the error
 *   guarantee. The default is a tenth of the pooled standard deviation, scaled with the data.
 */

/** Running aggregates of one arm: no ids, no individual values. */
export interface ArmAggregate {
  readonly count: number;
  readonly sum: number;
  readonly sumOfSquares: number;
}

/** An arm with nothing recorded. */
export const EMPTY_ARM: ArmAggregate = Object.freeze({ count: 0, sum: 0, sumOfSquares: 0 });

/** The arm with one more observation. */
export function addObservation(arm: ArmAggregate, value: number): ArmAggregate {
  return { count: arm.count + 1, sum: arm.sum + value, sumOfSquares: arm.sumOfSquares + value * value };
}

/** Two arms' aggregates combined (aggregates of disjoint observations add up). */
export function mergeArms(a: ArmAggregate, b: ArmAggregate): ArmAggregate {
  return { count: a.count + b.count, sum: a.sum + b.sum, sumOfSquares: a.sumOfSquares + b.sumOfSquares };
}

/** Mean of an arm (NaN when empty). */
export function armMean(arm: ArmAggregate): number {
  return arm.count === 0 ? Number.NaN : arm.sum / arm.count;
}

/** Unbiased sample variance of an arm (0 with fewer than two observations). */
export function armVariance(arm: ArmAggregate): number {
  if (arm.count < 2) return 0;
  const mean = arm.sum / arm.count;
  // Sums can cancel to a tiny negative number: a variance is never below 0.
  return Math.max(0, (arm.sumOfSquares - arm.count * mean * mean) / (arm.count - 1));
}

/** What the comparison concludes. */
export type SequentialDecision = 'regression' | 'no evidence yet' | 'safe';

/** Parameters of {@link compareArms}. */
export interface SequentialOptions {
  /** Which direction of the metric is bad: `above` for error rates, `below` for success rates. */
  readonly bad: 'above' | 'below';
  /** Chance of a false `regression` (and of the interval missing the truth) over the whole run. Default 0.05. */
  readonly alpha?: number;
  /** Largest harm (in metric units, treatment worse than control) still accepted. Default 0. */
  readonly tolerance?: number;
  /** Each arm needs at least this many observations before anything but `no evidence yet`. Default 100. */
  readonly minimumSamples?: number;
  /**
   * Standard deviation `τ` of the normal mixing prior, in metric units. Default: `mixingScale`
   * times the pooled standard deviation of both arms.
   */
  readonly mixingStandardDeviation?: number;
  /** Used when `mixingStandardDeviation` is not given. Default 0.1. */
  readonly mixingScale?: number;
}

/** The comparison's result: plain JSON. */
export interface SequentialResult {
  readonly decision: SequentialDecision;
  readonly treatment: { readonly count: number; readonly mean: number | null };
  readonly control: { readonly count: number; readonly mean: number | null };
  /** Estimated `mean(treatment) − mean(control)`; `null` while an arm is empty. */
  readonly difference: number | null;
  /** Always-valid confidence interval of the difference at level `1 − alpha`; `null` until it can be computed. */
  readonly interval: readonly [number, number] | null;
  /**
   * Mixture likelihood ratio against "harm equals tolerance". At or above `1/alpha` the interval
   * excludes the tolerance: a regression when the estimate is on the bad side, safe otherwise.
   */
  readonly likelihoodRatio: number;
  readonly alpha: number;
  readonly tolerance: number;
}

/** Defaults of {@link SequentialOptions}, documented in docs/guarded-rollouts.md. */
export const SEQUENTIAL_DEFAULTS = Object.freeze({ alpha: 0.05, tolerance: 0, minimumSamples: 100, mixingScale: 0.1 });

/** ln Λ(θ0) for estimate `d`, variance `v` and prior variance `tau2`. */
function logMixtureRatio(d: number, theta0: number, v: number, tau2: number): number {
  return 0.5 * Math.log(v / (v + tau2)) + (tau2 * (d - theta0) ** 2) / (2 * v * (v + tau2));
}

/** Half-width of the always-valid interval. */
export function confidenceHalfWidth(variance: number, tau2: number, alpha: number): number {
  return Math.sqrt(((variance * (variance + tau2)) / tau2) * (2 * Math.log(1 / alpha) + Math.log((variance + tau2) / variance)));
}

function checkOptions(options: SequentialOptions): Required<Pick<SequentialOptions, 'alpha' | 'tolerance' | 'minimumSamples' | 'mixingScale'>> {
  const alpha = options.alpha ?? SEQUENTIAL_DEFAULTS.alpha;
  const tolerance = options.tolerance ?? SEQUENTIAL_DEFAULTS.tolerance;
  const minimumSamples = options.minimumSamples ?? SEQUENTIAL_DEFAULTS.minimumSamples;
  const mixingScale = options.mixingScale ?? SEQUENTIAL_DEFAULTS.mixingScale;
  if (!(alpha > 0 && alpha < 0.5)) throw new RangeError(`alpha must be between 0 and 0.5 (exclusive), got ${alpha}`);
  if (!(Number.isFinite(tolerance) && tolerance >= 0)) throw new RangeError(`tolerance must be a finite number >= 0, got ${tolerance}`);
  if (!(Number.isInteger(minimumSamples) && minimumSamples >= 2)) throw new RangeError(`minimumSamples must be an integer >= 2, got ${minimumSamples}`);
  if (!(Number.isFinite(mixingScale) && mixingScale > 0)) throw new RangeError(`mixingScale must be a finite number > 0, got ${mixingScale}`);
  if (options.mixingStandardDeviation !== undefined && !(Number.isFinite(options.mixingStandardDeviation) && options.mixingStandardDeviation > 0)) {
    throw new RangeError(`mixingStandardDeviation must be a finite number > 0, got ${options.mixingStandardDeviation}`);
  }
  if (options.bad !== 'above' && options.bad !== 'below') throw new RangeError(`bad must be 'above' or 'below', got ${String(options.bad)}`);
  return { alpha, tolerance, minimumSamples, mixingScale };
}

/**
 * Compares treatment against control with the mSPRT (see the module comment): `regression`,
 * `no evidence yet` or `safe`, the estimated difference and its always-valid interval.
 * Pure and deterministic. Throws `RangeError` on options out of range.
 */
export function compareArms(treatment: ArmAggregate, control: ArmAggregate, options: SequentialOptions): SequentialResult {
  const { alpha, tolerance, minimumSamples, mixingScale } = checkOptions(options);
  const base = {
    treatment: { count: treatment.count, mean: treatment.count > 0 ? armMean(treatment) : null },
    control: { count: control.count, mean: control.count > 0 ? armMean(control) : null },
    alpha,
    tolerance,
  };
  if (treatment.count === 0 || control.count === 0) {
    return { ...base, decision: 'no evidence yet', difference: null, interval: null, likelihoodRatio: 1 };
  }
  const difference = armMean(treatment) - armMean(control);
  const variance = armVariance(treatment) / treatment.count + armVariance(control) / control.count;
  const pooledVariance =
    treatment.count + control.count > 2
      ? (armVariance(treatment) * (treatment.count - 1) + armVariance(control) * (control.count - 1)) / (treatment.count + control.count - 2)
      : 0;
  const tau = options.mixingStandardDeviation ?? mixingScale * Math.sqrt(pooledVariance);
  const tau2 = tau * tau;
  // No spread at all (every value equal in both arms): nothing to test yet.
  if (!(variance > 0) || !(tau2 > 0) || !Number.isFinite(variance)) {
    return { ...base, decision: 'no evidence yet', difference, interval: null, likelihoodRatio: 1 };
  }
  const halfWidth = confidenceHalfWidth(variance, tau2, alpha);
  const interval = [difference - halfWidth, difference + halfWidth] as const;
  // Orient so that positive harm is bad.
  const sign = options.bad === 'above' ? 1 : -1;
  const harm = sign * difference;
  const harmLow = harm - halfWidth;
  const harmHigh = harm + halfWidth;
  const likelihoodRatio = Math.exp(logMixtureRatio(harm, tolerance, variance, tau2));
  const enough = treatment.count >= minimumSamples && control.count >= minimumSamples;
  const decision: SequentialDecision = !enough ? 'no evidence yet' : harmLow > tolerance ? 'regression' : harmHigh < tolerance ? 'safe' : 'no evidence yet';
  return { ...base, decision, difference, interval, likelihoodRatio };
}
