import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { temporaryDirectories } from '../support/temp.js';

/**
 * A fresh clone has no dist/. `npm install` runs the package's `prepare` script, which must build
 * the CLI so the README's `npx phasegate …` works before anyone runs `npm run build`.
 * The clone is the checkout's own files (tracked and new, not ignored) with node_modules linked,
 * so the test needs no network; `npm run prepare` is what `npm install` runs after installing.
 */
const root = resolve(import.meta.dirname, '../..');
const scratch = temporaryDirectories('clone');

describe('a fresh clone', () => {
  it('npx phasegate works right after npm install (it said "phasegate: not found")', () => {
    const clone = join(scratch(), 'phasegate');
    const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: root, encoding: 'utf8' })
      .split('\0')
      .filter((file) => file !== '' && existsSync(join(root, file)));
    for (const file of files) {
      mkdirSync(dirname(join(clone, file)), { recursive: true });
      cpSync(join(root, file), join(clone, file));
    }
    symlinkSync(join(root, 'node_modules'), join(clone, 'node_modules'), 'dir');
    expect(existsSync(join(clone, 'dist'))).toBe(false);

    const prepare = spawnSync('npm', ['run', '--silent', 'prepare'], { cwd: clone, encoding: 'utf8' });
    expect(prepare.status, prepare.stderr).toBe(0);

    const npx = (...args: string[]) => spawnSync('npx', ['--no', 'phasegate', ...args], { cwd: clone, encoding: 'utf8' });
    expect(npx('init', '--store', '.phasegate-demo')).toMatchObject({ status: 0, stdout: `created a new store in ${join(clone, '.phasegate-demo')}\n` });
    const status = npx('status', '--store', '.phasegate-demo');
    expect(status.status, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^phasegate status — /);
  }, 300_000);
});
