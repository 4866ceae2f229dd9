import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** A quick run of bench/import-time.mjs (three rounds), so the benchmark cannot rot. Runs after `npm run build`. */
describe('import-time benchmark smoke run', () => {
  it('imports phasegate and GrowthBook in fresh processes, beside a floor, and reports their ratio', () => {
    const root = resolve(import.meta.dirname, '..');
    const output = execFileSync(process.execPath, ['bench/import-time.mjs', '--quick'], { cwd: root, encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'ignore'] });
    const report = JSON.parse(output.trim().split('\n').pop()!) as {
      rounds: number;
      medianCpuMs: Record<string, number>;
      ratios: Record<string, number>;
    };
    expect(report.rounds).toBe(3);
    expect(Object.keys(report.medianCpuMs)).toEqual(['floor (empty module)', 'phasegate', 'growthbook']);
    for (const value of Object.values(report.medianCpuMs)) expect(value).toBeGreaterThan(0);
    // Importing a real package costs more than importing an empty module.
    expect(report.medianCpuMs.phasegate).toBeGreaterThan(report.medianCpuMs['floor (empty module)']!);
    expect(report.ratios['phasegate / growthbook (above the floor)']).toBeGreaterThan(0);
    expect(report.ratios.target).toBe(1.2);
  }, 120_000);
});
