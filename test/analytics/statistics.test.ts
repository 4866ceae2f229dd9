import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { breachOf } from '../../src/index.js';
import { HyperLogLog, leastSquaresSlope, summarize } from '../../src/internals/index.js';

const HOUR = 3_600_000;

describe('summarize', () => {
  it('computes the usual statistics', () => {
    const values = [2, 4, 4, 4, 5, 5, 7, 9];
    const stats = summarize(values.map((value, i) => ({ value, at: i * HOUR })));
    expect(stats).toMatchObject({ count: 8, mean: 5, median: 4.5, min: 2, max: 9, standardDeviation: 2, latest: 9 });
    expect(stats.p95).toBeCloseTo(8.3, 10);
  });

  it('takes the trend from the least-squares slope, not from the ends', () => {
    // First and last quarters say "increasing"; the fitted line over all points goes down.
    const values = [2, 2, 2, 10, 10, 10, 4, 4, 4, 3, 3, 3];
    const stats = summarize(values.map((value, i) => ({ value, at: i * HOUR })));
    expect(values.slice(-3).reduce((a, b) => a + b) > values.slice(0, 3).reduce((a, b) => a + b)).toBe(true);
    expect(stats.slopePerHour).toBeLessThan(0);
    expect(stats.trend).toBe('decreasing');
    expect(summarize([5, 5.01, 4.99, 5].map((value, i) => ({ value, at: i * HOUR }))).trend).toBe('stable');
    expect(summarize([1, 2, 3, 4].map((value, i) => ({ value, at: i * HOUR }))).trend).toBe('increasing');
  });

  it('recovers the slope of any straight line', () => {
    fc.assert(
      fc.property(fc.double({ min: -100, max: 100, noNaN: true }), fc.double({ min: -1000, max: 1000, noNaN: true }), fc.integer({ min: 2, max: 50 }), (slope, intercept, n) => {
        const observations = Array.from({ length: n }, (_, i) => ({ at: i * HOUR, value: intercept + slope * i }));
        expect(leastSquaresSlope(observations) * HOUR).toBeCloseTo(slope, 6);
      }),
    );
  });

  it('keeps statistics within min and max', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 100 }), (values) => {
        const s = summarize(values.map((value, i) => ({ value, at: i })));
        for (const v of [s.mean, s.median, s.p95, s.latest]) {
          expect(v).toBeGreaterThanOrEqual(s.min - 1e-6);
          expect(v).toBeLessThanOrEqual(s.max + 1e-6);
        }
        expect(s.standardDeviation).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});

describe('breachOf', () => {
  it('respects direction and grades severity by how far the limit was crossed', () => {
    expect(breachOf(4, 5, 'above')).toBeNull();
    expect(breachOf(6, 5, 'above')).toBe('warning');
    expect(breachOf(7.5, 5, 'above')).toBe('critical');
    expect(breachOf(4.5, 3, 'below')).toBeNull(); // satisfaction above its limit is good
    expect(breachOf(2.5, 3, 'below')).toBe('warning');
    expect(breachOf(1.4, 3, 'below')).toBe('critical');
  });
});

describe('HyperLogLog', () => {
  it('estimates distinct counts within a few percent', () => {
    for (const n of [10, 1000, 50_000]) {
      const sketch = new HyperLogLog();
      for (let i = 0; i < n; i++) {
        sketch.add(`user-${i}`);
        sketch.add(`user-${i}`);
      }
      expect(Math.abs(sketch.estimate() - n) / n).toBeLessThan(0.05);
    }
  });

  it('merges and round-trips', () => {
    const a = new HyperLogLog();
    const b = new HyperLogLog();
    for (let i = 0; i < 3000; i++) a.add(`a-${i}`);
    for (let i = 0; i < 3000; i++) b.add(`b-${i}`);
    const restored = HyperLogLog.deserialize(a.serialize());
    restored.merge(b);
    expect(Math.abs(restored.estimate() - 6000) / 6000).toBeLessThan(0.05);
  });
});
