import { evaluateFlag, type EvaluationResult } from '../flags/evaluate.js';
import type { EvaluationContext, Flag } from '../flags/model.js';
import type { Simulation, SimulationStep } from './simulation.js';

/** A rollout property that does not hold, with the counterexample that shows it. */
export class RolloutAssertionError extends Error {
  /** The user, time and flag state that break the property. */
  readonly counterexample: Readonly<Record<string, string | number | null>>;

  constructor(message: string, counterexample: Record<string, string | number | null>) {
    const details = Object.entries(counterexample)
      .map(([key, value]) => `  ${key}: ${value}`)
      .join('\n');
    super(`${message}\n${details}`);
    this.name = 'RolloutAssertionError';
    this.counterexample = counterexample;
  }
}

const iso = (at: number) => new Date(at).toISOString();

/**
 * No user who got a feature loses it before the rollout completes.
 * @throws RolloutAssertionError naming the user, the feature, both times and both flag states.
 */
export function assertMonotonicExposure(simulation: Simulation, options: { features?: readonly string[] } = {}): void {
  const features = options.features ?? simulation.features;
  for (let i = 1; i < simulation.steps.length; i++) {
    const before = simulation.steps[i - 1]!;
    const after = simulation.steps[i]!;
    for (const feature of features) {
      const now = after.enabled.get(feature) ?? new Set<string>();
      for (const userId of before.enabled.get(feature) ?? []) {
        if (!now.has(userId)) {
          throw new RolloutAssertionError(`User '${userId}' lost '${feature}' during the rollout`, {
            user: userId,
            feature,
            hadItAt: iso(before.at),
            lostItAt: iso(after.at),
            stateBefore: before.states.get(feature) ?? null,
            stateAfter: after.states.get(feature) ?? null,
            phaseBefore: before.phase,
            phaseAfter: after.phase,
          });
        }
      }
    }
  }
}

/**
 * The smallest k such that a Binomial(n, p) count exceeds k with probability at most `alpha`,
 * computed exactly (a normal approximation is far too optimistic for small samples: 2 of 3 users
 * at 1% happens 3 times in 10,000).
 */
export function binomialUpperBound(n: number, p: number, alpha: number): number {
  if (p <= 0) return 0;
  if (p >= 1) return n;
  // Walk the probability mass function in log space from 0 upwards until the tail is small enough.
  const logRatio = Math.log(p) - Math.log1p(-p);
  let logPmf = n * Math.log1p(-p);
  let cumulative = 0;
  for (let k = 0; k <= n; k++) {
    cumulative += Math.exp(logPmf);
    if (1 - cumulative <= alpha) return k;
    logPmf += Math.log(n - k) - Math.log(k + 1) + logRatio;
  }
  return n;
}

/**
 * Exposure never exceeds the plan's percentage by more than chance allows: more exposed users
 * than a Binomial(users, planned %) count reaches with probability `alpha` (default 1e-9, so a
 * correct rollout essentially never fails the assertion, even checked thousands of times).
 */
export function assertExposureWithinPlan(simulation: Simulation, options: { alpha?: number } = {}): void {
  const alpha = options.alpha ?? 1e-9;
  const n = simulation.users.length;
  const bounds = new Map<number, number>();
  for (const step of simulation.steps) {
    if (step.plannedPercentage === null) continue;
    const p = step.plannedPercentage / 100;
    let bound = bounds.get(p);
    if (bound === undefined) bounds.set(p, (bound = binomialUpperBound(n, p, alpha)));
    for (const [feature, users] of step.enabled) {
      if (users.size > bound) {
        throw new RolloutAssertionError(`'${feature}' reached more users than its plan allows`, {
          feature,
          at: iso(step.at),
          phase: step.phase,
          plannedPercentage: step.plannedPercentage,
          exposedUsers: users.size,
          allowedUsers: Math.floor(bound),
          state: step.states.get(feature) ?? null,
        });
      }
    }
  }
}

/** Nobody ever has `feature` without `requires` at the same time. */
export function assertFeatureDependency(simulation: Simulation, dependency: { feature: string; requires: string }): void {
  for (const step of simulation.steps) {
    const dependent = step.enabled.get(dependency.feature) ?? new Set<string>();
    const required = step.enabled.get(dependency.requires) ?? new Set<string>();
    for (const userId of dependent) {
      if (!required.has(userId)) {
        throw new RolloutAssertionError(`User '${userId}' has '${dependency.feature}' without '${dependency.requires}'`, {
          user: userId,
          at: iso(step.at),
          feature: dependency.feature,
          featureState: step.states.get(dependency.feature) ?? null,
          requires: dependency.requires,
          requiredState: step.states.get(dependency.requires) ?? null,
        });
      }
    }
  }
}

/**
 * A configuration change that should not move anyone moved nobody: every user gets the same
 * answer and the same variant from `after` as from `before`, except users named in
 * `allowedToChange` (for example a user just added to `enabledUsers`). With `maxMovedShare`, a
 * change that is meant to move some users (a split's weights changed by 10 points: `0.1`) may
 * move at most that share of `users`; the error names the first user past it.
 */
export function assertStableAssignment(
  before: Flag,
  after: Flag,
  users: ReadonlyArray<string | EvaluationContext>,
  options: { at?: number; allowedToChange?: readonly string[]; maxMovedShare?: number } = {},
): void {
  const at = options.at ?? before.updatedAt;
  const allowed = new Set(options.allowedToChange ?? []);
  const budget = Math.floor((options.maxMovedShare ?? 0) * users.length);
  let moved = 0;
  for (const user of users) {
    const context = typeof user === 'string' ? { userId: user } : user;
    if (context.userId !== undefined && allowed.has(context.userId)) continue;
    const was = evaluateFlag(before, context, at);
    const is = evaluateFlag(after, context, at);
    if (was.enabled === is.enabled && was.variant === is.variant) continue;
    if (++moved <= budget) continue;
    throw new RolloutAssertionError(
      budget > 0 ? `More than ${budget} of ${users.length} users moved when '${before.key}' changed` : `User '${context.userId ?? '(none)'}' moved when '${before.key}' changed`,
      {
        user: context.userId ?? null,
        at: iso(at),
        before: describeAnswer(was),
        after: describeAnswer(is),
      },
    );
  }
}

/** An answer for a counterexample: on/off, the variant of a flag with variants, the reason and buckets. */
function describeAnswer(result: EvaluationResult): string {
  const variant = result.valueType !== undefined && result.valueType !== 'boolean' ? ` variant ${result.variant ?? '(none)'}` : result.variant !== undefined && result.variant !== 'on' && result.variant !== 'off' ? ` variant ${result.variant}` : '';
  const buckets = [result.bucket !== undefined ? `bucket ${result.bucket}` : '', result.variantBucket !== undefined ? `variant bucket ${result.variantBucket}` : ''].filter(Boolean).join(', ');
  return `${result.enabled ? 'on' : 'off'}${variant} (${result.reason}${buckets ? `, ${buckets}` : ''})`;
}

/** The users with `feature` at a step (a convenience for custom properties). */
export function usersWith(step: SimulationStep, feature: string): ReadonlySet<string> {
  return step.enabled.get(feature) ?? new Set<string>();
}
