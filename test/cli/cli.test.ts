import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { FileStore } from '../../src/storage/file-store.js';

const bin = resolve(import.meta.dirname, '../../dist/cli/main.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function phasegate(store: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, [bin, ...args, ...(store ? ['--store', store] : [])], { env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const freshStore = () => join(mkdtempSync(join(tmpdir(), 'phasegate-cli-')), 'store');

/** Every file in the store with its bytes, to prove a failed command changed nothing. */
function snapshot(store: string): Record<string, string> {
  if (!existsSync(store)) return {};
  return Object.fromEntries(readdirSync(store).sort().map((file) => [file, readFileSync(join(store, file), 'base64')]));
}

async function expectUserError(store: string, args: string[], message: RegExp): Promise<void> {
  const before = snapshot(store);
  const result = await phasegate(store, args);
  expect(result.code, result.stderr).toBe(1);
  expect(result.stderr).toMatch(message);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(snapshot(store)).toEqual(before);
}

describe('phasegate flag', () => {
  it('creates, lists, shows, changes, evaluates and deletes flags', async () => {
    const store = freshStore();
    expect(await phasegate(store, ['flag', 'create', 'new-checkout', '--state', 'rollout', '--percentage', '12.5', '--description', 'New checkout'])).toMatchObject({
      code: 0,
      stdout: 'created new-checkout  rollout  12.5%  — New checkout\n',
    });
    expect((await phasegate(store, ['flag', 'list'])).stdout).toContain('new-checkout  rollout  12.5%');
    expect((await phasegate(store, ['flag', 'show', 'new-checkout'])).stdout).toMatch(/strategy: {5}percentage \(12\.5%\)/);
    const evaluation = await phasegate(store, ['flag', 'eval', 'new-checkout', '--user', 'u-42']);
    expect(evaluation.stdout).toBe(
      "off  reason OUTSIDE_PERCENTAGE  bucket 17353 (threshold 12500)\nnew-checkout is off: the user's bucket is outside the percentage (bucket 17353 >= threshold 12500 of 100000) [OUTSIDE_PERCENTAGE]\n",
    );
    const json = JSON.parse((await phasegate(store, ['flag', 'eval', 'new-checkout', '--user', 'user@example.com', '--json'])).stdout);
    expect(json).toMatchObject({ enabled: true, reason: 'IN_PERCENTAGE', bucket: 9547 });
    expect((await phasegate(store, ['flag', 'set', 'new-checkout', '--rings', 'canary'])).code).toBe(0);
    expect(JSON.parse((await phasegate(store, ['flag', 'eval', 'new-checkout', '--ring', 'canary', '--json'])).stdout).reason).toBe('RING_MATCH');
    expect((await phasegate(store, ['flag', 'delete', 'new-checkout'])).stdout).toBe('deleted new-checkout\n');
    expect(JSON.parse((await phasegate(store, ['flag', 'list', '--json'])).stdout)).toEqual([]);
  });

  it('reads the store from PHASEGATE_STORE', async () => {
    const store = freshStore();
    await phasegate('', ['flag', 'create', 'env-flag'], { PHASEGATE_STORE: store });
    expect((await phasegate(store, ['flag', 'list'])).stdout).toContain('env-flag');
  });

  it('gives one clear line and changes nothing on bad input', async () => {
    const store = freshStore();
    await phasegate(store, ['flag', 'create', 'x', '--state', 'enabled']);
    await expectUserError(store, ['flag', 'eval', 'ghost'], /^phasegate: Flag 'ghost' not found\n$/);
    await expectUserError(store, ['flag', 'set', 'ghost', '--state', 'enabled'], /^phasegate: Flag 'ghost' not found$/m);
    await expectUserError(store, ['flag', 'create', 'x'], /^phasegate: Flag 'x' already exists$/m);
    await expectUserError(store, ['flag', 'create', 'y', '--percentage', '140'], /^phasegate: Invalid flag: strategy\.percentage: must be at most 100$/m);
    await expectUserError(store, ['flag', 'create', 'y', '--state', 'sideways'], /^phasegate: Invalid flag: state: must be one of/m);
    await expectUserError(store, ['flag', 'create', '__proto__'], /^phasegate: Invalid flag: key: /m);
  });

  it('a corrupt store file gives one line naming it and its bytes stay as they were', async () => {
    // A FileStore directory (one that already holds FileStore data stays a FileStore).
    const store = freshStore();
    await new FileStore(store).put('meta', 'created', 1, 0);
    await phasegate(store, ['flag', 'create', 'x']);
    const file = join(store, 'flags.1.json');
    writeFileSync(file, '{"format": "phasegate-store", oops');
    await expectUserError(store, ['flag', 'list'], new RegExp(`^phasegate: Store file ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is corrupt: invalid JSON`));
    await expectUserError(store, ['flag', 'create', 'y'], /is corrupt/);
  });

  it('a corrupt record in the default SQLite store gives one line naming it', async () => {
    const store = freshStore();
    await phasegate(store, ['flag', 'create', 'x']);
    const database = new Database(join(store, 'phasegate.db'));
    database.prepare(`UPDATE records SET value = '{ oops' WHERE collection = 'flags' AND key = 'x'`).run();
    database.close();
    await expectUserError(store, ['flag', 'list'], /^phasegate: sqlite:.*phasegate\.db, record flags\/x is corrupt: /);
  });
});

describe('usage', () => {
  it.each([
    [['bogus'], /unknown command 'bogus'/],
    [['flag', 'fly'], /unknown flag command 'fly' \(see 'phasegate flag --help'\)/],
    [['flag', 'create'], /missing KEY/],
    [['flag', 'create', 'x', '--colour', 'red'], /Unknown option '--colour'/],
    [['flag', 'create', 'x', '--percentage', 'lots'], /--percentage must be a number, got 'lots'/],
    [['flag', 'create', 'x', '--percentage', '5', '--rings', 'a'], /give one strategy/],
    [['release', 'hold', '1.0.0'], /--reason is required/],
    [['metric', 'report', '--format', 'xml'], /--format must be json or prometheus/],
    [['dashboard'], /--out FILE\.html is required/],
    [['flag', 'list', '--store', 'a', '--redis', 'redis://127.0.0.1:1'], /choose one of --store, --redis and --postgres/],
  ])('%j exits 2 with one line', async (args, message) => {
    const store = freshStore();
    const result = await phasegate(store, args as string[]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it.each(['flag', 'release', 'ea', 'metric', 'status', 'dashboard'])('%s --help explains itself', async (group) => {
    const result = await phasegate('', [group, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Usage:/);
  });

  it('with no command prints help and exits 2', async () => {
    const result = await phasegate('', []);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('Commands:');
  });
});

describe('phasegate release', () => {
  it('walks a release on explicit times and refuses illegal transitions', async () => {
    const store = freshStore();
    const at = (iso: string) => ['--at', iso];
    expect((await phasegate(store, ['release', 'plan', '2.0.0', '--type', 'minor', '--features', 'new-search,new-nav', ...at('2026-03-02T00:00:00Z')])).code).toBe(0);
    await expectUserError(store, ['release', 'plan', '2.0', '--type', 'minor'], /^phasegate: Invalid release: version: must be a valid semantic version/m);
    await expectUserError(store, ['release', 'plan', '2.0.0', '--type', 'minor'], /^phasegate: Release '2\.0\.0' already exists$/m);
    await expectUserError(store, ['release', 'complete', '2.0.0'], /^phasegate: Cannot move release 2\.0\.0 from 'planned' to 'released'/m);
    await expectUserError(store, ['release', 'advance', '9.9.9'], /^phasegate: Release '9\.9\.9' not found$/m);
    expect((await phasegate(store, ['release', 'start', '2.0.0', '--by', 'alice', ...at('2026-03-02T00:00:00Z')])).stdout).toMatch(/started 2\.0\.0 +minor +in_progress +beta +5%/);
    expect((await phasegate(store, ['release', 'tick', ...at('2026-03-03T00:00:00Z')])).stdout).toBe('2.0.0: beta → early-access\n');
    const status = await phasegate(store, ['release', 'status', '2.0.0', ...at('2026-03-03T12:00:00Z')]);
    expect(status.stdout).toMatch(/phase: {4}early-access \(2 of 4\)\nexposure: 20% of users\nnext: {5}in 60h/);
    expect(status.stdout).toMatch(/status +planned → in_progress \(5%\) +by alice/);
    expect((await phasegate(store, ['flag', 'show', 'new-search'])).stdout).toMatch(/percentage \(20%\)/);
    const rolled = await phasegate(store, ['release', 'rollback', '2.0.0', '--reason', 'search latency', ...at('2026-03-04T00:00:00Z')]);
    expect(rolled.stdout).toMatch(/rolled back 2\.0\.0 +minor +rolled_back/);
    await expectUserError(store, ['release', 'start', '2.0.0'], /^phasegate: Cannot move release 2\.0\.0 from 'rolled_back' to 'in_progress'/m);
    const listed = JSON.parse((await phasegate(store, ['release', 'list', '--json'])).stdout);
    expect(listed.releases[0]).toMatchObject({ version: '2.0.0', status: 'rolled_back', rollback: { reason: 'search latency', by: 'cli' } });
  });
});

describe('phasegate ea', () => {
  it('runs the program and never prints an email', async () => {
    const store = freshStore();
    const outputs: string[] = [];
    const ok = async (args: string[]) => {
      const result = await phasegate(store, args);
      expect(result.code, result.stderr).toBe(0);
      outputs.push(result.stdout);
      return result.stdout;
    };
    await ok(['ea', 'feature', 'create', 'ai-assist', '--level', 'beta', '--cap', '1']);
    await ok(['ea', 'enroll', '--user', 'u-1', '--email', 'Ada@Example.com', '--level', 'alpha']);
    await ok(['ea', 'enroll', '--user', 'u-2', '--email', 'bob@example.com']);
    for (const user of ['u-1', 'u-2']) {
      await ok(['ea', 'approve', user]);
      await ok(['ea', 'activate', user]);
    }
    await ok(['ea', 'feedback', 'u-1', 'ai-assist', '--rating', '5', '--text', 'great']);
    await expectUserError(store, ['ea', 'feedback', 'u-2', 'ai-assist', '--rating', '4'], /does not have feature 'ai-assist'/);
    await expectUserError(store, ['ea', 'enroll', '--user', 'u-3', '--email', 'ADA@example.com'], /already enrolled/);
    await expectUserError(store, ['ea', 'approve', 'u-1'], /Cannot move early-access member u-1 from 'active' to 'approved'/);
    await ok(['ea', 'suspend', 'u-1', '--reason', 'leaked screenshots']);
    await expectUserError(store, ['ea', 'approve', 'u-1'], /from 'suspended' to 'approved'/);
    expect(await ok(['ea', 'user', 'u-1'])).toMatch(/^u-1: suspended, level alpha/);
    const stats = JSON.parse(await ok(['ea', 'stats', '--json']));
    expect(stats.members.byStatus).toMatchObject({ active: 1, suspended: 1 });
    expect(stats.features[0]).toMatchObject({ key: 'ai-assist', seatsUsed: 0, feedbackCount: 1, meanRating: 5 });
    expect(await ok(['ea', 'feature', 'list'])).toMatch(/ai-assist {2}beta {2}0\/1 seats/);
    expect(outputs.join('\n')).not.toMatch(/@example\.com/i);
  });
});

describe('phasegate metric, status and dashboard', () => {
  it('records, summarises and reports metrics; shows status; writes the dashboard', async () => {
    const store = freshStore();
    await phasegate(store, ['release', 'plan', '1.0.0', '--type', 'hotfix', '--features', 'fix']);
    await phasegate(store, ['release', 'start', '1.0.0']);
    for (const value of ['1', '2', '3', '4', '5']) {
      expect((await phasegate(store, ['metric', 'record', 'error_rate', value, '--release', '1.0.0'])).code).toBe(0);
    }
    await expectUserError(store, ['metric', 'record', 'error rate', '1'], /metric: must be letters, digits and "_"/);
    expect((await phasegate(store, ['metric', 'stats', 'error_rate', '--release', '1.0.0'])).stdout).toMatch(/^error_rate: n=5 mean=3 median=3 min=1 max=5/);
    expect((await phasegate(store, ['metric', 'health', '1.0.0'])).stdout).toMatch(/^release 1\.0\.0: healthy, score 100\/100/);
    const report = JSON.parse((await phasegate(store, ['metric', 'report'])).stdout);
    expect(report.metrics[0]).toMatchObject({ metric: 'error_rate', release: '1.0.0' });
    const prometheus = (await phasegate(store, ['metric', 'report', '--format', 'prometheus'])).stdout;
    expect(prometheus).toMatch(/^phasegate_metric_mean\{metric="error_rate",release="1\.0\.0"\} 3$/m);
    const status = await phasegate(store, ['status']);
    expect(status.stdout).toMatch(/^RELEASES {2}current version: none; 1 in flight$/m);
    expect(status.stdout).toMatch(/1\.0\.0 +in_progress +full \(1\/1\) +█+ +100%/);
    const out = join(store, '..', 'dash.html');
    expect((await phasegate(store, ['dashboard', '--out', out])).stdout).toBe(`dashboard written to ${out}\n`);
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|https?:\/\/|<link /);
  });
});
