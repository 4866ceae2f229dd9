import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const tsx = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
const cli = join(root, 'src/cli/main.ts');
const running: ChildProcess[] = [];
const directories: string[] = [];

function phasegate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) =>
    execFile(process.execPath, ['--import', tsx, cli, ...args], { timeout: 60_000 }, (error, stdout, stderr) =>
      done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

/** Starts `phasegate serve` and resolves with the URL it prints. */
function serve(args: string[]): Promise<string> {
  const child = spawn(process.execPath, ['--import', tsx, cli, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  return new Promise((done, fail) => {
    let output = '';
    child.stdout!.on('data', (chunk) => {
      output += String(chunk);
      const url = /phasegate console at (http:\/\/\S+)/.exec(output)?.[1];
      if (url) done(url);
    });
    child.stderr!.on('data', (chunk) => (output += String(chunk)));
    child.once('exit', (code) => fail(new Error(`serve exited with ${code}: ${output}`)));
  });
}

function store(): string {
  const directory = mkdtempSync(join(tmpdir(), 'phasegate-serve-'));
  directories.push(directory);
  return directory;
}

afterEach(async () => {
  for (const child of running.splice(0)) {
    if (child.exitCode !== null) continue;
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGTERM');
    await exited;
  }
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

async function action(url: string, fields: Record<string, string>): Promise<Response> {
  const page = await (await fetch(`${url}flags/${fields.flag}`)).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? 'none';
  return fetch(`${url}actions`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf, ...fields }),
  });
}

describe('phasegate serve and phasegate audit', () => {
  it('binds 127.0.0.1 by default and is read-only', async () => {
    const dir = store();
    expect((await phasegate(['flag', 'create', 'demo', '--state', 'rollout', '--percentage', '5', '--store', dir])).code).toBe(0);
    const url = await serve(['--store', dir]);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await (await fetch(url)).text()).toContain('data-flag="demo"');
    const refused = await action(url, { action: 'flag.update', flag: 'demo', state: 'enabled', reason: 'try' });
    expect(refused.status).toBe(403);
    expect((await phasegate(['flag', 'show', 'demo', '--store', dir, '--json'])).stdout).toContain('"state": "rollout"');
  }, 60_000);

  it('with --allow-actions, acts for this machine as --by, and phasegate audit lists it', async () => {
    const dir = store();
    await phasegate(['flag', 'create', 'demo', '--state', 'rollout', '--percentage', '5', '--store', dir]);
    const url = await serve(['--store', dir, '--allow-actions', '--by', 'night-shift']);
    const done = await action(url, { action: 'flag.update', flag: 'demo', state: 'enabled', reason: 'incident 42 fixed' });
    expect(done.status).toBe(303);
    const audit = await phasegate(['audit', '--store', dir, '--json']);
    const entries = JSON.parse(audit.stdout) as Array<{ actor: string; action: string; reason: string; changes: unknown[] }>;
    expect(entries[0]).toMatchObject({ actor: 'night-shift', action: 'flag.update', reason: 'incident 42 fixed' });
    expect(entries[0]!.changes).toContainEqual({ path: 'state', before: 'rollout', after: 'enabled' });
    const human = await phasegate(['audit', '--store', dir, '--key', 'demo']);
    expect(human.stdout).toMatch(/night-shift\s+flag\.update\s+flags\/demo {2}"incident 42 fixed"\n {4}state: "rollout" → "enabled"/);
  }, 60_000);

  it('explains a port that is taken', async () => {
    const dir = store();
    const url = await serve(['--store', dir]);
    const port = new URL(url).port;
    const second = await phasegate(['serve', '--store', dir, '--port', port]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
  }, 60_000);
});
