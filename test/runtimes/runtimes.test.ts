import { spawn, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/servers.js';
import { temporaryDirectories } from '../support/temp.js';

/**
 * The BUILT package in every runtime it promises to run in: Node (ESM and CommonJS), Bun, Deno,
 * Cloudflare's workerd, Vercel's edge runtime and headless Chromium each run table.mjs (the same
 * flags, contexts, bucketing vectors and hashes) and must give exactly Node's answers. The one
 * documented difference (docs/edge.md): without AsyncLocalStorage (browsers, the edge runtime,
 * workerd without `nodejs_compat`) an audit entry names the client's actor and `flags.write`
 * instead of the write's `{ by, reason }` and action.
 * Bun, Deno, workerd and edge-runtime are devDependencies whose binaries come from the npm
 * registry (`npm ci`); Chromium is Debian's, driven by playwright-core. Runs after `npm run build`.
 */
const root = resolve(import.meta.dirname, '../..');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);
const temporary = temporaryDirectories('runtimes');
let project: string;
let nodeAnswers: Answers;

interface Answers {
  readonly audit: readonly unknown[][];
  readonly rows: readonly unknown[][];
  readonly vectors: readonly number[];
  readonly thresholds: readonly number[];
  readonly signature: string;
  readonly [key: string]: unknown;
}

/** What a runtime without AsyncLocalStorage answers: Node's answers, the audit entry written without the write's actor and reason. */
function withoutAsyncContext(answers: Answers): Answers {
  return { ...answers, audit: answers.audit.map(() => ['api', 'flags.write', null]) };
}

/** Runs a command in the scratch project and parses the JSON line it prints. */
function runJson(command: string, args: readonly string[], env: Record<string, string> = {}): Answers {
  const result = spawnSync(command, args, { cwd: project, encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr || result.error}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as Answers;
}

/** Bundles `entry` from the scratch project as a user's bundler would for a platform. */
async function bundle(entry: string, options: { format: 'esm' | 'iife'; platform: 'browser' | 'neutral'; conditions: string[] }): Promise<string> {
  const result = await build({
    entryPoints: [join(project, entry)],
    absWorkingDir: project,
    bundle: true,
    write: false,
    format: options.format,
    platform: options.platform,
    conditions: options.conditions,
    mainFields: ['browser', 'module', 'main'],
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

beforeAll(() => {
  project = temporary();
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(root, join(project, 'node_modules', 'phasegate'), 'dir');
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { phasegate: '*' } }));
  copyFileSync(join(import.meta.dirname, 'table.mjs'), join(project, 'table.mjs'));
  writeFileSync(
    join(project, 'main.mjs'),
    `import * as phasegate from 'phasegate';
     import { answers } from './table.mjs';
     console.log(JSON.stringify(await answers(phasegate)));`,
  );
  writeFileSync(
    join(project, 'main.cjs'),
    `const phasegate = require('phasegate');
     import('./table.mjs').then(({ answers }) => answers(phasegate)).then((result) => console.log(JSON.stringify(result)));`,
  );
  writeFileSync(
    join(project, 'worker.mjs'),
    `import * as phasegate from 'phasegate';
     import { answers } from './table.mjs';
     export default { async fetch() { return new Response(JSON.stringify(await answers(phasegate))); } };`,
  );
  writeFileSync(
    join(project, 'page.mjs'),
    `import * as phasegate from 'phasegate';
     import { answers } from './table.mjs';
     globalThis.phasegateAnswers = () => answers(phasegate).then((result) => JSON.stringify(result));`,
  );
  nodeAnswers = runJson(process.execPath, ['main.mjs']);
}, 120_000);

describe('the same answers in every runtime', () => {
  it('Node: the table is real (docs/bucketing.md vectors, node:crypto signature), and ESM and CommonJS agree', () => {
    expect(nodeAnswers.vectors).toEqual([17353, 70335, 9547, 93731, 99581, 92131, 29133, 56255, 75792, 75433, 45384]);
    expect(nodeAnswers.thresholds).toEqual([12500, 1, 33333, 100000]);
    const body = '{"event":"release.rolledBack","version":"2.0.0"}';
    expect(nodeAnswers.signature).toBe(`sha256=${createHmac('sha256', 'whsec-test').update(`1767225600.${body}`).digest('hex')}`);
    // Every flag, every context: the client, a bootstrapped client and the pure evaluator.
    expect(nodeAnswers.rows).toHaveLength(14 * 19);
    expect(new Set(nodeAnswers.rows.map((row) => row[2]))).toEqual(new Set([true, false]));
    expect(nodeAnswers.audit).toEqual([
      ['dana', 'flag.update', 'audit check'],
      ['api', 'flag.create', null],
    ]);
    expect(runJson(process.execPath, ['main.cjs'])).toEqual(nodeAnswers);
  });

  it('Bun', () => {
    expect(runJson(bin('bun'), ['main.mjs'])).toEqual(nodeAnswers);
  }, 120_000);

  it('Deno', () => {
    const denoDir = temporary();
    expect(runJson(bin('deno'), ['run', '--quiet', '--allow-read', '--allow-env', 'main.mjs'], { DENO_DIR: denoDir, DENO_NO_UPDATE_CHECK: '1' })).toEqual(nodeAnswers);
  }, 120_000);

  it.each([
    ['with nodejs_compat', '["nodejs_compat"]'],
    ['without compatibility flags', '[]'],
  ])("Cloudflare's workerd %s, serving a bundled module worker on loopback", async (name, flags) => {
    writeFileSync(join(project, 'worker.bundle.mjs'), await bundle('worker.mjs', { format: 'esm', platform: 'neutral', conditions: ['workerd', 'worker', 'browser', 'import', 'default'] }));
    const port = await freePort();
    writeFileSync(
      join(project, 'workerd.capnp'),
      `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [ (name = "worker", esModule = embed "worker.bundle.mjs") ],
  compatibilityDate = "2025-09-01",
  compatibilityFlags = ${flags},
);
`,
    );
    const server = spawn(bin('workerd'), ['serve', 'workerd.capnp'], { cwd: project, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    server.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      const deadline = Date.now() + 60_000;
      let answers: Answers | undefined;
      while (!answers) {
        if (server.exitCode !== null) throw new Error(`workerd exited ${server.exitCode}: ${stderr}`);
        if (Date.now() > deadline) throw new Error(`workerd did not answer: ${stderr}`);
        answers = await fetch(`http://127.0.0.1:${port}/`).then(
          async (response) => (response.ok ? ((await response.json()) as Answers) : Promise.reject(new Error(await response.text()))),
          () => new Promise<undefined>((done) => setTimeout(() => done(undefined), 100)),
        );
      }
      expect(answers).toEqual(name === 'with nodejs_compat' ? nodeAnswers : withoutAsyncContext(nodeAnswers));
    } finally {
      server.kill();
      await new Promise((done) => (server.exitCode !== null ? done(undefined) : server.once('exit', done)));
    }
  }, 120_000);

  it("Vercel's edge runtime", async () => {
    const script = await bundle('page.mjs', { format: 'iife', platform: 'browser', conditions: ['edge-light', 'worker'] });
    const { EdgeRuntime } = await import('edge-runtime');
    const runtime = new EdgeRuntime();
    runtime.evaluate(script);
    const answers = JSON.parse(await runtime.evaluate<Promise<string>>('phasegateAnswers()')) as Answers;
    expect(answers).toEqual(withoutAsyncContext(nodeAnswers));
  }, 120_000);

  it('headless Chromium', async () => {
    if (!existsSync('/usr/bin/chromium')) throw new Error('Debian chromium is not installed (apt-get install chromium; .ci/run does this)');
    const script = await bundle('page.mjs', { format: 'iife', platform: 'browser', conditions: [] });
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      await page.setContent('<!doctype html><title>phasegate</title>');
      await page.addScriptTag({ content: script });
      const answers = JSON.parse(await page.evaluate(() => (globalThis as unknown as { phasegateAnswers(): Promise<string> }).phasegateAnswers())) as Answers;
      expect(answers).toEqual(withoutAsyncContext(nodeAnswers));
    } finally {
      await browser.close();
    }
  }, 120_000);

});
