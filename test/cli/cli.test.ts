import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { FileStore } from '../../src/storage/file-store.js';
import { temporaryDirectories } from '../support/temp.js';

const bin = resolve(import.meta.dirname, '../../dist/cli/main.js');

// Each test runs the CLI as separate processes, a dozen or more in a row: on a loaded 2-core
// machine that alone can pass the default 30 s. A limit on how long a test may hang, not a timing assertion.
vi.setConfig({ testTimeout: 120_000 });

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

const scratch = temporaryDirectories('cli');
const freshStore = () => join(scratch(), 'store');

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

describe('issue 15: what a release manager and a new user saw', () => {
  it('flag eval --user no longer answers off for an early-access member that ea user lists the feature for', async () => {
    const store = freshStore();
    for (const args of [
      ['ea', 'feature', 'create', 'ai-assist', '--level', 'beta'],
      ['ea', 'enroll', '--user', 'u7', '--email', 'u7@example.com', '--level', 'alpha'],
      ['ea', 'approve', 'u7'],
      ['ea', 'activate', 'u7'],
    ]) {
      const result = await phasegate(store, args);
      expect(result.code, result.stderr).toBe(0);
    }
    expect((await phasegate(store, ['ea', 'user', 'u7'])).stdout).toMatch(/^features: ai-assist$/m);
    const evaluation = await phasegate(store, ['flag', 'eval', 'ai-assist', '--user', 'u7', '--json']);
    expect(JSON.parse(evaluation.stdout)).toMatchObject({ enabled: true, reason: 'EARLY_ACCESS' });
    // Someone outside the program is still off, and an explicit --access-level still overrides.
    expect(JSON.parse((await phasegate(store, ['flag', 'eval', 'ai-assist', '--user', 'u8', '--json'])).stdout).enabled).toBe(false);
  });

  it('status and flag list on a mistyped --store no longer say "no flags" with exit 0', async () => {
    const root = scratch();
    await phasegate(join(root, 'store'), ['flag', 'create', 'x', '--state', 'enabled']);
    const mistyped = join(root, 'stroe');
    for (const args of [['status'], ['flag', 'list'], ['release', 'list'], ['flag', 'eval', 'x']]) {
      const result = await phasegate(mistyped, args);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr).toBe(
        `phasegate: No store at ${mistyped}: the directory does not exist. Check --store or PHASEGATE_STORE, or create the store with 'phasegate init --store ${mistyped}' (or any write command).\n`,
      );
    }
    expect(existsSync(mistyped)).toBe(false);
  });

  it('a write to a store that does not exist says it created it, and a failed one creates nothing', async () => {
    const root = scratch();
    const store = join(root, 'new', 'store');
    const failed = await phasegate(store, ['flag', 'create', 'y', '--percentage', '140']);
    expect(failed.code).toBe(1);
    expect(existsSync(join(root, 'new'))).toBe(false);
    const created = await phasegate(store, ['flag', 'create', 'y', '--state', 'enabled']);
    expect(created).toMatchObject({ code: 0, stdout: 'created y  enabled  on for everyone\n', stderr: `phasegate: created a new store in ${store}\n` });
    expect((await phasegate(store, ['flag', 'create', 'z', '--state', 'enabled'])).stderr).toBe('');
  });

  it('phasegate init creates the store explicitly and is harmless on an existing one', async () => {
    const store = freshStore();
    expect(await phasegate(store, ['init'])).toMatchObject({ code: 0, stdout: `created a new store in ${store}\n` });
    expect((await phasegate(store, ['status'])).code).toBe(0);
    expect(await phasegate(store, ['init'])).toMatchObject({ code: 0, stdout: `a store already exists in ${store}\n` });
    const notDirectory = join(store, 'flags.txt');
    writeFileSync(notDirectory, 'x');
    expect(await phasegate(notDirectory, ['flag', 'list'])).toMatchObject({ code: 1, stderr: `phasegate: The store ${notDirectory} is a file, not a store directory\n` });
  });

  it('--version prints the version instead of an unknown-option error', async () => {
    const { version } = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
    expect(await phasegate('', ['--version'])).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('--percentage -5 gives the validation error, not "argument is ambiguous"', async () => {
    const store = freshStore();
    await phasegate(store, ['init']);
    await expectUserError(store, ['flag', 'create', 'y', '--state', 'rollout', '--percentage', '-5'], /^phasegate: Invalid flag: strategy\.percentage: must be at least 0$/m);
    expect((await phasegate(store, ['metric', 'record', 'latency_delta', '-2.5'])).stdout).toBe('recorded latency_delta = -2.5\n');
  });

  it('--json errors are JSON on stderr with a code, not plain text', async () => {
    const store = freshStore();
    await phasegate(store, ['init']);
    const missing = await phasegate(store, ['flag', 'show', 'ghost', '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stderr)).toEqual({ error: { code: 'NOT_FOUND', message: "Flag 'ghost' not found", exitCode: 1 } });
    const usage = await phasegate(store, ['flag', 'list', '--cap', '3', '--json']);
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.stderr)).toMatchObject({ error: { code: 'USAGE', exitCode: 2 } });
    expect(usage.stdout).toBe('');
  });

  it('flag create --percentage 10 without --state says the flag is created disabled', async () => {
    const store = freshStore();
    const result = await phasegate(store, ['flag', 'create', 'x', '--percentage', '10']);
    expect(result.stdout).toBe(
      'created x  disabled  off for everyone\nnote: x is disabled, so its 10% applies only once its state is rollout or beta: phasegate flag set x --state rollout\n',
    );
  });

  it('enabled flags no longer display as "0%"', async () => {
    const store = freshStore();
    await phasegate(store, ['flag', 'create', 'on', '--state', 'enabled']);
    await phasegate(store, ['flag', 'create', 'half', '--state', 'rollout', '--percentage', '50']);
    expect((await phasegate(store, ['flag', 'list'])).stdout).toBe('half  rollout  50%\non  enabled  on for everyone\n');
    expect((await phasegate(store, ['flag', 'show', 'on'])).stdout).toMatch(/^state: {8}enabled \(on for everyone\)$/m);
    const status = (await phasegate(store, ['status'])).stdout;
    expect(status).toMatch(/^ {2}on +enabled +on for everyone$/m);
    expect(status).not.toMatch(/ 0%/);
  });

  it("holding a planned release no longer says it cannot move to 'be held'", async () => {
    const store = freshStore();
    await phasegate(store, ['release', 'plan', '1.0.0', '--type', 'minor']);
    await expectUserError(store, ['release', 'hold', '1.0.0', '--reason', 'review'], /^phasegate: Cannot move release 1\.0\.0 from 'planned' to 'held': only a release in progress, testing or staging can be held$/m);
  });

  it.each([
    [['flag', 'list', '--email', 'x', '--cap', '3'], "'flag list' does not take --email, --cap"],
    [['flag', 'eval', 'x', '--percentage', '5'], "'flag eval' does not take --percentage; it takes --user, --ring, --access-level"],
    [['status', '--reason', 'x'], "'status' does not take --reason"],
    [['release', 'list', 'extra'], "unexpected argument 'extra'"],
    [['ea', 'feature', 'remove', 'x'], "unknown ea feature command 'remove'; use one of create, update, list"],
  ])('options of one command are no longer accepted by others: %j exits 2 naming them', async (args, message) => {
    const store = freshStore();
    const result = await phasegate(store, args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`phasegate: ${message}`);
    expect(existsSync(store)).toBe(false);
  });

  it('no raw ENOENT or ioredis retry message reaches the user', async () => {
    const store = freshStore();
    await phasegate(store, ['init']);
    const out = join(store, 'missing-folder', 'dash.html');
    expect(await phasegate(store, ['dashboard', '--out', out])).toMatchObject({
      code: 1,
      stderr: `phasegate: Cannot write the dashboard to ${out}: the folder ${join(store, 'missing-folder')} does not exist\n`,
    });
    const redis = await phasegate('', ['flag', 'list', '--redis', 'redis://127.0.0.1:9']);
    expect(redis).toMatchObject({ code: 1, stderr: 'phasegate: Cannot reach Redis at redis://127.0.0.1:9: the connection was refused. Is the server running and the URL right?\n' });
    const postgres = await phasegate('', ['flag', 'list', '--postgres', 'postgres://me:secret@127.0.0.1:9/db']);
    expect(postgres.code).toBe(1);
    expect(postgres.stderr).toBe('phasegate: Cannot use PostgreSQL at postgres://me:***@127.0.0.1:9/db: the connection was refused. Is the server running and the URL right?\n');
  });
});
