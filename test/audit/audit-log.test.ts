import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock, MemoryStore, ValidationError } from '../../src/index.js';
import { AUDIT_COLLECTION, AuditLog } from '../../src/audit/audit-log.js';
import { MAX_CHANGES, MAX_VALUE_CHARS, diffRecords } from '../../src/audit/diff.js';

const DAY = 86_400_000;

describe('diffRecords', () => {
  it('names each changed field by its path and leaves out bookkeeping', () => {
    const before = { key: 'f', state: 'rollout', strategy: { type: 'percentage', percentage: 5 }, tags: ['a'], updatedAt: 1 };
    const after = { key: 'f', state: 'enabled', strategy: { type: 'percentage', percentage: 50 }, tags: ['a', 'b'], updatedAt: 2 };
    expect(diffRecords(before, after)).toEqual([
      { path: 'state', before: 'rollout', after: 'enabled' },
      { path: 'strategy.percentage', before: 5, after: 50 },
      { path: 'tags[+]', after: ['b'] },
    ]);
    expect(diffRecords({ tags: ['a', 'b'] }, { tags: ['b'] })).toEqual([{ path: 'tags', before: ['a', 'b'], after: ['b'] }]);
    expect(diffRecords(before, { ...before, updatedAt: 99 })).toEqual([]);
  });

  it('records a created record as a whole, and a deleted one', () => {
    expect(diffRecords(undefined, { state: 'enabled' })).toEqual([{ path: '', after: { state: 'enabled' } }]);
    expect(diffRecords({ state: 'enabled' }, undefined)).toEqual([{ path: '', before: { state: 'enabled' } }]);
  });

  it('never carries an email, whatever the records hold (property)', () => {
    const email = fc.emailAddress().filter((e) => e.length > 5);
    fc.assert(
      fc.property(email, email, fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }), (a, b, extra) => {
        const before = { ...extra, userId: 'u-1', email: a, emailHash: `h-${a}`, status: 'pending', nested: { email: a } };
        const after = { ...extra, userId: 'u-1', email: b, emailHash: `h-${b}`, status: 'approved', nested: { email: b } };
        for (const changes of [diffRecords(before, after), diffRecords(undefined, after), diffRecords(before, undefined)]) {
          const text = JSON.stringify(changes);
          expect(text).not.toContain(a);
          expect(text).not.toContain(b);
        }
      }),
    );
  });

  it('is bounded: at most MAX_CHANGES (+1 marker) changes, each value summarised past MAX_VALUE_CHARS (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 400 }), fc.integer({ min: 0, max: 200 }), (list, fields) => {
        const before: Record<string, unknown> = { list: [] };
        const after: Record<string, unknown> = { list };
        for (let i = 0; i < fields; i++) after[`f${i}`] = i;
        const changes = diffRecords(before, after);
        expect(changes.length).toBeLessThanOrEqual(MAX_CHANGES + 1);
        for (const change of changes) expect((JSON.stringify(change.after) ?? '').length).toBeLessThanOrEqual(MAX_VALUE_CHARS + 60);
      }),
    );
  });
});

describe('AuditLog', () => {
  it('lists entries newest first, filtered by key, actor and time, with reason and diff', async () => {
    const clock = new ManualClock();
    const log = new AuditLog(new MemoryStore(), clock);
    await log.record({ actor: 'ana', action: 'flag.update', collection: 'flags', key: 'a', reason: 'launch', before: { state: 'disabled' }, after: { state: 'enabled' } });
    clock.advance(1000);
    const since = clock.now();
    await log.record({ actor: 'bo', action: 'flag.update', collection: 'flags', key: 'b', before: { state: 'disabled' }, after: { state: 'rollout' } });
    clock.advance(1000);
    await log.record({ action: 'release.hold', collection: 'releases', key: '2.0.0', reason: 'errors', before: { hold: null }, after: { hold: { reason: 'errors' } } });
    expect((await log.list()).map((e) => e.key)).toEqual(['2.0.0', 'b', 'a']);
    expect((await log.list({ key: 'a' }))[0]).toMatchObject({ actor: 'ana', reason: 'launch', changes: [{ path: 'state', before: 'disabled', after: 'enabled' }] });
    expect((await log.list({ actor: 'bo' })).map((e) => e.key)).toEqual(['b']);
    expect((await log.list({ since })).map((e) => e.key)).toEqual(['2.0.0', 'b']);
    expect((await log.list({ limit: 1 })).map((e) => e.actor)).toEqual(['api']);
  });

  it('writes nothing for a write that changed nothing', async () => {
    const store = new MemoryStore();
    const log = new AuditLog(store, new ManualClock());
    expect(await log.record({ action: 'flag.update', collection: 'flags', key: 'a', before: { state: 'enabled' }, after: { state: 'enabled' } })).toBeUndefined();
    expect(await store.count(AUDIT_COLLECTION)).toBe(0);
  });

  it('keeps at most maxEntries (plus one prune interval) and drops entries past maxAgeMs', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock();
    const log = new AuditLog(store, clock, { maxEntries: 20, maxAgeMs: 7 * DAY });
    for (let i = 0; i < 100; i++) {
      await log.record({ action: 'flag.update', collection: 'flags', key: `k${i}`, before: { n: i }, after: { n: i + 1 } });
      expect(await store.count(AUDIT_COLLECTION)).toBeLessThanOrEqual(22);
    }
    // The newest survive.
    expect((await log.list({ limit: 1 }))[0]!.key).toBe('k99');
    clock.advance(8 * DAY);
    await log.record({ action: 'flag.update', collection: 'flags', key: 'late', before: { n: 0 }, after: { n: 1 } });
    await log.prune();
    expect((await log.list({ limit: 1000 })).map((e) => e.key)).toEqual(['late']);
  });

  it('stays bounded when every write comes from a new short-lived process (one CLI command each)', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock();
    for (let i = 0; i < 40; i++) {
      const log = new AuditLog(store, clock, { maxEntries: 10 });
      await log.record({ action: 'flag.update', collection: 'flags', key: `k${i}`, before: { n: i }, after: { n: i + 1 } });
      expect(await store.count(AUDIT_COLLECTION)).toBeLessThanOrEqual(11);
    }
  });

  it('validates every entry it reads and names a bad one', async () => {
    const store = new MemoryStore();
    const log = new AuditLog(store, new ManualClock());
    await store.put(AUDIT_COLLECTION, '0000-bad', { id: '0000-bad', at: 'yesterday' }, 0);
    await expect(log.list()).rejects.toThrow(ValidationError);
    await expect(log.list()).rejects.toThrow(/audit entry '0000-bad'/);
  });

  it('refuses a retention that would keep nothing', () => {
    expect(() => new AuditLog(new MemoryStore(), new ManualClock(), { maxEntries: 0 })).toThrow(/maxEntries/);
  });
});
