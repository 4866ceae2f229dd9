import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/analytics/guard-simulation.js';
import { addObservation, armVariance, compareArms, EMPTY_ARM, mergeArms, type ArmAggregate, type SequentialOptions } from '../../src/analytics/sequential.js';

/** An arm from summary numbers: `count` values with this mean and (population) spread. */
const armArbitrary = fc
  .record({ count: fc.integer({ min: 2, max: 100_000 }), mean: fc.double({ min: -100, max: 100, noNaN: true }), sd: fc.double({ min: 0.01, max: 50, noNaN: true }) })
  .map(({ count, mean, sd }): ArmAggregate => ({ count, sum: count * mean, sumOfSquares: count * (sd * sd + mean * mean) }));

const optionsArbitrary = fc.record({
  bad: fc.constantFrom<'above' | 'below'>('above', 'below'),
  alpha: fc.constantFrom(0.01, 0.05, 0.1),
  tolerance: fc.constantFrom(0, 0.1, 1),
  minimumSamples: fc.constantFrom(2, 100),
});

const flip = (bad: 'above' | 'below'): 'above' | 'below' => (bad === 'above' ? 'below' : 'above');
const negate = (arm: ArmAggregate): ArmAggregate => ({ ...arm, sum: -arm.sum });
const scale = (arm: ArmAggregate, k: number): ArmAggregate => ({ count: arm.count * k, sum: arm.sum * k, sumOfSquares: arm.sumOfSquares * k });

function normal(random: () => number): number {
  // Box–Muller.
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

describe('compareArms (mSPRT with a normal mixture)', () => {
  it('calls an obvious regression a regression, and equal arms never one', () => {
    const control = { count: 10_000, sum: 200, sumOfSquares: 200 }; // 2% errors
    const doubled = { count: 10_000, sum: 400, sumOfSquares: 400 }; // 4% errors
    const result = compareArms(doubled, control, { bad: 'above' });
    expect(result.decision).toBe('regression');
    expect(result.difference).toBeCloseTo(0.02, 10);
    expect(result.interval![0]).toBeGreaterThan(0);
    expect(result.likelihoodRatio).toBeGreaterThanOrEqual(1 / 0.05);
    expect(compareArms(control, control, { bad: 'above' }).decision).not.toBe('regression');
    // The same numbers for a success rate are an improvement, not a regression.
    expect(compareArms(doubled, control, { bad: 'below' }).decision).toBe('safe');
  });

  it('says "no evidence yet" while an arm is empty, has no spread, or is under the minimum sample', () => {
    const big = { count: 10_000, sum: 400, sumOfSquares: 400 };
    expect(compareArms(EMPTY_ARM, big, { bad: 'above' })).toMatchObject({ decision: 'no evidence yet', difference: null, interval: null });
    expect(compareArms({ count: 50, sum: 0, sumOfSquares: 0 }, { count: 50, sum: 0, sumOfSquares: 0 }, { bad: 'above' }).decision).toBe('no evidence yet');
    // 99 treatment observations, all errors, against 2%: still waits for the 100th.
    expect(compareArms({ count: 99, sum: 99, sumOfSquares: 99 }, { count: 10_000, sum: 200, sumOfSquares: 200 }, { bad: 'above' }).decision).toBe('no evidence yet');
    expect(compareArms({ count: 100, sum: 100, sumOfSquares: 100 }, { count: 10_000, sum: 200, sumOfSquares: 200 }, { bad: 'above' }).decision).toBe('regression');
  });

  it('refuses options out of range with a RangeError naming the option', () => {
    const arm = { count: 10, sum: 1, sumOfSquares: 1 };
    expect(() => compareArms(arm, arm, { bad: 'above', alpha: 0 })).toThrow(/alpha/);
    expect(() => compareArms(arm, arm, { bad: 'above', alpha: 0.7 })).toThrow(/alpha/);
    expect(() => compareArms(arm, arm, { bad: 'above', tolerance: -1 })).toThrow(/tolerance/);
    expect(() => compareArms(arm, arm, { bad: 'above', minimumSamples: 1.5 })).toThrow(/minimumSamples/);
    expect(() => compareArms(arm, arm, { bad: 'above', mixingStandardDeviation: 0 })).toThrow(/mixingStandardDeviation/);
    expect(() => compareArms(arm, arm, { bad: 'sideways' as 'above' })).toThrow(/bad/);
  });

  it('keeps the estimate inside its interval, centred', () => {
    fc.assert(
      fc.property(armArbitrary, armArbitrary, optionsArbitrary, (t, c, options) => {
        const r = compareArms(t, c, options);
        if (r.interval === null) return;
        expect(r.interval[0]).toBeLessThanOrEqual(r.difference!);
        expect(r.interval[1]).toBeGreaterThanOrEqual(r.difference!);
        expect(r.difference! - r.interval[0]).toBeCloseTo(r.interval[1] - r.difference!, 6);
      }),
    );
  });

  it('decides from the interval: regression exactly when all of it is worse than the tolerance', () => {
    fc.assert(
      fc.property(armArbitrary, armArbitrary, optionsArbitrary, (t, c, options) => {
        const r = compareArms(t, c, options);
        if (r.interval === null || t.count < options.minimumSamples || c.count < options.minimumSamples) {
          expect(r.decision).toBe('no evidence yet');
          return;
        }
        const [low, high] = options.bad === 'above' ? r.interval : [-r.interval[1], -r.interval[0]];
        expect(r.decision === 'regression').toBe(low > options.tolerance);
        expect(r.decision === 'safe').toBe(high < options.tolerance);
      }),
    );
  });

  it('is symmetric: swapping the arms and the bad direction changes nothing but signs', () => {
    fc.assert(
      fc.property(armArbitrary, armArbitrary, optionsArbitrary, (t, c, options) => {
        const a = compareArms(t, c, options);
        const b = compareArms(c, t, { ...options, bad: flip(options.bad) });
        expect(b.decision).toBe(a.decision);
        if (a.difference !== null) expect(b.difference!).toBeCloseTo(-a.difference, 6);
        if (a.interval !== null) {
          expect(b.interval![0]).toBeCloseTo(-a.interval[1], 6);
          expect(b.interval![1]).toBeCloseTo(-a.interval[0], 6);
        }
        // Mirroring every value (a success rate instead of an error rate) is the same comparison.
        expect(compareArms(negate(t), negate(c), { ...options, bad: flip(options.bad) }).decision).toBe(a.decision);
      }),
    );
  });

  it('only grows surer with more of the same evidence: a regression (or safe) stays one, the interval narrows', () => {
    fc.assert(
      fc.property(armArbitrary, armArbitrary, optionsArbitrary, fc.integer({ min: 2, max: 50 }), fc.double({ min: 0.001, max: 10, noNaN: true }), (t, c, options, k, tau) => {
        const fixed: SequentialOptions = { ...options, mixingStandardDeviation: tau };
        const before = compareArms(t, c, fixed);
        const after = compareArms(scale(t, k), scale(c, k), fixed);
        if (before.decision !== 'no evidence yet') expect(after.decision).toBe(before.decision);
        if (before.interval && after.interval) {
          expect(after.interval[1] - after.interval[0]).toBeLessThanOrEqual(before.interval[1] - before.interval[0] + 1e-9);
        }
      }),
    );
  });

  it('never turns into a regression when the user accepts more harm', () => {
    fc.assert(
      fc.property(armArbitrary, armArbitrary, optionsArbitrary, fc.double({ min: 0, max: 10, noNaN: true }), (t, c, options, extra) => {
        const strict = compareArms(t, c, options);
        const lenient = compareArms(t, c, { ...options, tolerance: options.tolerance + extra });
        if (strict.decision !== 'regression') expect(lenient.decision).not.toBe('regression');
        if (strict.decision === 'safe') expect(lenient.decision).toBe('safe');
      }),
    );
  });

  it('aggregates add up: merging arms equals recording every value into one', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 50 }), fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 50 }), (xs, ys) => {
        const a = xs.reduce(addObservation, EMPTY_ARM);
        const b = ys.reduce(addObservation, EMPTY_ARM);
        expect(mergeArms(a, b)).toEqual([...xs, ...ys].reduce(addObservation, EMPTY_ARM));
        expect(armVariance(a)).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  it('covers the true difference at every look at once in at least 1 − alpha of runs (normal data, 200 runs × 400 looks)', () => {
    const random = seededRandom(7);
    const runs = 200;
    let missed = 0;
    for (let run = 0; run < runs; run++) {
      let t = EMPTY_ARM;
      let c = EMPTY_ARM;
      for (let look = 0; look < 400; look++) {
        for (let i = 0; i < 5; i++) {
          t = addObservation(t, 10.5 + 2 * normal(random));
          c = addObservation(c, 10 + 2 * normal(random));
        }
        const r = compareArms(t, c, { bad: 'above', minimumSamples: 10 });
        if (r.interval && (r.interval[0] > 0.5 || r.interval[1] < 0.5)) {
          missed++;
          break;
        }
      }
    }
    expect(missed / runs).toBeLessThanOrEqual(0.05);
  });
});
