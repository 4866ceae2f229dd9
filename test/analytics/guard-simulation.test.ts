import { describe, expect, it } from 'vitest';
import { REFERENCE_GUARD_SCENARIO, binomial, seededRandom, simulateGuard, wilsonInterval, type GuardSimulationOptions } from '../../src/analytics/guard-simulation.js';

// The scenario of issue 18: error rate 2% in both arms, 5% then 20% exposure, one look every 10 min.
const scenario: Omit<GuardSimulationOptions, 'guard' | 'treatmentRate'> = { ...REFERENCE_GUARD_SCENARIO, runs: 300, seed: 2026 };
const sequential = { method: 'sequential' } as const;
const absolute = { method: 'absolute', limit: 5 } as const;

describe('guard simulations (fake clock, seeded randomness)', () => {
  it('A/A: 300 releases that change nothing are rolled back at most alpha (5%) of the time', () => {
    const result = simulateGuard({ ...scenario, treatmentRate: 0.02, guard: sequential });
    expect(result.rollbackRate).toBeLessThanOrEqual(0.05);
    // Not just the point estimate: the whole 95% interval of the false-alarm rate is under alpha.
    expect(result.rollbackRateInterval[1]).toBeLessThanOrEqual(0.05);
  });

  it('A/A with a stricter alpha of 1% stays under 1%', () => {
    const result = simulateGuard({ ...scenario, treatmentRate: 0.02, guard: { method: 'sequential', alpha: 0.01 } });
    expect(result.rollbackRate).toBeLessThanOrEqual(0.01);
  });

  it('power: a release that doubles the error rate is rolled back in >= 95% of runs, mostly in its first phase', () => {
    const result = simulateGuard({ ...scenario, treatmentRate: 0.04, guard: sequential });
    expect(result.rollbackRate).toBeGreaterThanOrEqual(0.95);
    expect(result.rolledBackInFirstPhase / result.runs).toBeGreaterThanOrEqual(0.9);
    // The first phase holds 48,000 observations: detection needs well under that.
    expect(result.medianObservationsToDetection).not.toBeNull();
    expect(result.medianObservationsToDetection!).toBeLessThan(48_000);
  });

  it('side by side: the absolute error-rate limit raises more false rollbacks than the comparison on the same data', () => {
    const aa = { ...scenario, treatmentRate: 0.02 };
    const comparison = simulateGuard({ ...aa, guard: sequential });
    const threshold = simulateGuard({ ...aa, guard: absolute });
    expect(threshold.rollbackRate).toBeGreaterThan(comparison.rollbackRate);
  });

  it('a fleet-wide incident (errors at 8% for everyone for 3 hours) rolls back under an absolute limit, not under the comparison', () => {
    const incident = { ...scenario, treatmentRate: 0.02, fleetIncident: { atHour: 6, hours: 3, rate: 0.08 } };
    const comparison = simulateGuard({ ...incident, guard: sequential });
    const threshold = simulateGuard({ ...incident, guard: absolute });
    expect(comparison.rollbackRate).toBeLessThanOrEqual(0.05);
    expect(threshold.rollbackRate).toBeGreaterThan(0.9);
  });

  it('draws exact binomials (mean and variance) and Wilson intervals that contain the estimate', () => {
    const random = seededRandom(1);
    const draws = Array.from({ length: 20_000 }, () => binomial(333, 0.05, random));
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    const variance = draws.reduce((a, b) => a + (b - mean) ** 2, 0) / draws.length;
    expect(mean).toBeCloseTo(333 * 0.05, 0);
    expect(variance).toBeGreaterThan(333 * 0.05 * 0.95 * 0.9);
    expect(variance).toBeLessThan(333 * 0.05 * 0.95 * 1.1);
    expect(binomial(10, 1, random)).toBe(10);
    expect(binomial(0, 0.5, random)).toBe(0);
    const high = Array.from({ length: 5_000 }, () => binomial(100, 0.9, random));
    expect(high.reduce((a, b) => a + b, 0) / high.length).toBeCloseTo(90, 0);
    const [low, up] = wilsonInterval(3, 300);
    expect(low).toBeLessThan(0.01);
    expect(up).toBeGreaterThan(0.01);
  });
});

describe('bench/guarded.mjs smoke run', () => {
  it('runs every scenario and guard quickly and reports rates with their intervals', async () => {
    const { execFileSync } = await import('node:child_process');
    const { resolve } = await import('node:path');
    const root = resolve(import.meta.dirname, '../..');
    const output = execFileSync(process.execPath, ['--import', 'tsx', 'bench/guarded.mjs', '--quick', '--no-write'], { cwd: root, encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'ignore'] });
    const report = JSON.parse(output.trim().split('\n').pop()!) as { runs: number; rows: Array<{ method: string; harmful: boolean; rollbackRate: number; rollbackRateInterval: [number, number] }> };
    expect(report.runs).toBe(20);
    expect(report.rows).toHaveLength(9);
    for (const row of report.rows) {
      expect(row.rollbackRateInterval[0]).toBeLessThanOrEqual(row.rollbackRate);
      expect(row.rollbackRateInterval[1]).toBeGreaterThanOrEqual(row.rollbackRate);
    }
    expect(report.rows.filter((r) => r.method === 'sequential' && r.harmful).every((r) => r.rollbackRate === 1)).toBe(true);
  }, 120_000);
});
