import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Packs the package as `npm publish` would, installs the tarball into a scratch project
 * and uses it from ESM and CJS. Runs after `npm run build` (part of `npm test`).
 * Dependencies are linked from this checkout's node_modules so the test needs no network.
 */
const root = resolve(import.meta.dirname, '../..');
let project: string;

function run(file: string): string {
  return execFileSync(process.execPath, [file], { cwd: project, encoding: 'utf8' });
}

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'phasegate-pack-'));
  const output = execFileSync('npm', ['pack', '--json', '--pack-destination', project], { cwd: root, encoding: 'utf8' });
  const [{ filename }] = JSON.parse(output.slice(output.indexOf('['))) as [{ filename: string }];
  const installed = join(project, 'node_modules', 'phasegate');
  mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['-xzf', join(project, filename), '-C', installed, '--strip-components=1']);
  for (const dependency of ['zod', 'eventemitter3', 'semver', 'murmurhash3js-revisited', 'fast-check', 'pure-rand', 'ioredis', 'pg', '@openfeature/server-sdk', '@openfeature/core', 'better-sqlite3', 'bindings', 'file-uri-to-path']) {
    mkdirSync(join(project, 'node_modules', dependency, '..'), { recursive: true });
    symlinkSync(join(root, 'node_modules', dependency), join(project, 'node_modules', dependency), 'dir');
  }
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
}, 120_000);

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
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
    expect(pkg.engines.node).toBe('>=20');
    for (const entry of Object.values(pkg.exports).filter((value) => typeof value === 'object')) {
      for (const path of [entry.import.types, entry.require.types]) {
        expect(readdirSync(join(project, 'node_modules', 'phasegate', path, '..'))).toContain(path.split('/').pop());
      }
    }
  });
});
