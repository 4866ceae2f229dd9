import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Packs the package as `npm publish` would, installs the tarball into a scratch project
 * and uses it from ESM and CJS. Runs after `npm run build` (part of `npm test`).
 * Dependencies are linked from this checkout's node_modules so the test needs no network.
 */
const root = resolve(import.meta.dirname, '../..');
let project: string;
let tarball: string;
/** A second consumer with only the runtime dependencies installed: no fast-check, ioredis, pg. */
let bare: string;
const RUNTIME_DEPENDENCIES = ['zod', 'eventemitter3', 'semver', 'murmurhash3js-revisited', '@eslint-community/regexpp'];

function run(file: string): string {
  return execFileSync(process.execPath, [file], { cwd: project, encoding: 'utf8' });
}

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'phasegate-pack-'));
  bare = mkdtempSync(join(tmpdir(), 'phasegate-pack-bare-'));
  // --ignore-scripts: `prepare` would rebuild dist/ while other test files use it; npm test built it already.
  const output = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', project], { cwd: root, encoding: 'utf8' });
  const [{ filename }] = JSON.parse(output.slice(output.indexOf('['))) as [{ filename: string }];
  tarball = join(project, filename);
  const install = (into: string, dependencies: readonly string[]) => {
    const installed = join(into, 'node_modules', 'phasegate');
    mkdirSync(installed, { recursive: true });
    execFileSync('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);
    for (const dependency of dependencies) {
      mkdirSync(join(into, 'node_modules', dependency, '..'), { recursive: true });
      symlinkSync(join(root, 'node_modules', dependency), join(into, 'node_modules', dependency), 'dir');
    }
    writeFileSync(join(into, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  };
  install(project, [...RUNTIME_DEPENDENCIES, 'fast-check', 'pure-rand', 'ioredis', 'pg', '@openfeature/server-sdk', '@openfeature/core', 'better-sqlite3', 'bindings', 'file-uri-to-path']);
  install(bare, RUNTIME_DEPENDENCIES);
}, 120_000);

afterAll(() => {
  for (const directory of [project, bare]) if (directory) rmSync(directory, { recursive: true, force: true });
});

describe('the published package', () => {
  it('ships built files, docs and no sources or tests', () => {
    const files = readdirSync(join(project, 'node_modules', 'phasegate'), { recursive: true }).map(String);
    expect(files).toContain(join('dist', 'index.js'));
    expect(files).toContain(join('dist', 'index.cjs'));
    expect(files).toContain(join('dist', 'index.d.ts'));
    expect(files).toContain(join('dist', 'index.d.cts'));
    expect(files).toContain(join('dist', 'testing', 'index.js'));
    expect(files).toContain(join('docs', 'bucketing.md'));
    expect(files.some((file) => file.startsWith('src') || file.startsWith('test'))).toBe(false);
  });

  it('ships the MIT LICENSE that package.json names (it had none)', () => {
    const license = readFileSync(join(project, 'node_modules', 'phasegate', 'LICENSE'), 'utf8');
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) 2026 phasegate contributors\n/);
    expect(readFileSync(join(root, 'LICENSE'), 'utf8')).toBe(license);
    expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).license).toBe('MIT');
  });

  it('ships no source maps pointing at unshipped sources, and no unused dist/cli/main.cjs', () => {
    const files = readdirSync(join(project, 'node_modules', 'phasegate'), { recursive: true }).map(String);
    expect(files.filter((file) => file.endsWith('.map'))).toEqual([]);
    expect(files.filter((file) => file.startsWith(`${join('dist', 'cli')}${sep}`))).toEqual([join('dist', 'cli', 'main.js')]);
    const pkg = JSON.parse(readFileSync(join(project, 'node_modules', 'phasegate', 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin).toEqual({ phasegate: './dist/cli/main.js' });
    const cli = spawnSync(process.execPath, [join(project, 'node_modules', 'phasegate', 'dist', 'cli', 'main.js'), '--version'], { encoding: 'utf8' });
    expect(cli.stdout.trim()).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
  });

  it('createTestGate from phasegate/testing loads without fast-check installed; the arbitraries say to install it', () => {
    expect(existsSync(join(bare, 'node_modules', 'fast-check'))).toBe(false);
    writeFileSync(
      join(bare, 'testing.mjs'),
      `import { createTestGate, userIdArbitrary } from 'phasegate/testing';
       const gate = createTestGate({ forced: { 'new-checkout': true } });
       let message = '';
       try { userIdArbitrary(); } catch (error) { message = error.message; }
       console.log(JSON.stringify([gate.isEnabled('new-checkout'), message]));`,
    );
    writeFileSync(
      join(bare, 'testing.cjs'),
      `const { createTestGate, flagArbitrary } = require('phasegate/testing');
       let message = '';
       try { flagArbitrary(); } catch (error) { message = error.message; }
       console.log(JSON.stringify([createTestGate({ forced: { x: false } }).isEnabled('x'), message]));`,
    );
    const hint = "phasegate's arbitraries need fast-check, which is not installed: run 'npm install --save-dev fast-check'";
    expect(JSON.parse(execFileSync(process.execPath, ['testing.mjs'], { cwd: bare, encoding: 'utf8' }))).toEqual([true, hint]);
    expect(JSON.parse(execFileSync(process.execPath, ['testing.cjs'], { cwd: bare, encoding: 'utf8' }))).toEqual([false, hint]);
  });

  it('the arbitraries work with fast-check installed, mixed with the test file\'s own fast-check', () => {
    writeFileSync(
      join(project, 'arbitraries.mjs'),
      `import fc from 'fast-check';
       import { flagArbitrary, userIdArbitrary } from 'phasegate/testing';
       let runs = 0;
       fc.assert(fc.property(flagArbitrary(), fc.array(userIdArbitrary(), { maxLength: 3 }), (flag, users) => { runs++; return typeof flag.key === 'string' && users.length <= 3; }), { numRuns: 25 });
       console.log(runs);`,
    );
    expect(run('arbitraries.mjs').trim()).toBe('25');
  });

  it('the CLI says which package to install instead of printing a missing-module error', () => {
    const cli = join(bare, 'node_modules', 'phasegate', 'dist', 'cli', 'main.js');
    for (const [option, url, peer] of [
      ['--redis', 'redis://127.0.0.1:9', 'ioredis'],
      ['--postgres', 'postgres://127.0.0.1:9/x', 'pg'],
    ] as const) {
      const result = spawnSync(process.execPath, [cli, 'flag', 'list', option, url], { cwd: bare, encoding: 'utf8' });
      expect(result.status).toBe(1);
      expect(result.stderr).toBe(`phasegate: ${option} needs the '${peer}' package, which is not installed: run 'npm install ${peer}'\n`);
    }
  });

  it('has types that resolve in every mode attw checks, node10 included', () => {
    const attw = join(root, 'node_modules', '.bin', 'attw');
    const result = spawnSync(attw, [tarball, '--format', 'json'], { cwd: project, encoding: 'utf8' });
    const report = JSON.parse(result.stdout) as { analysis: { problems: unknown[]; entrypoints: Record<string, unknown> } };
    expect(report.analysis.problems).toEqual([]);
    expect(Object.keys(report.analysis.entrypoints)).toEqual(expect.arrayContaining(['.', './testing', './redis', './postgres', './openfeature']));
    expect(result.status).toBe(0);
  }, 120_000);

  it('attw on the packed tarball (what --pack does, without rebuilding): every subpath resolves to types in every resolution mode', () => {
    const attw = join(root, 'node_modules', '.bin', 'attw');
    const result = spawnSync(attw, [tarball, '--format', 'json'], { cwd: project, encoding: 'utf8' });
    const report = JSON.parse(result.stdout) as {
      analysis: { problems: unknown[]; entrypoints: Record<string, { resolutions: Record<string, { resolution?: { fileName: string; isTypeScript: boolean } }> }> };
    };
    expect(report.analysis.problems).toEqual([]);
    const exported = Object.keys(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).exports as Record<string, unknown>).filter((key) => key !== './package.json');
    // attw also resolves ./package.json (JSON, no types): every other subpath must have types.
    const entrypoints = Object.entries(report.analysis.entrypoints).filter(([subpath]) => subpath !== './package.json');
    expect(entrypoints.map(([subpath]) => subpath).sort()).toEqual(exported.sort());
    for (const [subpath, entrypoint] of entrypoints) {
      expect(Object.keys(entrypoint.resolutions).sort(), subpath).toEqual(['bundler', 'node10', 'node16-cjs', 'node16-esm']);
      for (const [mode, { resolution }] of Object.entries(entrypoint.resolutions)) {
        expect(resolution?.isTypeScript, `${subpath} in ${mode}`).toBe(true);
      }
    }
    expect(result.status).toBe(0);
  }, 120_000);

  it('passes publint --strict (exports, types and files as bundlers and runtimes read them)', () => {
    const publint = join(root, 'node_modules', '.bin', 'publint');
    const result = spawnSync(publint, ['run', tarball, '--strict'], { cwd: project, encoding: 'utf8' });
    expect(`${result.stdout}${result.stderr}`).toContain('All good!');
    expect(result.status).toBe(0);
  }, 120_000);

  it('imports from ESM and evaluates', () => {
    writeFileSync(
      join(project, 'esm.mjs'),
      `import { createPhasegate, MemoryStore, bucketOf } from 'phasegate';
       import { createTestGate } from 'phasegate/testing';
       const gate = await createPhasegate({ store: new MemoryStore() });
       await gate.flags.create({ key: 'new-checkout', state: 'rollout', strategy: { type: 'percentage', percentage: 12.5 } });
       const test = createTestGate({ forced: { x: true } });
       console.log(JSON.stringify([gate.isEnabled('new-checkout', { userId: 'user@example.com' }), gate.evaluate('new-checkout', { userId: 'u-42' }).bucket, bucketOf('a', 'b'), test.isEnabled('x')]));`,
    );
    expect(JSON.parse(run('esm.mjs'))).toEqual([true, 17353, 92131, true]);
  });

  it('exposes the database adapters behind their subpaths, from ESM and CJS', () => {
    writeFileSync(
      join(project, 'adapters.mjs'),
      `import { RedisStore } from 'phasegate/redis';
       import { PostgresStore } from 'phasegate/postgres';
       import { runStorageConformance } from 'phasegate/testing';
       import { PhasegateProvider } from 'phasegate/openfeature';
       import { SqliteStore } from 'phasegate/sqlite';
       const sqlite = new SqliteStore('./sqlite-esm/phasegate.db');
       await sqlite.put('flags', 'a', 1, 0);
       await sqlite.close();
       console.log(JSON.stringify([typeof RedisStore, typeof PostgresStore, typeof runStorageConformance, typeof PhasegateProvider, typeof SqliteStore]));`,
    );
    writeFileSync(
      join(project, 'adapters.cjs'),
      `const { RedisStore } = require('phasegate/redis');
       const { PostgresStore } = require('phasegate/postgres');
       const { PhasegateProvider } = require('phasegate/openfeature');
       const { SqliteStore } = require('phasegate/sqlite');
       const sqlite = new SqliteStore('./sqlite-cjs/phasegate.db');
       sqlite.put('flags', 'a', 1, 0).then(async (record) => {
         await sqlite.close();
         console.log(JSON.stringify([typeof RedisStore, typeof PostgresStore, typeof PhasegateProvider, typeof SqliteStore, record.version]));
       });`,
    );
    expect(JSON.parse(run('adapters.mjs'))).toEqual(['function', 'function', 'function', 'function', 'function']);
    expect(JSON.parse(run('adapters.cjs'))).toEqual(['function', 'function', 'function', 'function', 1]);
  });

  it('requires from CJS and evaluates', () => {
    writeFileSync(
      join(project, 'cjs.cjs'),
      `const { createPhasegate, MemoryStore, ValidationError } = require('phasegate');
       const { createTestGate } = require('phasegate/testing');
       (async () => {
         const gate = await createPhasegate({ store: new MemoryStore() });
         await gate.flags.create({ key: 'new-checkout', state: 'rollout', strategy: { type: 'percentage', percentage: 12.5 } });
         const invalid = await gate.flags.create({ key: 'x', strategy: { type: 'percentage', percentage: 140 } }).catch((e) => e instanceof ValidationError);
         console.log(JSON.stringify([gate.isEnabled('new-checkout', { userId: 'user@example.com' }), invalid, createTestGate({ forced: { y: false } }).isEnabled('y')]));
       })();`,
    );
    expect(JSON.parse(run('cjs.cjs'))).toEqual([true, true, false]);
  });

  it('has type declarations that resolve for both module systems', () => {
    const pkg = JSON.parse(execFileSync('cat', [join(project, 'node_modules', 'phasegate', 'package.json')], { encoding: 'utf8' })) as {
      exports: Record<string, { import: { types: string }; require: { types: string } }>;
      sideEffects: boolean;
      engines: { node: string };
    };
    expect(pkg.sideEffects).toBe(false);
    expect(pkg.engines.node).toBe('>=20.16');
    for (const entry of Object.values(pkg.exports).filter((value) => typeof value === 'object')) {
      for (const path of [entry.import.types, entry.require.types]) {
        expect(readdirSync(join(project, 'node_modules', 'phasegate', path, '..'))).toContain(path.split('/').pop());
      }
    }
  });
});
