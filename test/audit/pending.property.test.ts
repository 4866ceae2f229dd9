import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock, MemoryStore } from '../../src/index.js';
import { AUDIT_COLLECTION, AuditLog } from '../../src/audit/audit-log.js';
import { AuditedStore, auditedWrite } from '../../src/audit/audited-store.js';
import { PENDING_PREFIX, fingerprintOf, pendingKeyOf, pendingPrefixOf, resolvePending, type PendingAudit } from '../../src/audit/pending.js';

const json = fc.jsonValue();

/** The same value with its object keys in another order, as a store may hand it back (jsonb). */
function shuffled(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((item, i) => shuffled(item, seed + i));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  const rotated = entries.length ? [...entries.slice(seed % entries.length), ...entries.slice(0, seed % entries.length)].reverse() : entries;
  return Object.fromEntries(rotated.map(([k, v]) => [k, shuffled(v, seed + 1)]));
}

const put = (expectedVersion: number, value: unknown): PendingAudit => ({
  entry: { id: 'e', at: 0, collection: 'flags', key: 'f' },
  op: 'put',
  expectedVersion,
  fingerprint: fingerprintOf(value),
});

describe('pending audit entries: fingerprints and resolution (properties)', () => {
  it('a value read back from any store has the fingerprint it was written with (key order, JSON round trip)', () => {
    fc.assert(
      fc.property(json, fc.nat(), (value, seed) => {
        expect(fingerprintOf(JSON.parse(JSON.stringify(shuffled(value, seed))))).toBe(fingerprintOf(value));
      }),
    );
  });

  it('an email is never part of the fingerprint', () => {
    expect(fingerprintOf({ userId: 'u', email: 'a@example.com' })).toBe(fingerprintOf({ userId: 'u', email: 'b@example.com' }));
  });

  it('a put is committed exactly when the record holds its value at the next version', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), json, json, fc.integer({ min: -1, max: 3 }), (expected, mine, theirs, step) => {
        fc.pre(fingerprintOf(mine) !== fingerprintOf(theirs));
        const pending = put(expected, mine);
        const at = (version: number, value: unknown) => ({ key: 'f', version, value });
        expect(resolvePending(pending, at(expected, theirs))).toBe('in-flight');
        expect(resolvePending(pending, at(expected + 1, mine))).toBe('committed');
        expect(resolvePending(pending, at(expected + 1, theirs))).toBe('not-committed');
        if (step !== 0 && step !== 1) expect(resolvePending(pending, at(expected + step, mine))).toBe('not-committed');
        expect(resolvePending(pending, undefined)).toBe('not-committed');
      }),
    );
  });

  it('a create is committed when the record exists with its value; a delete when the record is gone', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), json, json, (version, mine, theirs) => {
        fc.pre(fingerprintOf(mine) !== fingerprintOf(theirs));
        const create = put(0, mine);
        expect(resolvePending(create, undefined)).toBe('in-flight');
        expect(resolvePending(create, { key: 'f', version, value: mine })).toBe('committed');
        expect(resolvePending(create, { key: 'f', version, value: theirs })).toBe('not-committed');
        const remove: PendingAudit = { ...create, op: 'delete', expectedVersion: version, fingerprint: null };
        expect(resolvePending(remove, undefined)).toBe('committed');
        expect(resolvePending(remove, { key: 'f', version, value: mine })).toBe('in-flight');
        expect(resolvePending(remove, { key: 'f', version: version + 1, value: mine })).toBe('not-committed');
      }),
    );
  });

  it('no record key is the prefix of another record\'s pending entries', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), fc.string(), (c1, k1, c2, k2) => {
        fc.pre(c1 !== c2 || k1 !== k2);
        const a = pendingPrefixOf(c1, k1);
        const b = pendingPrefixOf(c2, k2);
        expect(a.startsWith(b) || b.startsWith(a)).toBe(false);
      }),
    );
  });
});

describe('AuditedStore: entries written ahead', () => {
  function setup() {
    const inner = new MemoryStore();
    const clock = new ManualClock();
    const log = new AuditLog(inner, clock);
    const store = new AuditedStore(inner, log, () => 'host', () => {});
    return { inner, log, store, clock };
  }

  it('the next audited write of a record settles an entry its crashed writer left, before writing', async () => {
    const { inner, log, store } = setup();
    await store.put('flags', 'f', { state: 'rollout' }, 0);
    // A writer that died after its write committed: its pending entry, and the write itself.
    const pending = log.prepare({ actor: 'ana', action: 'flag.update', collection: 'flags', key: 'f', before: { state: 'rollout' }, after: { state: 'enabled' }, op: 'put', expectedVersion: 1 })!;
    await log.begin(pending);
    await inner.put('flags', 'f', { state: 'enabled' }, 1);
    await auditedWrite('flag.update', 'bo', {}, () => store.put('flags', 'f', { state: 'disabled' }, 2));
    expect((await log.list({ key: 'f' })).map((e) => [e.actor, e.changes[0]?.after])).toEqual([
      ['bo', 'disabled'],
      ['ana', 'enabled'],
      ['host', { state: 'rollout' }],
    ]);
    expect(await inner.list(AUDIT_COLLECTION, { prefix: PENDING_PREFIX })).toEqual([]);
  });

  it('leaves an entry in flight alone, and drops one whose write lost its compare-and-set', async () => {
    const { inner, log, store } = setup();
    await store.put('flags', 'f', { state: 'a' }, 0);
    const inFlight = log.prepare({ action: 'flag.update', collection: 'flags', key: 'f', before: { state: 'a' }, after: { state: 'b' }, op: 'put', expectedVersion: 1 })!;
    await log.begin(inFlight);
    // Another write of the same record sees it in flight and keeps it; that write wins version 2.
    await store.put('flags', 'f', { state: 'c' }, 1);
    expect((await inner.get(AUDIT_COLLECTION, pendingKeyOf(inFlight)))).toBeDefined();
    // Now it can never commit: the next write drops it, and nothing claims 'b' happened.
    await store.put('flags', 'f', { state: 'd' }, 2);
    expect(await inner.get(AUDIT_COLLECTION, pendingKeyOf(inFlight))).toBeUndefined();
    expect((await log.list({ key: 'f' })).flatMap((e) => e.changes.map((c) => c.after))).not.toContain('b');
  });

  it('a write the store will refuse (create of an existing key, stale version, absent delete) writes nothing, audit collection included', async () => {
    const { inner, store } = setup();
    await store.put('flags', 'f', { state: 'a' }, 0);
    const auditWrites: string[] = [];
    const put = inner.put.bind(inner);
    inner.put = ((collection: string, key: string, value: unknown, version: number) => {
      if (collection === AUDIT_COLLECTION) auditWrites.push(key);
      return put(collection, key, value, version);
    }) as typeof inner.put;
    await expect(store.put('flags', 'f', { state: 'b' }, 0)).rejects.toThrow(/conflict|exists/i);
    await expect(store.put('flags', 'f', { state: 'b' }, 7)).rejects.toThrow(/conflict/i);
    await expect(store.delete('flags', 'f', 7)).rejects.toThrow(/conflict/i);
    expect(await store.delete('flags', 'nothing-here')).toBe(false);
    expect(auditWrites).toEqual([]);
  });

  it('keeps pending entries out of the log, its listing and its pruning', async () => {
    const inner = new MemoryStore();
    const log = new AuditLog(inner, new ManualClock(), { maxEntries: 1 });
    const store = new AuditedStore(inner, log, () => 'host', () => {});
    const pending = log.prepare({ action: 'flag.update', collection: 'flags', key: 'f', before: undefined, after: { state: 'x' }, op: 'put', expectedVersion: 0 })!;
    await log.begin(pending);
    for (let i = 0; i < 3; i++) await store.put('flags', `g${i}`, { state: 'a' }, 0);
    await log.prune();
    expect((await log.list()).map((e) => e.key)).toEqual(['g2']);
    expect(await inner.get(AUDIT_COLLECTION, pendingKeyOf(pending))).toBeDefined();
  });
});
