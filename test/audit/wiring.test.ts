import { describe, expect, it } from 'vitest';
import { createPhasegate, ManualClock, MemoryStore } from '../../src/index.js';
import { AUDIT_COLLECTION } from '../../src/audit/audit-log.js';
import { EARLY_ACCESS_WRITES, FLAG_WRITES, RELEASE_WRITES } from '../../src/audit/wiring.js';

describe('every write of every module is audited', () => {
  it('records flags, releases (with the flags they move) and members by actor, with reasons and diffs', async () => {
    const clock = new ManualClock();
    const gate = await createPhasegate({ store: new MemoryStore(), clock, actor: 'billing-service' });
    const actions = async () => (await gate.audit.list({ limit: 1000 })).map((e) => `${e.action} ${e.actor} ${e.collection}/${e.key}${e.reason ? ` "${e.reason}"` : ''}`);

    await gate.flags.create({ key: 'checkout', state: 'disabled' });
    await gate.flags.update('checkout', { state: 'enabled' }, { by: 'dana', reason: 'launch' });
    await gate.flags.delete('checkout', { reason: 'cleanup' });
    expect(await actions()).toEqual([
      'flag.delete billing-service flags/checkout "cleanup"',
      'flag.update dana flags/checkout "launch"',
      'flag.create billing-service flags/checkout',
    ]);

    await gate.releases.plan({ version: '2.0.0', type: 'minor', features: ['search'] }, { by: 'rel-eng' });
    await gate.releases.start('2.0.0', { by: 'rel-eng' });
    await gate.releases.hold('2.0.0', 'errors up', { by: 'oncall' });
    await gate.releases.resume('2.0.0');
    clock.advance(25 * 3_600_000);
    await gate.tick();
    const release = (await actions()).slice(0, 7);
    expect(release).toEqual([
      'release.tick scheduler flags/search',
      'release.tick scheduler releases/2.0.0',
      'release.resume billing-service releases/2.0.0',
      'release.hold oncall releases/2.0.0 "errors up"',
      'release.start rel-eng flags/search',
      'release.start rel-eng releases/2.0.0',
      'release.plan rel-eng releases/2.0.0',
    ]);
    // The release's own history records the same actor the audit log does.
    expect((await gate.releases.get('2.0.0'))!.history.map((h) => h.by)).toEqual(['rel-eng', 'rel-eng', 'oncall', 'billing-service', 'scheduler']);
    const [moved] = await gate.audit.list({ key: 'search', limit: 1 });
    expect(moved!.changes).toContainEqual({ path: 'strategy.percentage', before: 5, after: 20 });

    await gate.earlyAccess.createFeature({ key: 'ai', level: 'beta', cap: 10 });
    await gate.earlyAccess.enroll({ userId: 'u-1', email: 'Secret.Person@example.com' });
    await gate.earlyAccess.approve('u-1', { by: 'support', reason: 'paying customer' });
    await gate.earlyAccess.suspend('u-1', 'abuse report');
    const members = await gate.audit.list({ key: 'u-1' });
    expect(members.map((e) => `${e.action} ${e.actor}${e.reason ? ` "${e.reason}"` : ''}`)).toEqual([
      'member.suspend billing-service "abuse report"',
      'member.approve support "paying customer"',
      'member.enroll billing-service',
    ]);
    // Seats taken by the approval are recorded under it, on the feature.
    expect((await gate.audit.list({ key: 'ai' })).map((e) => e.action)).toContain('member.approve');
    // Never the email, anywhere in the log.
    const raw = JSON.stringify(await gate.store.list(AUDIT_COLLECTION, { limit: 1000 }));
    expect(raw.toLowerCase()).not.toContain('secret.person');
    await gate.close();
  });

  it('names only methods that exist, so the table cannot drift from the code', async () => {
    const gate = await createPhasegate({ store: new MemoryStore() });
    for (const [target, table] of [[gate.flags, FLAG_WRITES], [gate.releases, RELEASE_WRITES], [gate.earlyAccess, EARLY_ACCESS_WRITES]] as const) {
      for (const name of Object.keys(table)) expect(typeof (target as unknown as Record<string, unknown>)[name], name).toBe('function');
    }
    await gate.close();
  });

  it('costs four audit round trips per audited write (settle, write ahead, promote, clear); the before value comes from the write\'s own read', async () => {
    const memory = new MemoryStore();
    const calls: string[] = [];
    const store = new Proxy(memory, {
      get(target, field, receiver) {
        const value = Reflect.get(target, field, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (field === 'get' || field === 'put' || field === 'delete' || field === 'list') calls.push(`${String(field)} ${String(args[0])}`);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const gate = await createPhasegate({ store, resyncIntervalMs: 0 });
    await gate.flags.create({ key: 'f' });
    await new Promise((resolve) => setTimeout(resolve, 10));
    calls.length = 0;
    await gate.flags.update('f', { state: 'enabled' }, { by: 'ana' });
    await new Promise((resolve) => setTimeout(resolve, 10));
    // The entry is written ahead of the write and promoted after it (crash-safe, src/audit/pending.ts).
    expect(calls).toEqual(['get flags', 'list audit', 'put audit', 'put flags', 'put audit', 'delete audit']);
    calls.length = 0;
    await gate.flags.delete('f');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(calls).toEqual(['get flags', 'list audit', 'put audit', 'delete flags', 'put audit', 'delete audit']);
    await gate.close();
  });

  it('records nothing with audit: false', async () => {
    const store = new MemoryStore();
    const gate = await createPhasegate({ store, audit: false });
    await gate.flags.create({ key: 'quiet' });
    await gate.flags.update('quiet', { state: 'enabled' }, { by: 'x' });
    expect(await store.count(AUDIT_COLLECTION)).toBe(0);
    await gate.close();
  });
});
