import { describe, expect, it } from 'vitest';
import { Collections, Duration, ManualClock, MemoryStore, createPhasegate, type PhasegateEvents, type Store } from '../src/index.js';

const START = Date.UTC(2026, 2, 1);

/** Every public event name; the `satisfies` makes a new event a compile error here until listed. */
const EVENT_NAMES = Object.keys({
  'listener:error': true,
  'flag:changed': true,
  'flag:deprecated': true,
  'segment:changed': true,
  'evaluation:error': true,
  'store:error': true,
  'store:unavailable': true,
  'store:available': true,
  'earlyAccess:enrolled': true,
  'earlyAccess:approved': true,
  'earlyAccess:activated': true,
  'earlyAccess:suspended': true,
  'earlyAccess:reinstated': true,
  'earlyAccess:graduated': true,
  'earlyAccess:deleted': true,
  'earlyAccess:feedback': true,
  'analytics:alert': true,
  'analytics:recovered': true,
  'analytics:error': true,
  'release:planned': true,
  'release:started': true,
  'release:phaseChanged': true,
  'release:held': true,
  'release:resumed': true,
  'release:statusChanged': true,
  'release:completed': true,
  'release:rolledBack': true,
  'release:rollbackStep': true,
} satisfies Record<keyof PhasegateEvents, true>) as Array<keyof PhasegateEvents>;

describe('listener isolation', () => {
  it('a throwing listener on every event leaves every write committed, and each throw is reported', async () => {
    const clock = new ManualClock(START);
    const store = new MemoryStore();
    const gate = await createPhasegate({ store, clock });
    const reported: string[] = [];
    const reached: string[] = [];
    for (const name of EVENT_NAMES) {
      if (name === 'listener:error') continue;
      // Two listeners: the first throws, the second must still run.
      gate.events.on(name, () => {
        throw new Error(`listener of ${name} exploded`);
      });
      gate.events.on(name, () => void reached.push(name));
    }
    gate.events.on('listener:error', ({ event, error }) => {
      expect(error.message).toBe(`listener of ${event} exploded`);
      reported.push(event);
    });
    // A throwing listener of listener:error itself is ignored, not looped on.
    gate.events.on('listener:error', () => {
      throw new Error('and so does this one');
    });

    try {
      // Flags: every write resolves and is stored.
      await gate.flags.create({ key: 'checkout', state: 'rollout', strategy: { type: 'percentage', percentage: 50 } });
      expect((await store.get(Collections.flags, 'checkout'))?.version).toBe(1);
      await gate.flags.update('checkout', { state: 'deprecated' });
      expect((await gate.flags.get('checkout'))?.state).toBe('deprecated');
      expect(gate.isEnabled('checkout', { userId: 'u-1' })).toBe(false); // flag:deprecated
      expect(gate.isEnabled('checkout', { userId: 'u-1' })).toBe(false);
      await gate.flags.update('checkout', { state: 'rollout' });
      expect(gate.isEnabled('checkout', { userId: 42 as never })).toBe(false); // evaluation:error
      await gate.flags.delete('checkout');
      expect(await store.get(Collections.flags, 'checkout')).toBeUndefined();

      // Segments: the write is stored and applied (segment:changed).
      await gate.segments.create({ key: 'eu', conditions: [{ attribute: 'country', operator: 'IN', values: ['DE'] }] });
      expect((await store.get(Collections.segments, 'eu'))?.version).toBe(1);

      // Releases: plan, start, advance, hold, resume, status, complete; a second one rolled back.
      const planned = await gate.releases.plan({ version: '1.0.0', type: 'minor', features: ['search'] });
      expect(planned.status).toBe('planned');
      expect((await gate.releases.get('1.0.0'))?.status).toBe('planned');
      await gate.releases.start('1.0.0');
      await gate.releases.advance('1.0.0');
      await gate.releases.hold('1.0.0', 'looking');
      expect((await gate.releases.get('1.0.0'))?.hold?.reason).toBe('looking');
      await gate.releases.resume('1.0.0');
      await gate.releases.setStatus('1.0.0', 'testing');
      await gate.releases.complete('1.0.0');
      expect((await gate.releases.get('1.0.0'))?.status).toBe('released');
      expect(await gate.releases.currentVersion()).toBe('1.0.0');
      await gate.releases.plan({ version: '1.1.0', type: 'minor', features: ['filters'] });
      await gate.releases.start('1.1.0');
      await gate.releases.rollback('1.1.0', 'errors');
      expect((await gate.releases.get('1.1.0'))?.status).toBe('rolled_back');
      expect((await gate.flags.get('filters'))?.state).toBe('disabled');

      // Early access: the whole member life cycle and feedback.
      await gate.earlyAccess.createFeature({ key: 'editor', level: 'beta' });
      await gate.earlyAccess.enroll({ userId: 'm', email: 'm@example.com', level: 'beta' });
      await gate.earlyAccess.approve('m');
      await gate.earlyAccess.activate('m');
      await gate.earlyAccess.feedback('m', 'editor', { rating: 4 });
      await gate.earlyAccess.suspend('m', 'abuse');
      await gate.earlyAccess.reinstate('m');
      expect((await gate.earlyAccess.member('m'))?.status).not.toBe('suspended');
      await gate.earlyAccess.activate('m').catch(() => {});
      await gate.earlyAccess.graduate('m');
      expect((await gate.earlyAccess.member('m'))?.status).toBe('graduated');
      await gate.earlyAccess.delete('m');
      expect(await gate.earlyAccess.member('m')).toBeUndefined();

      // Analytics: an alert, then a recovery; each sample is stored.
      for (let i = 0; i < 6; i++) {
        clock.advance(Duration.minute);
        await gate.analytics.record({ metric: 'error_rate', value: 50 });
      }
      for (let i = 0; i < 600; i++) {
        clock.advance(Duration.second * 10);
        await gate.analytics.record({ metric: 'error_rate', value: 0 });
        if (reached.includes('analytics:recovered')) break;
      }
      expect((await gate.analytics.alerts()).length).toBeGreaterThan(0);
      // A corrupt shared threshold is reported (analytics:error) and ignored; the sample is stored.
      await store.put('analytics-state', '["threshold","bogus"]', { nope: true }, 0);
      await gate.analytics.record({ metric: 'error_rate', value: 0 });
      expect((await gate.analytics.statistics('error_rate'))?.latest).toBe(0);

      const expected = EVENT_NAMES.filter((name) => !name.startsWith('store:') && name !== 'listener:error');
      for (const name of expected) {
        expect(reported, name).toContain(name);
        expect(reached, name).toContain(name);
      }
      expect(reported.length).toBe(reached.length);
    } finally {
      await gate.close();
    }
  });

  it('a throwing flag:changed listener does not make flags.update reject (it used to, with the new version stored)', async () => {
    const gate = await createPhasegate({ store: new MemoryStore() });
    try {
      await gate.flags.create({ key: 'banner' });
      gate.events.on('flag:changed', () => {
        throw new Error('boom');
      });
      await expect(gate.flags.update('banner', { state: 'enabled' })).resolves.toMatchObject({ state: 'enabled' });
      expect(gate.isEnabled('banner')).toBe(true);
    } finally {
      await gate.close();
    }
  });

  it('a throwing release:planned listener does not make plan reject, so there is no AlreadyExists retry trap', async () => {
    const gate = await createPhasegate({ store: new MemoryStore() });
    try {
      gate.events.on('release:planned', () => {
        throw new Error('boom');
      });
      await expect(gate.releases.plan({ version: '3.0.0', type: 'major' })).resolves.toMatchObject({ version: '3.0.0' });
    } finally {
      await gate.close();
    }
  });

  it('once-listeners run once under isolated emits', async () => {
    const gate = await createPhasegate({ store: new MemoryStore() });
    try {
      let calls = 0;
      gate.events.once('flag:changed', () => void calls++);
      await gate.flags.create({ key: 'a' });
      await gate.flags.create({ key: 'b' });
      expect(calls).toBe(1);
    } finally {
      await gate.close();
    }
  });
});

describe('rollback announcements', () => {
  it('rollback of a planned release throws and emits nothing', async () => {
    const gate = await createPhasegate({ store: new MemoryStore() });
    try {
      await gate.releases.plan({ version: '2.0.0', type: 'major', features: ['x'] });
      const seen: string[] = [];
      for (const name of EVENT_NAMES) gate.events.on(name, () => void seen.push(name));
      await expect(gate.releases.rollback('2.0.0', 'oops')).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION' });
      expect(seen).toEqual([]);
      expect((await gate.releases.get('2.0.0'))?.status).toBe('planned');
    } finally {
      await gate.close();
    }
  });
});

/** Counts store calls, to check what a local write costs. */
function spy(store: Store): { store: Store; calls: string[] } {
  const calls: string[] = [];
  const wrapped = new Proxy(store, {
    get(target, field, receiver) {
      const value = Reflect.get(target, field, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (field === 'get' || field === 'put' || field === 'delete' || field === 'list') calls.push(`${String(field)} ${String(args[0])}`);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: wrapped, calls };
}

describe('store round trips', () => {
  it('a local flag write costs two store round trips (get + put), not three', async () => {
    const memory = new MemoryStore();
    const { store, calls } = spy(memory);
    // The flag write alone: the audit entry's one put is counted in test/audit/wiring.test.ts.
    const gate = await createPhasegate({ store, resyncIntervalMs: 0, audit: false });
    try {
      await gate.flags.create({ key: 'f' });
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(calls.filter((c) => c.endsWith(' flags') && !c.startsWith('list'))).toEqual(['put flags']);
      calls.length = 0;
      await gate.flags.update('f', { state: 'enabled' });
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(calls).toEqual(['get flags', 'put flags']);
      calls.length = 0;
      await gate.flags.delete('f');
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(calls).toEqual(['get flags', 'delete flags']);
      expect(gate.allFlags()).toEqual([]);
    } finally {
      await gate.close();
    }
  });

  it('a write by another client is still picked up with one read', async () => {
    const memory = new MemoryStore();
    const { store, calls } = spy(memory);
    const gate = await createPhasegate({ store, resyncIntervalMs: 0 });
    const other = await createPhasegate({ store: memory, resyncIntervalMs: 0 });
    try {
      await other.flags.create({ key: 'g', state: 'enabled' });
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(gate.isEnabled('g')).toBe(true);
      expect(calls.filter((c) => c === 'get flags')).toHaveLength(1);
    } finally {
      other.detach();
      await gate.close();
    }
  });
});
