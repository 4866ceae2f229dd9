import { execFile } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeDirectories, makeDirectoriesSync } from '../../src/storage/directories.js';
import { FileStore } from '../../src/storage/file-store.js';
import { temporaryDirectories } from '../support/temp.js';

const scratch = temporaryDirectories('directories');
const onLinux = existsSync('/proc/self');
const bin = resolve(import.meta.dirname, '../../dist/cli/main.js');

describe('makeDirectories', () => {
  it('creates every missing level with the mode and returns the first one it created', async () => {
    const root = scratch();
    const created = await makeDirectories(join(root, 'a', 'b', 'c'), 0o700);
    expect(created).toBe(join(root, 'a'));
    for (const level of ['a', 'a/b', 'a/b/c']) {
      expect(statSync(join(root, level)).mode & 0o777).toBe(0o700);
    }
    expect(await makeDirectories(join(root, 'a', 'b', 'c'), 0o700)).toBeUndefined();
    expect(makeDirectoriesSync(join(root, 'a', 'b', 'd'), 0o700)).toBe(join(root, 'a', 'b', 'd'));
  });

  it('reports a file in the way instead of creating through it', async () => {
    const root = scratch();
    writeFileSync(join(root, 'file'), 'x');
    await expect(makeDirectories(join(root, 'file', 'store'), 0o700)).rejects.toMatchObject({ code: 'ENOTDIR' });
    expect(() => makeDirectoriesSync(join(root, 'file', 'store'), 0o700)).toThrow(/ENOTDIR/);
  });

  it('copes with a concurrent creator of the same directory', async () => {
    const root = scratch();
    const target = join(root, 'x', 'y');
    const results = await Promise.all([makeDirectories(target, 0o700), makeDirectories(target, 0o700)]);
    expect(statSync(target).isDirectory()).toBe(true);
    expect(results.filter((created) => created !== undefined).length).toBeGreaterThanOrEqual(1);
  });

  // Node's recursive mkdir spins forever on a path under /proc: these would time out on the old code.
  it.skipIf(!onLinux)('a store under /proc fails with an error instead of spinning', async () => {
    await expect(makeDirectories('/proc/phasegate-no-such/store', 0o700)).rejects.toThrow();
    expect(() => makeDirectoriesSync('/proc/phasegate-no-such/store', 0o700)).toThrow();
    const store = new FileStore('/proc/phasegate-no-such/store');
    await expect(store.put('flags', 'x', { on: true }, 0)).rejects.toThrow();
    await store.close();
  });

  it.skipIf(!onLinux)('phasegate flag create --store /proc/... exits 1 with a clear message', async () => {
    const result = await new Promise<{ code: number; stderr: string }>((done) => {
      execFile(process.execPath, [bin, 'flag', 'create', 'x', '--store', '/proc/phasegate-no-such/store'], (error, _stdout, stderr) => {
        done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stderr });
      });
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Cannot create the store directory \/proc\/phasegate-no-such\/store/);
  });
});
