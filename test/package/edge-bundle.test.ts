import { mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { temporaryDirectories } from '../support/temp.js';

/**
 * The main entry is runtime-neutral: the BUILT package (dist/, through package.json `exports`)
 * bundles for a browser and for a neutral platform with no Node built-in left over, and the
 * bundles stay within their size budgets (minified, gzip level 9, as a user's bundler would
 * ship them). Runs after `npm run build` (part of `npm test`).
 */
const root = resolve(import.meta.dirname, '../..');
const temporary = temporaryDirectories('edge-bundle');

/** A scratch project whose node_modules/phasegate is this checkout, resolved like an installed package. */
function consumer(): string {
  const project = temporary();
  mkdirSync(join(project, 'node_modules'), { recursive: true });
  symlinkSync(root, join(project, 'node_modules', 'phasegate'), 'dir');
  return project;
}

interface Bundle {
  readonly code: string;
  readonly gzip: number;
  readonly inputs: readonly string[];
  readonly imports: readonly string[];
}

async function bundle(source: string, platform: 'browser' | 'neutral'): Promise<Bundle> {
  const project = consumer();
  writeFileSync(join(project, 'entry.mjs'), source);
  const result = await build({
    entryPoints: [join(project, 'entry.mjs')],
    absWorkingDir: project,
    bundle: true,
    minify: true,
    write: false,
    format: 'esm',
    platform,
    // A neutral build gets no default conditions or main fields: give it what an edge bundler would.
    ...(platform === 'neutral' ? { conditions: ['worker', 'import', 'default'], mainFields: ['module', 'main'] } : {}),
    metafile: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]!.text;
  const metafile = result.metafile as Metafile;
  const output = Object.values(metafile.outputs)[0]!;
  return {
    code,
    gzip: gzipSync(code, { level: 9 }).length,
    // The modules that put bytes in the bundle (tree-shaken ones are listed with 0).
    inputs: Object.entries(output.inputs).filter(([, input]) => input.bytesInOutput > 0).map(([path]) => path),
    imports: output.imports.map((entry) => entry.path),
  };
}

const CLIENT = `import { createPhasegate, MemoryStore, parseSnapshotData } from 'phasegate';
export async function start(snapshot) {
  return createPhasegate({ store: new MemoryStore(), bootstrap: parseSnapshotData(snapshot), resyncIntervalMs: 0 });
}`;
const EVALUATOR = `export { evaluateFlag } from 'phasegate';`;
const EVERYTHING = `export * from 'phasegate';`;

const NODE_BUILTIN = /^(node:|(fs|fs\/promises|path|crypto|async_hooks|module|url|os|child_process|worker_threads|stream|events|util|buffer|zlib|net|http)$)/;

describe('the main entry at the edge', () => {
  it('bundles for the browser and for a neutral platform with no Node built-in imported, the whole entry included', async () => {
    for (const platform of ['browser', 'neutral'] as const) {
      const everything = await bundle(EVERYTHING, platform);
      expect(everything.imports.filter((path) => NODE_BUILTIN.test(path))).toEqual([]);
      expect(everything.inputs.filter((path) => NODE_BUILTIN.test(path))).toEqual([]);
      // The only node: names left are the built-ins FileStore and the audit log ask the host for at run time.
      expect([...new Set([...everything.code.matchAll(/["'](node:[a-z_/]+)["']/g)].map((match) => match[1]))].sort()).toEqual(
        ['node:async_hooks', 'node:fs', 'node:fs/promises', 'node:path'],
      );
      expect(everything.code).not.toMatch(/\brequire\(\s*["']/);
    }
  }, 120_000);

  it('leaves FileStore, SQLite, the CLI and the console out of a client bundle', async () => {
    const client = await bundle(CLIENT, 'browser');
    expect(client.inputs.filter((path) => /file-store|sqlite|cli|console/.test(path))).toEqual([]);
    expect(client.code).not.toContain('node:fs');
  }, 120_000);

  /**
   * Budgets (gzip bytes). These are ratchets at what the code achieves today, so a change that
   * grows the edge bundle fails here. The targets of issue 21 are 8 kB for `evaluateFlag`
   * and 30 kB for the client: reaching them needs the flag schemas out of the evaluation path.
   * Raised from 50 / 90 kB when typed variants (their schemas and evaluator) and the REGEX
   * pattern parser (@eslint-community/regexpp, used by condition validation) joined the
   * evaluation path: measured 63.6 / 104.6 kB.
   */
  it.each([
    ['evaluateFlag alone', EVALUATOR, 65_000],
    ['the client with MemoryStore and a bootstrap snapshot', CLIENT, 106_000],
  ])('%s stays within its gzip budget for the browser', async (_name, source, budget) => {
    const result = await bundle(source, 'browser');
    expect(result.gzip).toBeLessThanOrEqual(budget);
  }, 120_000);

  it('never bundles all of zod: schemas import it as a namespace so unused parts shake out', async () => {
    const client = await bundle(CLIENT, 'browser');
    expect(client.inputs.filter((path) => /zod\/v4\/(locales\/(?!en\.js)|classic\/from-json-schema)/.test(path))).toEqual([]);
  }, 120_000);

  it("src imports zod as a namespace and semver one function at a time (what keeps the bundles and Node's import small)", () => {
    const src = join(root, 'src');
    const offenders: string[] = [];
    for (const file of readdirSync(src, { recursive: true }).map(String).filter((path) => path.endsWith('.ts'))) {
      const text = readFileSync(join(src, file), 'utf8');
      if (/^import \{[^}]*\} from 'zod';/m.test(text) || /^import \w+ from 'zod';/m.test(text)) offenders.push(`${file}: import * as z from 'zod'`);
      if (/from 'semver';/.test(text)) offenders.push(`${file}: import from src/semver.ts`);
    }
    expect(offenders.map((line) => relative(src, join(src, line)))).toEqual([]);
  });
});
