import fc from 'fast-check';
import { textProblem } from '../validation.js';
import { ACCESS_LEVELS, FLAG_STATES, STRATEGY_TYPES, type EvaluationContext, type Flag, type Strategy, type StrategyType } from '../flags/model.js';

/** Options for {@link userIdArbitrary}. */
export interface UserIdArbitraryOptions {
  /** Include any unicode (astral planes too), not just ASCII. Default `true`. */
  readonly unicode?: boolean;
}

/** User ids as phasegate accepts them: non-empty strings up to 256 characters, any unicode but NUL (see `textProblem`). */
export function userIdArbitrary(options: UserIdArbitraryOptions = {}): fc.Arbitrary<string> {
  const unit = options.unicode === false ? 'grapheme-ascii' : 'binary';
  return fc.string({ unit, minLength: 1, maxLength: 64 }).filter((id) => textProblem(id) === undefined);
}

/** Flag keys as phasegate accepts them. */
export function flagKeyArbitrary(): fc.Arbitrary<string> {
  return fc.stringMatching(/^[a-z0-9][a-z0-9._:-]{0,30}$/).filter((key) => key !== 'constructor' && key !== 'prototype');
}

/** Percentages 0–100 with up to three decimals. */
export function percentageArbitrary(): fc.Arbitrary<number> {
  return fc.integer({ min: 0, max: 100_000 }).map((thousandths) => thousandths / 1000);
}

/** Ring names, biased toward a few common ones so contexts hit them. */
export function ringArbitrary(): fc.Arbitrary<string> {
  return fc.oneof(fc.constantFrom('production', 'canary', 'internal', 'beta'), fc.string({ minLength: 1, maxLength: 12 }));
}

/**
 * One arbitrary per registered strategy type. The mapped type makes a new strategy in the
 * registry a compile error here until it has an arbitrary, so property tests cover it.
 */
const STRATEGY_ARBITRARIES: { readonly [T in StrategyType]: () => fc.Arbitrary<Extract<Strategy, { type: T }>> } = {
  percentage: () => percentageArbitrary().map((percentage) => ({ type: 'percentage' as const, percentage })),
  userList: () => fc.array(userIdArbitrary(), { maxLength: 10 }).map((userIds) => ({ type: 'userList' as const, userIds })),
  ring: () => fc.array(ringArbitrary(), { minLength: 1, maxLength: 4 }).map((rings) => ({ type: 'ring' as const, rings })),
  gradual: () => {
    const base = Date.UTC(2026, 0, 1);
    return fc
      .tuple(fc.integer({ min: 0, max: 300 * 86_400_000 }), fc.integer({ min: 1, max: 60 * 86_400_000 }))
      .map(([offset, length]) => ({ type: 'gradual' as const, startAt: base + offset, endAt: base + offset + length }));
  },
};

/** Any valid strategy, of every registered type. Gradual ramps fall within 2026 so a time arbitrary can land before, inside and after them. */
export function strategyArbitrary(): fc.Arbitrary<Strategy> {
  return fc.oneof(...STRATEGY_TYPES.map((type) => STRATEGY_ARBITRARIES[type]() as fc.Arbitrary<Strategy>));
}

/** Any valid flag, in every state and with every strategy. */
export function flagArbitrary(): fc.Arbitrary<Flag> {
  return fc
    .record({
      key: flagKeyArbitrary(),
      description: fc.string({ maxLength: 40 }),
      state: fc.constantFrom(...FLAG_STATES),
      strategy: strategyArbitrary(),
      enabledUsers: fc.array(userIdArbitrary(), { maxLength: 5 }),
      salt: fc.option(fc.string({ minLength: 1, maxLength: 20 }), { nil: undefined }),
      accessLevel: fc.option(fc.constantFrom(...ACCESS_LEVELS), { nil: undefined }),
    })
    .map(({ salt, accessLevel, ...rest }) => ({
      ...rest,
      ...(salt !== undefined ? { salt } : {}),
      ...(accessLevel !== undefined ? { accessLevel } : {}),
      tags: [],
      metadata: {},
      hashVersion: 1 as const,
      createdAt: Date.UTC(2026, 0, 1),
      updatedAt: Date.UTC(2026, 0, 1),
    }));
}

/** Evaluation contexts: with or without user id, ring and early-access level. */
export function contextArbitrary(): fc.Arbitrary<EvaluationContext> {
  return fc
    .record(
      {
        userId: userIdArbitrary(),
        ring: ringArbitrary(),
        accessLevel: fc.constantFrom(...ACCESS_LEVELS),
      },
      { requiredKeys: [] },
    )
    .map((context) => context as EvaluationContext);
}

/** Epoch milliseconds within 2026 (where {@link strategyArbitrary}'s ramps live). */
export function timeArbitrary(): fc.Arbitrary<number> {
  const base = Date.UTC(2026, 0, 1);
  return fc.integer({ min: base - 86_400_000, max: base + 366 * 86_400_000 });
}

/** Rollout plans as `gate.releases.plan` accepts them: 1–6 phases, non-decreasing percentages, unique names. */
export function rolloutPlanArbitrary(): fc.Arbitrary<{ phases: Array<{ name: string; percentage: number; durationMs: number }> }> {
  return fc
    .array(fc.tuple(percentageArbitrary(), fc.integer({ min: 0, max: 14 * 86_400_000 })), { minLength: 1, maxLength: 6 })
    .map((raw) => {
      const percentages = raw.map(([p]) => p).sort((a, b) => a - b);
      return { phases: raw.map(([, durationMs], i) => ({ name: `phase-${i + 1}`, percentage: percentages[i]!, durationMs })) };
    });
}
