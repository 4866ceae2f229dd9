import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** A tiny run of bench/store-scale.mjs (the quick cases), so the script cannot rot. Timings are not judged here. */
describe('store scale bench smoke run', () => {
  it('runs the listing and embedded enrollment cases and reports a ratio for each target', () => {
    const root = resolve(import.meta.dirname, '..');
    const output = execFileSync(process.execPath, ['bench/store-scale.mjs', '--smoke', '--only', 'listing,sqlite-enroll,file-enroll'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines = output.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.slice(0, -1).map((line) => line.case)).toEqual(['listing', 'sqlite-enroll', 'file-enroll']);
    const { targets } = lines.at(-1) as { targets: Array<{ name: string; value: number; met: boolean }> };
    expect(targets.map((target) => target.name.split(':')[0])).toEqual(['memory', 'sqlite', 'file']);
    for (const target of targets) expect(Number.isFinite(target.value) && target.value > 0, target.name).toBe(true);
  }, 120_000);
});
