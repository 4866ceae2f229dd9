import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, MemoryStore, updateRecord } from '../../src/index.js';
import { runStorageConformance } from '../../src/testing/index.js';
import { AUDIT_COLLECTION, AuditLog } from '../../src/audit/audit-log.js';
import { AuditedStore, auditedWrite } from '../../src/audit/audited-store.js';

function setup() {
  const inner = new MemoryStore();
  const clock = new ManualClock();
  const log = new AuditLog(inner, clock);
  const errors: Error[] = [];
  const store = new AuditedStore(inner, log, () => 'host-default', (error) => errors.push(error));
  return { inner, log, store, errors };
}

// Audited or not, it is a store like any other.
runStorageConformance(() => setup().store, { name: 'AuditedStore conformance', test: { describe, it, expect, afterEach } });

describe('AuditedStore', () => {
  it('records the action, actor, reason and diff of a read-modify-write, once per committed write', async () => {
    const { store, log } = setup();
    await store.put('flags', 'f', { state: 'rollout', tags: [] }, 0);
    await auditedWrite('flag.update', 'host-default', { by: 'ana', reason: 'launch' }, () =>
      updateRecord<{ state: string }>(store, 'flags', 'f', (current) => ({ ...current!.value, state: 'enabled' })),
    );
    const [latest, created] = await log.list();
    expect(latest).toMatchObject({ action: 'flag.update', actor: 'ana', reason: 'launch', collection: 'flags', key: 'f', changes: [{ path: 'state', before: 'rollout', after: 'enabled' }] });
    // A write outside any audited call is still recorded, by the host's default actor.
    expect(created).toMatchObject({ action: 'flags.write', actor: 'host-default', reason: null });
  });

  it('keeps the outer action for side-effect writes, and ignores collections that are not audited', async () => {
    const { store, log } = setup();
    await auditedWrite('release.advance', 'api', { by: 'sched' }, async () => {
      await store.put('releases', '1.0.0', { phase: 'beta' }, 0);
      await auditedWrite('flag.update', 'api', { by: 'someone-else' }, () => store.put('flags', 'search', { state: 'rollout' }, 0));
      await store.put('metrics', 'error_rate||', { count: 1 }, 0);
      await store.put('early-access-emails', 'hash', { userId: 'u' }, 0);
    });
    const entries = await log.list();
    expect(entries.map((e) => [e.action, e.actor, e.collection])).toEqual([
      ['release.advance', 'sched', 'flags'],
      ['release.advance', 'sched', 'releases'],
    ]);
  });

  it('records nothing for a write that fails, and a failing audit never fails a committed write', async () => {
    const { store, inner, log, errors } = setup();
    await store.put('flags', 'f', { state: 'a' }, 0);
    await expect(auditedWrite('flag.update', 'api', {}, () => store.put('flags', 'f', { state: 'b' }, 7))).rejects.toThrow(/conflict/i);
    expect(await log.list()).toHaveLength(1);
    // Break the audit collection: the flag write still lands and resolves; the error is reported.
    const put = inner.put.bind(inner);
    inner.put = (async (collection: string, key: string, value: unknown, version: number) => {
      if (collection === AUDIT_COLLECTION) throw new Error('disk full');
      return put(collection, key, value, version);
    }) as typeof inner.put;
    const record = await store.put('flags', 'f', { state: 'c' }, 1);
    expect(record.version).toBe(2);
    expect((await inner.get('flags', 'f'))!.value).toEqual({ state: 'c' });
    expect(errors.map((e) => e.message)).toEqual(['disk full']);
  });

  it('records deletes with the value before', async () => {
    const { store, log } = setup();
    await store.put('flags', 'gone', { state: 'enabled' }, 0);
    await auditedWrite('flag.delete', 'api', { by: 'ana', reason: 'cleanup' }, () => store.delete('flags', 'gone'));
    expect((await log.list())[0]).toMatchObject({ action: 'flag.delete', actor: 'ana', reason: 'cleanup', changes: [{ path: '', before: { state: 'enabled' } }] });
  });
});
