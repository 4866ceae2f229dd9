import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** A quick run of `npm run bench` with tiny iteration counts, so the bench cannot rot. */
describe('bench smoke run', () => {
  it('runs every case offline, each really evaluating, interleaved by group, and reports ratios with their spread', () => {
    const root = resolve(import.meta.dirname, '..');
    const output = execFileSync(process.execPath, ['bench/run.mjs', '--quick', '--no-write'], { cwd: root, encoding: 'utf8', timeout: 400_000, stdio: ['ignore', 'pipe', 'ignore'] });
    const report = JSON.parse(output.trim().split('\n').pop()!) as {
      results: Array<{ name: string; group: string; opsPerSecond: number; rounds: number[]; xFloor: { min: number; median: number; max: number }; valid: boolean }>;
      targets: Array<{ name: string; value: number; min: number; median: number; max: number; inProcess: boolean }>;
      allocations: Array<{ name: string; collections: number }>;
      scale: { flags: number; load: Array<{ flags: number; loadMs: number; floorMs: number; bytesPerFlag: number; peerBytesPerFlag: number }>; flush: { skipped?: string; changedMs?: { median: number } }; bigList: { skipped?: string; listKept?: { propagationMs: { median: number } } } };
      problems: string[];
    };
    expect(report.problems).toEqual([]);
    expect(report.results.map((r) => r.name)).toEqual(
      expect.arrayContaining(['floor', 'phasegate isEnabled', 'growthbook', 'unleash', 'launchdarkly', 'configcat', 'openfeature in-memory', 'openfeature phasegate', 'targeting phasegate', 'targeting growthbook', 'targeting unleash', 'targeting launchdarkly', 'all-flags phasegate', 'all-flags growthbook', 'all-flags unleash', 'all-flags launchdarkly']),
    );
    // Interleaved: every case has one measurement per round, and its ratio to the floor of its
    // own process is reported with its spread.
    for (const r of report.results) {
      expect(r.rounds.length).toBe(3);
      expect(r.xFloor.min).toBeLessThanOrEqual(r.xFloor.median);
      expect(r.xFloor.median).toBeLessThanOrEqual(r.xFloor.max);
    }
    expect(report.results.find((r) => r.name === 'floor')!.xFloor).toEqual({ min: 1, median: 1, max: 1 });
    // The headline ratios are taken within one process, round by round.
    const headline = report.targets.filter((t) => /floor|fastest peer/.test(t.name));
    expect(headline.length).toBeGreaterThanOrEqual(4);
    expect(headline.every((t) => t.inProcess && t.min <= t.median && t.median <= t.max)).toBe(true);
    expect(report.results.every((r) => r.valid && r.opsPerSecond > 0)).toBe(true);
    expect(report.targets.every((t) => Number.isFinite(t.value))).toBe(true);
    expect(report.allocations.map((a) => a.name)).toEqual(['phasegate isEnabled', 'phasegate isEnabled + exposure', 'targeting phasegate']);
    expect(report.scale.flags).toBe(1000);
    // The scale report: load against its floor and memory against GrowthBook, measured; the flush
    // and big-list measures ran (Redis is installed wherever the tests run: .ci/run installs it).
    expect(report.scale.load[0]!.loadMs).toBeGreaterThan(0);
    expect(report.scale.load[0]!.floorMs).toBeGreaterThan(0);
    expect(report.scale.load[0]!.bytesPerFlag).toBeGreaterThan(0);
    expect(report.scale.load[0]!.peerBytesPerFlag).toBeGreaterThan(0);
    expect(report.scale.flush.skipped).toBeUndefined();
    expect(report.scale.flush.changedMs!.median).toBeGreaterThan(0);
    expect(report.scale.bigList.skipped).toBeUndefined();
    expect(report.scale.bigList.listKept!.propagationMs.median).toBeGreaterThan(0);
  }, 420_000);
});
