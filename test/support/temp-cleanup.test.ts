import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * `npm test` left phasegate-* directories in the system temp folder. Runs representative test
 * files (a file store in a temp folder, a real Redis server, a file that fails on purpose) in a child vitest
 * whose temp folder is a private empty directory, and checks it is empty afterwards.
 */
const root = resolve(import.meta.dirname, '../..');

function runIsolated(files: readonly string[], env: Record<string, string> = {}): { status: number | null; left: string[]; output: string } {
  const temp = mkdtempSync(join(tmpdir(), 'phasegate-cleanup-'));
  try {
    const result = spawnSync(process.execPath, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--reporter=dot', ...files], {
      cwd: root,
      env: { ...process.env, ...env, TMPDIR: temp, TMP: temp, TEMP: temp },
      encoding: 'utf8',
      timeout: 280_000,
    });
    return { status: result.status, left: readdirSync(temp).filter((entry) => entry.startsWith('phasegate-')), output: `${result.stdout}\n${result.stderr}` };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

describe('temp directories', () => {
  it('npm test no longer leaves phasegate-* directories behind when tests pass', () => {
    const run = runIsolated(['test/releases/releases.test.ts', 'test/storage/redis-store.test.ts']);
    expect(run.status, run.output).toBe(0);
    expect(run.left).toEqual([]);
  }, 300_000);

  it('npm test no longer leaves them behind when a test fails', () => {
    const run = runIsolated(['test/support/fixtures/leaves-nothing.test.ts'], { PHASEGATE_CLEANUP_FIXTURE: '1' });
    expect(run.status).toBe(1);
    expect(run.output).toContain('failing on purpose');
    expect(run.left).toEqual([]);
  }, 120_000);
});
