import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** A quick run of `npm run bench` with tiny iteration counts, so the bench cannot rot. */
describe('bench smoke run', () => {
  it('runs every case offline, each really evaluating, and reports ratios', () => {
    const root = resolve(import.meta.dirname, '..');
    const output = execFileSync(process.execPath, ['bench/run.mjs', '--quick', '--no-write'], { cwd: root, encoding: 'utf8', timeout: 240_000, stdio: ['ignore', 'pipe', 'ignore'] });
    const report = JSON.parse(output.trim().split('\n').pop()!) as {
      results: Array<{ name: string; opsPerSecond: number; valid: boolean }>;
      targets: Array<{ name: string; value: number }>;
      allocations: Array<{ name: string; collections: number }>;
      scale: { flags: number; loadMs: number };
      problems: string[];
    };
    expect(report.problems).toEqual([]);
    expect(report.results.map((r) => r.name)).toEqual(
      expect.arrayContaining(['floor', 'phasegate isEnabled', 'growthbook', 'unleash', 'launchdarkly', 'configcat', 'openfeature in-memory', 'openfeature phasegate', 'targeting phasegate', 'targeting growthbook', 'targeting unleash', 'targeting launchdarkly']),
    );
    expect(report.results.every((r) => r.valid && r.opsPerSecond > 0)).toBe(true);
    expect(report.targets.every((t) => Number.isFinite(t.value))).toBe(true);
    expect(report.allocations.map((a) => a.name)).toEqual(['phasegate isEnabled', 'phasegate isEnabled + exposure', 'targeting phasegate']);
    expect(report.scale.flags).toBe(1000);
  }, 240_000);
});
