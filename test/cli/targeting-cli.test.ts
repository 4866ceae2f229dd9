import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const main = resolve(import.meta.dirname, '../../src/cli/main.ts');
const root = mkdtempSync(join(tmpdir(), 'phasegate-targeting-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function phasegate(store: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, ['--import', 'tsx', main, ...args, '--store', store], (error, stdout, stderr) => {
      done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('phasegate segment and flag rule', () => {
  it('creates segments, adds ordered rules, evaluates with attributes, and refuses to delete a used segment', async () => {
    const store = join(root, 'store');
    expect(await phasegate(store, ['segment', 'create', 'eu', '--when', 'country IN DE,FR', '--description', 'EU customers'])).toMatchObject({
      code: 0,
      stdout: 'created eu  1 condition(s)  — EU customers\n',
    });
    await phasegate(store, ['flag', 'create', 'checkout', '--state', 'rollout', '--percentage', '10']);
    const added = await phasegate(store, ['flag', 'rule', 'add', 'checkout', '--id', 'eu-new', '--segment', 'eu', '--when', 'appVersion SEMVER_GT 2.3.0', '--serve', 'on']);
    expect(added.stdout).toBe('added rule eu-new: serve on when segment eu and appVersion SEMVER_GT 2.3.0 to checkout\n');
    await phasegate(store, ['flag', 'rule', 'add', 'checkout', '--id', 'staff', '--when', 'email STR_ENDS_WITH/i @example.com', '--serve', 'on', '--position', '1']);
    expect((await phasegate(store, ['flag', 'rule', 'list', 'checkout'])).stdout).toBe(
      '1. staff: serve on when email STR_ENDS_WITH/i @example.com\n2. eu-new: serve on when segment eu and appVersion SEMVER_GT 2.3.0\n',
    );
    const on = await phasegate(store, ['flag', 'eval', 'checkout', '--user', 'u-1', '--attr', 'country=DE', '--attr', 'appVersion=2.4.0']);
    expect(on.stdout).toContain('on  reason RULE_MATCH');
    expect(on.stdout).toContain("(rule 'eu-new')");
    const off = await phasegate(store, ['flag', 'eval', 'checkout', '--user', 'u-42', '--attr', 'country=US', '--json']);
    expect(JSON.parse(off.stdout)).toMatchObject({ rules: [{ ruleId: 'staff', matched: false }, { ruleId: 'eu-new', matched: false, failure: { attribute: 'appVersion', outcome: 'MISSING' } }] });
    expect((await phasegate(store, ['segment', 'show', 'eu'])).stdout).toContain('used by:     checkout');
    const refused = await phasegate(store, ['segment', 'delete', 'eu']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("it is still used by the rules of flag 'checkout'");
    expect((await phasegate(store, ['flag', 'show', 'checkout'])).stdout).toContain('rules (first match wins):');
    await phasegate(store, ['flag', 'rule', 'remove', 'checkout', 'eu-new']);
    expect((await phasegate(store, ['segment', 'delete', 'eu'])).code).toBe(0);
    expect((await phasegate(store, ['segment', 'list'])).stdout).toBe('no segments\n');
  }, 180_000);

  it('sets bucketBy and prerequisites from flag create and set', async () => {
    const store = join(root, 'prerequisites');
    expect((await phasegate(store, ['flag', 'create', 'kill', '--state', 'enabled'])).code).toBe(0);
    const created = await phasegate(store, ['flag', 'create', 'teams', '--state', 'rollout', '--percentage', '100', '--bucket-by', 'accountId', '--requires', 'kill', '--json']);
    expect(JSON.parse(created.stdout)).toMatchObject({ bucketBy: 'accountId', prerequisites: [{ flag: 'kill', enabled: true }] });
    expect((await phasegate(store, ['flag', 'eval', 'teams', '--attr', 'accountId=acme'])).stdout).toContain('on  reason IN_PERCENTAGE');
    expect((await phasegate(store, ['flag', 'set', 'kill', '--state', 'disabled'])).code).toBe(0);
    expect((await phasegate(store, ['flag', 'eval', 'teams', '--attr', 'accountId=acme'])).stdout).toContain("('kill' must be on and is off)");
    const missing = await phasegate(store, ['flag', 'set', 'teams', '--requires', 'nope:off']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("names flag 'nope', which does not exist");
    expect((await phasegate(store, ['flag', 'set', 'teams', '--requires', ''])).code).toBe(0);
    expect((await phasegate(store, ['flag', 'show', 'teams'])).stdout).not.toContain('requires:');
  }, 120_000);

  it('reports bad condition syntax and bad values as usage or validation errors, writing nothing', async () => {
    const store = join(root, 'bad');
    expect((await phasegate(store, ['init'])).code).toBe(0);
    const syntax = await phasegate(store, ['segment', 'create', 'x', '--when', 'country LIKE DE']);
    expect(syntax.code).toBe(2);
    expect(syntax.stderr).toContain("unknown operator 'LIKE'");
    const value = await phasegate(store, ['segment', 'create', 'x', '--when', 'age NUM_GT old']);
    expect(value.code).toBe(1);
    expect(value.stderr).toContain('conditions.0.values.0: must be a finite number');
    expect((await phasegate(store, ['segment', 'list'])).stdout).toBe('no segments\n');
  }, 60_000);
});
