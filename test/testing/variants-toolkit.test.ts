import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FlagInput } from '../../src/index.js';
import { RolloutAssertionError, assertStableAssignment, binomialUpperBound, simulateRollout } from '../../src/testing/index.js';
import { JAN_1, makeFlag, userIds } from '../helpers.js';

const theme = (weights: readonly [number, number, number], extra: Partial<FlagInput> = {}) =>
  makeFlag({
    key: 'checkout-theme',
    state: 'enabled',
    valueType: 'string',
    variants: [
      { name: 'blue', value: '#00f' },
      { name: 'red', value: '#f00' },
      { name: 'green', value: '#0f0' },
    ],
    fallthrough: {
      type: 'split',
      weights: [
        { variant: 'blue', weight: weights[0] },
        { variant: 'red', weight: weights[1] },
        { variant: 'green', weight: weights[2] },
      ],
    },
    ...extra,
  });

describe('assertStableAssignment with variants', () => {
  it('catches a user who changed variant while staying on, and names the variants', () => {
    const before = theme([50_000, 50_000, 0]);
    const after = theme([40_000, 60_000, 0]);
    let error: unknown;
    try {
      assertStableAssignment(before, after, userIds(200));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RolloutAssertionError);
    const counterexample = (error as RolloutAssertionError).counterexample;
    expect(counterexample.before).toMatch(/^on variant blue \(ENABLED, variant bucket \d+\)$/);
    expect(counterexample.after).toMatch(/^on variant red \(ENABLED, variant bucket \d+\)$/);
  });

  it('with maxMovedShare, allows a weight change to move its share and no more', () => {
    const users = userIds(4000);
    const before = theme([50_000, 50_000, 0]);
    const after = theme([40_000, 60_000, 0]);
    const slack = binomialUpperBound(users.length, 0.1, 1e-6) / users.length;
    expect(() => assertStableAssignment(before, after, users, { maxMovedShare: slack })).not.toThrow();
    expect(() => assertStableAssignment(before, after, users, { maxMovedShare: 0.05 })).toThrow(/More than 200 of 4000 users moved/);
  });

  it('property: moving weight between neighbours moves at most the weight moved (binomial bound)', () => {
    const users = userIds(2000);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 100_000 }), (a, b, red) => {
        // Blue and red trade weight; green keeps what is left of the first draw.
        const total = Math.max(a, red);
        const blueBefore = Math.min(a, red);
        const blueAfter = Math.min(b, total);
        const greenWeight = 100_000 - total;
        const before = theme([blueBefore, total - blueBefore, greenWeight]);
        const after = theme([blueAfter, total - blueAfter, greenWeight]);
        const share = Math.abs(blueAfter - blueBefore) / 100_000;
        const bound = binomialUpperBound(users.length, share, 1e-9) / users.length;
        assertStableAssignment(before, after, users, { maxMovedShare: bound });
      }),
      { numRuns: 30 },
    );
  });
});

describe('simulateRollout with variants', () => {
  it('reports each variant’s share of the users, and widening the rollout keeps everyone’s variant', () => {
    const users = userIds(3000);
    const flag = (percentage: number) => theme([34_000, 33_000, 33_000], { state: 'rollout', strategy: { type: 'percentage', percentage }, offVariant: 'blue' });
    const ten = simulateRollout({ flags: [flag(10)], users, from: JAN_1, to: JAN_1, step: 1 }).steps[0]!;
    const shares = ten.variantShares!.get('checkout-theme')!;
    expect([...shares.keys()]).toEqual(['blue', 'red', 'green']);
    const admitted = ten.enabled.get('checkout-theme')!.size;
    // Off users get blue; the admitted tenth splits 34/33/33.
    for (const [name, weight] of [['red', 0.33], ['green', 0.33]] as const) {
      const count = Math.round(shares.get(name)! * users.length);
      expect(count).toBeLessThanOrEqual(binomialUpperBound(admitted, weight, 1e-6));
      expect(admitted - count).toBeLessThanOrEqual(binomialUpperBound(admitted, 1 - weight, 1e-6));
    }
    expect(shares.get('blue')! + shares.get('red')! + shares.get('green')!).toBeCloseTo(1, 10);
    // Everyone admitted at 10% keeps their variant at 50%.
    assertStableAssignment(flag(10), flag(50), users, { allowedToChange: users.filter((user) => !ten.enabled.get('checkout-theme')!.has(user)) });
  });
});
