import { evaluateFlag, targetingEnvironment } from '../flags/evaluate.js';
import type { EvaluationContext, Flag } from '../flags/model.js';
import type { Segment } from '../flags/segments.js';
import { audienceRules } from '../releases/audience.js';
import type { RolloutPhase } from '../releases/model.js';

/** A release to simulate: its version (for the salt), its features and its plan, taken as given (not validated, so broken plans can be tested). */
export interface SimulatedRelease {
  readonly version: string;
  readonly features: readonly string[];
  readonly plan: { readonly phases: ReadonlyArray<Pick<RolloutPhase, 'name' | 'percentage' | 'durationMs'> & Partial<Pick<RolloutPhase, 'audience'>>> };
  /** Bucketing salt; default `release:<version>` like `gate.releases`. */
  readonly salt?: string;
}

/** What {@link simulateRollout} takes. Give `flags`, `release`, or both. */
export interface SimulationInput {
  /** Flags evaluated as they are (gradual ramps move with the virtual clock). */
  readonly flags?: readonly Flag[];
  /** A release whose phases advance on schedule from `from` (auto gates, no holds). */
  readonly release?: SimulatedRelease;
  /** User ids, or full contexts (with `attributes`, for flags with rules). */
  readonly users: ReadonlyArray<string | EvaluationContext>;
  /** Segments that the flags' rules and the phases' audiences name. */
  readonly segments?: readonly Segment[];
  /** Virtual start time (epoch ms); the release starts here. */
  readonly from: number;
  /** Virtual end time (inclusive). */
  readonly to: number;
  /** Step between observations, ms. */
  readonly step: number;
}

/** One observation of the simulation. */
export interface SimulationStep {
  readonly at: number;
  /** The release's phase at this time, if simulating a release. */
  readonly phase: string | null;
  /** The release's planned percentage at this time, if simulating a release. */
  readonly plannedPercentage: number | null;
  /** Users with each feature on, by feature key. */
  readonly enabled: ReadonlyMap<string, ReadonlySet<string>>;
  /** Flag states by feature key at this time, for counterexamples. */
  readonly states: ReadonlyMap<string, string>;
  /**
   * For each flag with variants: the share of the users (0–1) served each variant, by name
   * (every declared variant is listed, 0 when nobody got it). Users served nothing (an error,
   * such as a split without a user id) count toward no variant. Always set by {@link simulateRollout}.
   */
  readonly variantShares?: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

/** The result of {@link simulateRollout}. */
export interface Simulation {
  readonly features: readonly string[];
  readonly users: readonly string[];
  readonly steps: readonly SimulationStep[];
  /** When the simulated release completed (its last phase began), if it did. */
  readonly completedAt: number | null;
}

/** The phase a release is in at `at`, started at `from`, advancing on schedule. */
export function phaseAt(release: SimulatedRelease, from: number, at: number): { index: number; phase: SimulatedRelease['plan']['phases'][number] } | null {
  if (at < from || release.plan.phases.length === 0) return null;
  let start = from;
  for (let index = 0; index < release.plan.phases.length; index++) {
    const phase = release.plan.phases[index]!;
    const isLast = index === release.plan.phases.length - 1;
    if (isLast || at < start + phase.durationMs) return { index, phase };
    start += phase.durationMs;
  }
  return null;
}

function releaseFlag(release: SimulatedRelease, feature: string, phase: SimulatedRelease['plan']['phases'][number], at: number): Flag {
  const percentage = phase.percentage;
  const rules = audienceRules(phase.audience);
  return {
    ...(rules.length > 0 ? { rules } : {}),
    key: feature,
    description: '',
    state: 'rollout',
    strategy: { type: 'percentage', percentage },
    enabledUsers: [],
    salt: release.salt ?? `release:${release.version}`,
    tags: [],
    metadata: {},
    hashVersion: 1,
    createdAt: at,
    updatedAt: at,
  };
}

/**
 * A pure simulation of a rollout on a virtual clock: for each step from `from` to `to`, which
 * users had which features on. Uses the same evaluator as production, so what it shows is what
 * users will get.
 *
 * @example
 * ```ts
 * const sim = simulateRollout({ release, users: ids, from: 0, to: 12 * Duration.week, step: Duration.day });
 * assertMonotonicExposure(sim);
 * ```
 */
export function simulateRollout(input: SimulationInput): Simulation {
  if (!(input.step > 0)) throw new RangeError('simulateRollout: step must be greater than 0');
  if (input.to < input.from) throw new RangeError('simulateRollout: to must not be before from');
  const contexts: EvaluationContext[] = input.users.map((user) => (typeof user === 'string' ? { userId: user } : user));
  const users = contexts.map((context) => context.userId ?? '');
  const flagFeatures = (input.flags ?? []).map((flag) => flag.key);
  const releaseFeatures = input.release?.features ?? [];
  const features = [...new Set([...flagFeatures, ...releaseFeatures])];
  const steps: SimulationStep[] = [];
  let completedAt: number | null = null;
  for (let at = input.from; at <= input.to; at += input.step) {
    const enabled = new Map<string, Set<string>>();
    const states = new Map<string, string>();
    const current = input.release ? phaseAt(input.release, input.from, at) : null;
    if (current && input.release && current.index === input.release.plan.phases.length - 1 && completedAt === null) {
      completedAt = at;
    }
    const flags: Flag[] = [...(input.flags ?? [])];
    if (input.release && current) {
      for (const feature of releaseFeatures) flags.push(releaseFlag(input.release, feature, current.phase, at));
    }
    // Segments and prerequisites resolve among this step's flags, as in a client's snapshot.
    const environment = targetingEnvironment({ segments: input.segments ?? [], flags });
    const variantShares = new Map<string, Map<string, number>>();
    for (const flag of flags) {
      const on = new Set<string>();
      const served = flag.variants === undefined ? undefined : new Map<string, number>(flag.variants.map((variant) => [variant.name, 0]));
      contexts.forEach((context, index) => {
        const result = evaluateFlag(flag, context, at, environment);
        if (result.enabled) on.add(users[index]!);
        if (served !== undefined && result.variant !== undefined) served.set(result.variant, (served.get(result.variant) ?? 0) + 1);
      });
      enabled.set(flag.key, on);
      states.set(flag.key, describeState(flag, at));
      if (served !== undefined) {
        for (const [name, count] of served) served.set(name, contexts.length === 0 ? 0 : count / contexts.length);
        variantShares.set(flag.key, served);
      }
    }
    for (const feature of features) if (!enabled.has(feature)) enabled.set(feature, new Set());
    steps.push({ at, phase: current?.phase.name ?? null, plannedPercentage: current?.phase.percentage ?? null, enabled, states, variantShares });
  }
  return { features, users, steps, completedAt };
}

function describeState(flag: Flag, at: number): string {
  const strategy = flag.strategy;
  switch (strategy.type) {
    case 'percentage':
      return `${flag.state}, percentage ${strategy.percentage}%`;
    case 'gradual': {
      const progress = Math.min(1, Math.max(0, (at - strategy.startAt) / (strategy.endAt - strategy.startAt)));
      return `${flag.state}, gradual at ${Math.round(progress * 100_000) / 1000}%`;
    }
    case 'ring':
      return `${flag.state}, rings ${strategy.rings.join(', ')}`;
    case 'userList':
      return `${flag.state}, user list of ${strategy.userIds.length}`;
  }
}
