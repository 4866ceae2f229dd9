import { describe, expect, it, vi } from 'vitest';
import {
  AlreadyExistsError,
  Collections,
  ManualClock,
  MemoryStore,
  NotFoundError,
  ValidationError,
  createPhasegate,
  type Phasegate,
  type SegmentChange,
  type Store,
} from '../../src/index.js';

const EU = { attribute: 'country', operator: 'IN' as const, values: ['DE', 'FR'] };
const de = { userId: 'u-1', attributes: { country: 'DE', plan: 'pro' } };
const us = { userId: 'u-1', attributes: { country: 'US', plan: 'pro' } };

async function gateWithEuFlag(store: Store = new MemoryStore()): Promise<Phasegate> {
  const gate = await createPhasegate({ store, clock: new ManualClock() });
  await gate.segments.create({ key: 'eu', description: 'EU customers', conditions: [EU] });
  await gate.flags.create({
    key: 'eu-checkout',
    state: 'rollout',
    rules: [{ id: 'eu', segments: ['eu'], serve: { type: 'on' } }],
    strategy: { type: 'percentage', percentage: 0 },
  });
  return gate;
}

/** Every record of every collection, to show a rejected write changed nothing. */
async function dump(store: Store): Promise<unknown> {
  return {
    flags: await store.list(Collections.flags),
    segments: await store.list(Collections.segments),
  };
}

describe('gate.segments', () => {
  it('creates, lists, reads, updates and deletes segments', async () => {
    const gate = await createPhasegate({ store: new MemoryStore(), clock: new ManualClock() });
    const created = await gate.segments.create({ key: 'eu', conditions: [EU] });
    expect(created).toMatchObject({ key: 'eu', description: '', conditions: [EU] });
    await expect(gate.segments.create({ key: 'eu', conditions: [EU] })).rejects.toBeInstanceOf(AlreadyExistsError);
    expect((await gate.segments.list()).map((s) => s.key)).toEqual(['eu']);
    const updated = await gate.segments.update('eu', { description: 'EU', conditions: [{ ...EU, values: ['DE'] }] });
    expect(updated).toMatchObject({ description: 'EU', conditions: [{ values: ['DE'] }] });
    expect(await gate.segments.get('eu')).toEqual(updated);
    await gate.segments.delete('eu');
    expect(await gate.segments.get('eu')).toBeUndefined();
    await expect(gate.segments.delete('eu')).rejects.toBeInstanceOf(NotFoundError);
    await expect(gate.segments.update('eu', { description: 'x' })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('rejects invalid segments with the path of every problem, storing nothing', async () => {
    const store = new MemoryStore();
    const gate = await createPhasegate({ store });
    const error = await gate.segments
      .create({ key: 'bad', conditions: [{ attribute: 'age', operator: 'NUM_GT', values: ['old'] }, { attribute: 'v', operator: 'SEMVER_GT', values: ['v1'] }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toContain('conditions.0.values.0: must be a finite number (got "old")');
    expect((error as ValidationError).message).toContain("conditions.1.values.0: must be a semantic version such as '2.3.0'");
    await expect(gate.segments.create({ key: 'empty', conditions: [] })).rejects.toThrow('conditions: must hold at least one condition');
    expect(await store.count(Collections.segments)).toBe(0);
  });

  it('a segment edit changes every flag that uses it at once, and says which', async () => {
    const gate = await gateWithEuFlag();
    await gate.flags.create({ key: 'eu-banner', state: 'rollout', rules: [{ id: 'eu', segments: ['eu'], serve: { type: 'on' } }] });
    expect(gate.isEnabled('eu-checkout', de)).toBe(true);
    expect(gate.isEnabled('eu-banner', us)).toBe(false);
    const changes: SegmentChange[] = [];
    gate.events.on('segment:changed', (change) => changes.push(change));
    await gate.segments.update('eu', { conditions: [{ ...EU, values: ['US'] }] });
    expect(gate.isEnabled('eu-checkout', de)).toBe(false);
    expect(gate.isEnabled('eu-checkout', us)).toBe(true);
    expect(gate.isEnabled('eu-banner', us)).toBe(true);
    expect(changes).toEqual([expect.objectContaining({ key: 'eu', source: 'local', flags: ['eu-banner', 'eu-checkout'] })]);
  });

  it('reaches another client on the same store', async () => {
    const store = new MemoryStore();
    const writer = await gateWithEuFlag(store);
    const reader = await createPhasegate({ store });
    expect(reader.isEnabled('eu-checkout', de)).toBe(true);
    const changed = new Promise<SegmentChange>((resolve) => reader.events.once('segment:changed', resolve));
    await writer.segments.update('eu', { conditions: [{ ...EU, values: ['US'] }] });
    expect(await changed).toMatchObject({ key: 'eu', source: 'remote', flags: ['eu-checkout'] });
    expect(reader.isEnabled('eu-checkout', de)).toBe(false);
    expect(reader.isEnabled('eu-checkout', us)).toBe(true);
    writer.detach();
    reader.detach();
  });

  it('travels in snapshots, so a bootstrapped client answers the same', async () => {
    const gate = await gateWithEuFlag();
    const data = gate.snapshotData();
    expect(data.segments?.map((s) => s.key)).toEqual(['eu']);
    const offline = await createPhasegate({ store: new MemoryStore(), bootstrap: data });
    expect(offline.isEnabled('eu-checkout', de)).toBe(true);
    offline.detach();
  });
});

describe('references are checked on write', () => {
  it('refuses to delete a segment that rules use, naming the flags, and keeps it', async () => {
    const store = new MemoryStore();
    const gate = await gateWithEuFlag(store);
    const before = await dump(store);
    await expect(gate.segments.delete('eu')).rejects.toThrow("Invalid delete of segment 'eu': it is still used by the rules of flag 'eu-checkout'; remove it from their rules first");
    expect(await dump(store)).toEqual(before);
    expect(gate.isEnabled('eu-checkout', de)).toBe(true);
    await gate.flags.update('eu-checkout', { rules: null });
    await gate.segments.delete('eu');
  });

  it('refuses a rule naming an unknown segment, and a prerequisite naming an unknown flag', async () => {
    const store = new MemoryStore();
    const gate = await gateWithEuFlag(store);
    const before = await dump(store);
    await expect(
      gate.flags.create({ key: 'x', rules: [{ id: 'r', segments: ['eu', 'apac'], serve: { type: 'on' } }] }),
    ).rejects.toThrow("Invalid flag: rules.0.segments.1: names segment 'apac', which does not exist");
    await expect(gate.flags.update('eu-checkout', { prerequisites: [{ flag: 'nope', enabled: true }] })).rejects.toThrow(
      "prerequisites.0.flag: names flag 'nope', which does not exist",
    );
    expect(await dump(store)).toEqual(before);
  });

  it('rejects prerequisite cycles at write time, naming the cycle', async () => {
    const store = new MemoryStore();
    const gate = await createPhasegate({ store });
    await gate.flags.create({ key: 'a', state: 'rollout' });
    await gate.flags.create({ key: 'b', state: 'rollout', prerequisites: [{ flag: 'a', enabled: true }] });
    await gate.flags.create({ key: 'c', state: 'rollout', prerequisites: [{ flag: 'b', enabled: true }] });
    const before = await dump(store);
    await expect(gate.flags.update('a', { prerequisites: [{ flag: 'c', enabled: true }] })).rejects.toThrow(
      "prerequisites.0.flag: would make a cycle of prerequisites: 'a' → 'c' → 'b' → 'a'",
    );
    await expect(gate.flags.update('a', { prerequisites: [{ flag: 'a', enabled: true }] })).rejects.toThrow('a flag cannot be its own prerequisite');
    expect(await dump(store)).toEqual(before);
  });

  it('refuses to delete a flag that others require, naming them', async () => {
    const gate = await createPhasegate({ store: new MemoryStore() });
    await gate.flags.create({ key: 'kill-switch', state: 'enabled' });
    await gate.flags.create({ key: 'feature', state: 'rollout', prerequisites: [{ flag: 'kill-switch', enabled: true }] });
    await expect(gate.flags.delete('kill-switch')).rejects.toThrow("it is a prerequisite of flag 'feature'");
    expect(await gate.flags.get('kill-switch')).toBeDefined();
  });

  it('prerequisites follow the other flag live in the client', async () => {
    const gate = await createPhasegate({ store: new MemoryStore() });
    await gate.flags.create({ key: 'kill-switch', state: 'enabled' });
    await gate.flags.create({ key: 'feature', state: 'rollout', strategy: { type: 'percentage', percentage: 100 }, prerequisites: [{ flag: 'kill-switch', enabled: true }] });
    expect(gate.isEnabled('feature', { userId: 'u' })).toBe(true);
    await gate.flags.update('kill-switch', { state: 'disabled' });
    expect(gate.evaluate('feature', { userId: 'u' })).toMatchObject({ enabled: false, reason: 'PREREQUISITE_FAILED' });
  });

  it('refuses invalid rules with clear paths', async () => {
    const gate = await createPhasegate({ store: new MemoryStore() });
    const attempt = (rules: unknown) => gate.flags.create({ key: 'x', rules } as never);
    await expect(attempt([{ id: 'r', conditions: [], serve: { type: 'on' } }])).rejects.toThrow('rules.0.conditions: must have at least one condition or segment');
    await expect(attempt([{ id: 'r', conditions: [EU], serve: { type: 'maybe' } }])).rejects.toThrow("rules.0.serve.type: must have a type of 'on', 'off', 'percentage', 'variant' or 'split'");
    await expect(attempt([{ id: 'r', conditions: [EU], serve: { type: 'percentage', percentage: 101 } }])).rejects.toThrow('rules.0.serve.percentage: must be at most 100');
    await expect(
      attempt([
        { id: 'r', conditions: [EU], serve: { type: 'on' } },
        { id: 'r', conditions: [EU], serve: { type: 'off' } },
      ]),
    ).rejects.toThrow("rules.1.id: 'r' is used by an earlier rule");
    await expect(attempt([{ id: 'r', conditions: [{ attribute: 'ip', operator: 'IN_CIDR', values: ['10.0.0.0/40'] }], serve: { type: 'on' } }])).rejects.toThrow(
      'rules.0.conditions.0.values.0: must be an IPv4 or IPv6 address or range',
    );
  });

  it('a stored segment that fails validation stops the load with the record named', async () => {
    const store = new MemoryStore();
    await store.put(Collections.segments, 'eu', { key: 'eu', description: '', conditions: [{ attribute: 'x', operator: 'REGEX', values: ['(a+)+'] }], createdAt: 0, updatedAt: 0 }, 0);
    await expect(createPhasegate({ store })).rejects.toThrow("segment record 'eu' in store memory");
  });

  it('a throwing segment:changed listener cannot undo the change', async () => {
    const gate = await gateWithEuFlag();
    gate.events.on('segment:changed', vi.fn(() => { throw new Error('listener'); }));
    await gate.segments.update('eu', { conditions: [{ ...EU, values: ['US'] }] });
    expect(gate.isEnabled('eu-checkout', us)).toBe(true);
  });
});

describe('dashboards', () => {
  it('the status screen and the HTML dashboard show rules and segments', async () => {
    const { gatherOverview, renderDashboardHtml, renderStatus } = await import('../../src/dashboard/index.js');
    const gate = await gateWithEuFlag();
    const overview = await gatherOverview(gate);
    expect(overview.segments).toEqual([{ segment: expect.objectContaining({ key: 'eu' }), usedBy: ['eu-checkout'] }]);
    const screen = renderStatus(overview);
    expect(screen).toContain('0% + 1 rule(s)');
    expect(screen).toContain('SEGMENTS  eu (1 condition(s), 1 flag(s))');
    const html = renderDashboardHtml(overview);
    expect(html).toContain('<h2>Targeting segments</h2>');
    expect(html).toContain('<td>country IN DE, FR</td><td>eu-checkout</td>');
  });
});

describe('createTestGate', () => {
  it('takes segments beside flags', async () => {
    const { createTestGate } = await import('../../src/testing/index.js');
    const { makeFlag } = await import('../helpers.js');
    const gate = createTestGate({
      flags: [makeFlag({ key: 'eu-checkout', state: 'rollout', rules: [{ id: 'eu', segments: ['eu'], serve: { type: 'on' } }] })],
      segments: [{ key: 'eu', description: '', conditions: [EU], createdAt: 0, updatedAt: 0 }],
    });
    expect(gate.isEnabled('eu-checkout', de)).toBe(true);
    expect(gate.isEnabled('eu-checkout', us)).toBe(false);
    gate.detach();
  });
});
