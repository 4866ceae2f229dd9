import { breachOf } from './model.js';
import { compareArms, EMPTY_ARM, mergeArms, type ArmAggregate, type SequentialOptions } from './sequential.js';

/**
 * Simulated guarded releases on a fake clock with seeded randomness: how often each guard rolls
 * back a release that changes nothing (A/A), and how fast it catches one that does harm.
 * Used by test/analytics/guard-simulation.test.ts and bench/guarded.mjs; the results are quoted in
 * docs/guarded-rollouts.md. Pure: the same options give the same numbers on every machine.
 */

/** A small, fast, seeded PRNG (mulberry32): uniform numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The guard under test. */
export type SimulatedGuard =
  | {
      /** The sequential comparison against control (what `guardMetrics` use). */
      readonly method: 'sequential';
      readonly alpha?: number;
      /** Largest accepted harm relative to control's mean (0.1 = 10% worse). Default 0. */
      readonly maxRelativeRegression?: number;
      readonly minimumSamples?: number;
      readonly mixingScale?: number;
    }
  | {
      /**
       * Today's absolute threshold: the app records the release's error rate (in percent) every
       * look; the mean over the last hour (at least 5 samples) crossing `limit` holds the release,
       * crossing it by half again rolls it back (`breachOf`).
       */
      readonly method: 'absolute';
      readonly limit: number;
    };

/** One simulated scenario. */
export interface GuardSimulationOptions {
  readonly runs: number;
  readonly seed: number;
  /** Chance that one observation (a request, a session) is an error without the release. */
  readonly controlRate: number;
  /** The same chance for users who have the release. */
  readonly treatmentRate: number;
  /** Exposure phases in order: percent of users with the release, and how long. */
  readonly phases: ReadonlyArray<{ readonly percentage: number; readonly hours: number }>;
  /** Observations across all users per hour. Default 2,000. */
  readonly observationsPerHour?: number;
  /** Minutes between looks (the guard checks after every batch). Default 10. */
  readonly lookEveryMinutes?: number;
  readonly guard: SimulatedGuard;
  /**
   * A fleet-wide incident that hits both arms alike (a dependency down, a traffic spike): from
   * `atHour` for `hours`, every observation errs with chance `rate`. Not the release's fault.
   */
  readonly fleetIncident?: { readonly atHour: number; readonly hours: number; readonly rate: number };
}

/**
 * The rollout of issue 18 that the docs' table, the benchmark and the tests all simulate: 2%
 * errors without the release, 5% then 20% exposure for a day each, 2,000 observations an hour,
 * a look every 10 minutes. Add `runs`, `seed`, `treatmentRate` and `guard`.
 */
export const REFERENCE_GUARD_SCENARIO = {
  controlRate: 0.02,
  phases: [
    { percentage: 5, hours: 24 },
    { percentage: 20, hours: 24 },
  ],
  observationsPerHour: 2_000,
  lookEveryMinutes: 10,
} as const satisfies Omit<GuardSimulationOptions, 'runs' | 'seed' | 'treatmentRate' | 'guard'>;

/** One simulated release. */
export interface GuardSimulationRun {
  readonly rolledBack: boolean;
  /** Ever held (absolute guard's warning); the sequential guard never holds in the simulation. */
  readonly held: boolean;
  /** Observations (both arms) recorded before the rollback; `null` when not rolled back. */
  readonly observationsToDetection: number | null;
  readonly hoursToDetection: number | null;
  /** Index of the phase the rollback happened in; `null` when not rolled back. */
  readonly phaseAtDetection: number | null;
}

/** What many runs of one scenario add up to. */
export interface GuardSimulationSummary {
  readonly runs: number;
  readonly rollbacks: number;
  readonly rollbackRate: number;
  /** 95% Wilson score interval of the rollback rate. */
  readonly rollbackRateInterval: readonly [number, number];
  readonly heldRuns: number;
  readonly rolledBackInFirstPhase: number;
  /** Median observations (both arms) before rollback, over the runs that rolled back; `null` if none did. */
  readonly medianObservationsToDetection: number | null;
  readonly medianHoursToDetection: number | null;
}

/** 95% Wilson score interval for `successes` out of `trials`. */
export function wilsonInterval(successes: number, trials: number, z = 1.959964): readonly [number, number] {
  if (trials === 0) return [0, 1];
  const p = successes / trials;
  const denominator = 1 + (z * z) / trials;
  const centre = (p + (z * z) / (2 * trials)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / trials + (z * z) / (4 * trials * trials))) / denominator;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * An exact Binomial(n, p) draw by skipping geometric gaps between successes: O(n·min(p, 1−p))
 * uniforms instead of n, which keeps 1,000 simulated releases fast.
 */
export function binomial(n: number, p: number, random: () => number): number {
  if (p <= 0 || n <= 0) return 0;
  if (p >= 1) return n;
  if (p > 0.5) return n - binomial(n, 1 - p, random);
  const logFail = Math.log1p(-p);
  let successes = 0;
  for (let position = 0; ; successes++) {
    // 1 − random() is in (0, 1], so the log is finite.
    position += Math.floor(Math.log(1 - random()) / logFail) + 1;
    if (position > n) return successes;
  }
}

/** Simulates one release. */
export function simulateGuardedRelease(options: GuardSimulationOptions, random: () => number): GuardSimulationRun {
  const perHour = options.observationsPerHour ?? 2_000;
  const lookMinutes = options.lookEveryMinutes ?? 10;
  const perLook = Math.round((perHour * lookMinutes) / 60);
  const guard = options.guard;
  let treatment: ArmAggregate = EMPTY_ARM;
  let control: ArmAggregate = EMPTY_ARM;
  /** Absolute guard: the recorded error-rate samples (percent) of the last hour. */
  const samples: number[] = [];
  const samplesPerHour = Math.round(60 / lookMinutes);
  let held = false;
  let observations = 0;
  let hours = 0;
  for (let phaseIndex = 0; phaseIndex < options.phases.length; phaseIndex++) {
    const phase = options.phases[phaseIndex]!;
    const looks = Math.round((phase.hours * 60) / lookMinutes);
    for (let look = 0; look < looks; look++) {
      // Each observation is 0 (fine) or 1 (error), so an arm's sum of squares equals its sum.
      const incident = options.fleetIncident;
      const inIncident = incident !== undefined && hours >= incident.atHour && hours < incident.atHour + incident.hours;
      const countT = binomial(perLook, phase.percentage / 100, random);
      const errorsT = binomial(countT, inIncident ? incident.rate : options.treatmentRate, random);
      const errorsC = binomial(perLook - countT, inIncident ? incident.rate : options.controlRate, random);
      const batchT: ArmAggregate = { count: countT, sum: errorsT, sumOfSquares: errorsT };
      const batchC: ArmAggregate = { count: perLook - countT, sum: errorsC, sumOfSquares: errorsC };
      observations += perLook;
      hours += lookMinutes / 60;
      treatment = mergeArms(treatment, batchT);
      control = mergeArms(control, batchC);
      let rolledBack = false;
      if (guard.method === 'sequential') {
        const controlMean = control.count > 0 ? control.sum / control.count : 0;
        const sequential: SequentialOptions = {
          bad: 'above',
          tolerance: (guard.maxRelativeRegression ?? 0) * Math.abs(controlMean),
          ...(guard.alpha !== undefined ? { alpha: guard.alpha } : {}),
          ...(guard.minimumSamples !== undefined ? { minimumSamples: guard.minimumSamples } : {}),
          ...(guard.mixingScale !== undefined ? { mixingScale: guard.mixingScale } : {}),
        };
        rolledBack = compareArms(treatment, control, sequential).decision === 'regression';
      } else {
        if (batchT.count > 0) samples.push((100 * batchT.sum) / batchT.count);
        while (samples.length > samplesPerHour) samples.shift();
        if (samples.length >= 5) {
          const mean = samples.reduce((sum, v) => sum + v, 0) / samples.length;
          const severity = breachOf(mean, guard.limit, 'above');
          if (severity === 'warning') held = true;
          rolledBack = severity === 'critical';
        }
      }
      if (rolledBack) return { rolledBack, held, observationsToDetection: observations, hoursToDetection: hours, phaseAtDetection: phaseIndex };
    }
  }
  return { rolledBack: false, held, observationsToDetection: null, hoursToDetection: null, phaseAtDetection: null };
}

/** Runs a scenario `options.runs` times from `options.seed` and sums it up. */
export function simulateGuard(options: GuardSimulationOptions): GuardSimulationSummary {
  const random = seededRandom(options.seed);
  const results: GuardSimulationRun[] = [];
  for (let run = 0; run < options.runs; run++) results.push(simulateGuardedRelease(options, random));
  const detected = results.filter((r) => r.rolledBack);
  return {
    runs: options.runs,
    rollbacks: detected.length,
    rollbackRate: detected.length / options.runs,
    rollbackRateInterval: wilsonInterval(detected.length, options.runs),
    heldRuns: results.filter((r) => r.held).length,
    rolledBackInFirstPhase: detected.filter((r) => r.phaseAtDetection === 0).length,
    medianObservationsToDetection: median(detected.map((r) => r.observationsToDetection!)),
    medianHoursToDetection: median(detected.map((r) => r.hoursToDetection!)),
  };
}

/** One look of a traced run: what the sequential guard saw. */
export interface GuardTracePoint {
  readonly hours: number;
  readonly observations: number;
  readonly treatmentCount: number;
  readonly difference: number | null;
  readonly interval: readonly [number, number] | null;
  readonly decision: 'regression' | 'no evidence yet' | 'safe';
}

/**
 * One release under the sequential guard, look by look (for pictures and docs): the estimated
 * difference and its always-valid interval narrowing as data comes in. Stops at a regression.
 */
export function traceSequentialGuard(options: Omit<GuardSimulationOptions, 'runs' | 'guard'> & { readonly maxRelativeRegression?: number }): GuardTracePoint[] {
  const random = seededRandom(options.seed);
  const perHour = options.observationsPerHour ?? 2_000;
  const lookMinutes = options.lookEveryMinutes ?? 10;
  const perLook = Math.round((perHour * lookMinutes) / 60);
  let treatment: ArmAggregate = EMPTY_ARM;
  let control: ArmAggregate = EMPTY_ARM;
  let observations = 0;
  let hours = 0;
  const points: GuardTracePoint[] = [];
  for (const phase of options.phases) {
    const looks = Math.round((phase.hours * 60) / lookMinutes);
    for (let look = 0; look < looks; look++) {
      const countT = binomial(perLook, phase.percentage / 100, random);
      const errorsT = binomial(countT, options.treatmentRate, random);
      const errorsC = binomial(perLook - countT, options.controlRate, random);
      treatment = mergeArms(treatment, { count: countT, sum: errorsT, sumOfSquares: errorsT });
      control = mergeArms(control, { count: perLook - countT, sum: errorsC, sumOfSquares: errorsC });
      observations += perLook;
      hours += lookMinutes / 60;
      const controlMean = control.count > 0 ? control.sum / control.count : 0;
      const result = compareArms(treatment, control, { bad: 'above', tolerance: (options.maxRelativeRegression ?? 0) * controlMean });
      points.push({ hours, observations, treatmentCount: treatment.count, difference: result.difference, interval: result.interval, decision: result.decision });
      if (result.decision === 'regression') return points;
    }
  }
  return points;
}
