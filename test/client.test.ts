import { describe, expect, it, vi } from 'vitest';
import {
  AlreadyExistsError,
  Collections,
  ManualClock,
  MemoryStore,
  NotFoundError,
  ValidationError,
  createPhasegate,
  type FlagChange,
  type Store,
} from '../src/index.js';
import { createTestGate } from '../src/testing/index.js';
import { makeFlag } from './helpers.js';

describe('createPhasegate quick start', () => {
  it('works as the README says', async () => {
    const gate = await createPhasegate({ store: new MemoryStore() });
    await gate.flags.create({ key: 'new-checkout', state: 'rollout', strategy: { type: 'percentage', percentage: 12.5 } });
    expect(gate.isEnabled('new-checkout', { userId: 'u-42' })).toBe(false);
    expect(gate.isEnabled('new-checkout', { userId: 'user@example.com' })).toBe(true);
    expect(gate.evaluate('new-checkout', { userId: 'u-42' })).toMatchObject({
      flagKey: 'new-checkout',
      enabled: false,
      reason: 'OUTSIDE_PERCENTAGE',
      bucket: 17353,
      threshold: 12500,
      state: 'rollout',
      strategy: 'percentage',
      hashVersion: 1,
    });
  });

  it('answers FLAG_NOT_FOUND for unknown flags', async () => {
    const gate = await createPhasegate({ store: new MemoryStore() });
    expect(gate.isEnabled('nope', { userId: 'u' })).toBe(false);
    expect(gate.evaluate('nope')).toEqual({ flagKey: 'nope', enabled: false, reason: 'FLAG_NOT_FOUND' });
  });

  it('loads flags that are already in the store', async () => {
    const store = new MemoryStore();
    await store.put(Collections.flags, 'on', makeFlag({ key: 'on', state: 'enabled' }), 0);
    const gate = await createPhasegate({ store });
    expect(gate.isEnabled('on')).toBe(true);
    expect(gate.allFlags().map((flag) => flag.key)).toEqual(['on']);
  });
});

describe('writes', () => {
  it('create stores defaults, timestamps from the clock and hash version 1', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const gate = await createPhasegate({ store: new MemoryStore(), clock });
    const flag = await gate.flags.create({ key: 'x' });
    expect(flag).toEqual({
      key: 'x',
      description: '',
      state: 'disabled',
      strategy: { type: 'percentage', percentage: 0 },
      enabledUsers: [],
      tags: [],
      metadata: {},
      hashVersion: 1,
      createdAt: clock.now(),
      updatedAt: clock.now(),
    });
    expect(await gate.flags.get('x')).toEqual(flag);
  });

  it('duplicate create is an error and leaves the stored flag alone', async () => {
    const store = new MemoryStore();
    const gate = await createPhasegate({ store });
    await gate.flags.create({ key: 'x', state: 'enabled' });
    await expect(gate.flags.create({ key: 'x', state: 'disabled' })).rejects.toThrow(AlreadyExistsError);
    expect(await store.get(Collections.flags, 'x')).toMatchObject({ version: 1, value: { state: 'enabled' } });
    expect(gate.isEnabled('x')).toBe(true);
  });

  it('update changes only the given fields, bumps updatedAt and can clear optional fields', async () => {
    const clock = new ManualClock();
    const gate = await createPhasegate({ store: new MemoryStore(), clock });
    await gate.flags.create({ key: 'x', state: 'rollout', salt: 's', description: 'keep me' });
    clock.advance(5000);
    const updated = await gate.flags.update('x', { strategy: { type: 'percentage', percentage: 100 }, salt: null });
    expect(updated).toMatchObject({ description: 'keep me', state: 'rollout', updatedAt: clock.now() });
    expect(updated.salt).toBeUndefined();
    expect(gate.isEnabled('x', { userId: 'anyone' })).toBe(true);
  });

  it('update and delete of an unknown flag are NotFoundError', async () => {
    const gate = await createPhasegate({ store: new MemoryStore() });
    await expect(gate.flags.update('ghost', { state: 'enabled' })).rejects.toThrow(NotFoundError);
    await expect(gate.flags.delete('ghost')).rejects.toThrow("Flag 'ghost' not found");
  });

  it('delete removes the flag from store and snapshot', async () => {
    const gate = await createPhasegate({ store: new MemoryStore() });
    await gate.flags.create({ key: 'x', state: 'enabled' });
    await gate.flags.delete('x');
    expect(gate.isEnabled('x')).toBe(false);
    expect(await gate.flags.get('x')).toBeUndefined();
    expect(await gate.flags.list()).toEqual([]);
  });

  it('list pages through every flag, sorted', async () => {
    const gate = await createPhasegate({ store: new MemoryStore() });
    for (let i = 0; i < 2500; i++) await gate.flags.create({ key: `f-${String(i).padStart(4, '0')}` });
    const flags = await gate.flags.list();
    expect(flags).toHaveLength(2500);
    expect(flags[0]!.key).toBe('f-0000');
    expect(flags[2499]!.key).toBe('f-2499');
  });

  it('stats count flags by state', async () => {
    const gate = await createPhasegate({ store: new MemoryStore() });
    await gate.flags.create({ key: 'a', state: 'enabled' });
    await gate.flags.create({ key: 'b', state: 'rollout' });
    await gate.flags.create({ key: 'c', state: 'rollout' });
    expect(gate.flags.stats()).toEqual({ total: 3, byState: { enabled: 1, disabled: 0, rollout: 2, beta: 0, deprecated: 0 } });
  });
});

describe('bad input', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['unknown state', { key: 'x', state: 'on' }, /state: must be one of 'enabled', 'disabled', 'rollout', 'beta', 'deprecated'/],
    ['percentage 140', { key: 'x', strategy: { type: 'percentage', percentage: 140 } }, /strategy\.percentage: must be at most 100/],
    ['four decimals', { key: 'x', strategy: { type: 'percentage', percentage: 1.2345 } }, /strategy\.percentage: may have at most three decimals/],
    ['ramp end before start', { key: 'x', strategy: { type: 'gradual', startAt: 2000, endAt: 1000 } }, /strategy\.endAt: must be after startAt/],
    ['ramp end equal to start', { key: 'x', strategy: { type: 'gradual', startAt: 1000, endAt: 1000 } }, /strategy\.endAt: must be after startAt/],
    ['empty key', { key: '' }, /key: must not be empty/],
    ['__proto__ key', { key: '__proto__' }, /key: may contain only letters/],
    ['constructor key', { key: 'constructor' }, /key: is a reserved name/],
    ['unknown strategy', { key: 'x', strategy: { type: 'magic' } }, /strategy(\.type)?: must have a type of 'percentage', 'userList', 'ring', 'gradual'/],
    ['unknown field', { key: 'x', owner: 'me' }, /Unrecognized key.*owner/i],
    ['ring without rings', { key: 'x', strategy: { type: 'ring', rings: [] } }, /strategy\.rings: must name at least one ring/],
    ['metadata __proto__', JSON.parse('{"key":"x","metadata":{"__proto__":{"polluted":true}}}'), /metadata/],
  ];

  it.each(cases)('%s is rejected with the field and the rule', async (_name, input, message) => {
    const store = new MemoryStore();
    const gate = await createPhasegate({ store });
    await gate.flags.create({ key: 'existing', state: 'enabled' });
    const error = await gate.flags.create(input as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toMatch(/^Invalid flag: /);
    expect((error as ValidationError).message).toMatch(message);
    expect(await store.count(Collections.flags)).toBe(1);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('an invalid update changes nothing', async () => {
    const store = new MemoryStore();
    const gate = await createPhasegate({ store });
    await gate.flags.create({ key: 'x', state: 'rollout', strategy: { type: 'percentage', percentage: 10 } });
    await expect(gate.flags.update('x', { strategy: { type: 'percentage', percentage: 140 } })).rejects.toThrow(
      /Invalid update of flag 'x': strategy\.percentage: must be at most 100/,
    );
    await expect(gate.flags.update('x', { key: 'y' } as never)).rejects.toThrow(ValidationError);
    await expect(gate.flags.update('x', { hashVersion: 2 } as never)).rejects.toThrow(ValidationError);
    expect(await store.get(Collections.flags, 'x')).toMatchObject({ version: 1, value: { strategy: { percentage: 10 } } });
  });
});

describe('events and sync between clients', () => {
  it('a second client on the same store follows changes through notification', async () => {
    const store = new MemoryStore();
    const writer = await createPhasegate({ store });
    const reader = await createPhasegate({ store });
    const changes: FlagChange[] = [];
    reader.events.on('flag:changed', (change) => changes.push(change));
    await writer.flags.create({ key: 'x', state: 'enabled' });
    await vi.waitFor(() => expect(reader.isEnabled('x')).toBe(true));
    await writer.flags.update('x', { state: 'disabled' });
    await vi.waitFor(() => expect(reader.isEnabled('x')).toBe(false));
    await writer.flags.delete('x');
    await vi.waitFor(() => expect(reader.evaluate('x').reason).toBe('FLAG_NOT_FOUND'));
    expect(changes.map((c) => [c.source, c.flag?.state, c.previous?.state])).toEqual([
      ['remote', 'enabled', undefined],
      ['remote', 'disabled', 'enabled'],
      ['remote', undefined, 'disabled'],
    ]);
  });

  it('local writes emit flag:changed once, with source local', async () => {
    const gate = await createPhasegate({ store: new MemoryStore() });
    const changes: FlagChange[] = [];
    gate.events.on('flag:changed', (change) => changes.push(change));
    await gate.flags.create({ key: 'x' });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(changes).toHaveLength(1);
    expect(changes[0]!.source).toBe('local');
  });

  it('deprecated flags warn once per flag, and again after a state change', async () => {
    const gate = await createPhasegate({ store: new MemoryStore() });
    const warnings: string[] = [];
    gate.events.on('flag:deprecated', ({ flagKey }) => warnings.push(flagKey));
    await gate.flags.create({ key: 'old', state: 'deprecated' });
    for (let i = 0; i < 5; i++) expect(gate.isEnabled('old', { userId: `u-${i}` })).toBe(false);
    gate.evaluate('old');
    expect(warnings).toEqual(['old']);
    await gate.flags.update('old', { state: 'enabled' });
    await gate.flags.update('old', { state: 'deprecated' });
    gate.isEnabled('old');
    expect(warnings).toEqual(['old', 'old']);
  });

  it('uses the host-owned emitter', async () => {
    const { createEventEmitter } = await import('../src/index.js');
    const events = createEventEmitter();
    const seen: string[] = [];
    events.on('flag:changed', ({ key }) => seen.push(key));
    const gate = await createPhasegate({ store: new MemoryStore(), events });
    expect(gate.events).toBe(events);
    await gate.flags.create({ key: 'k' });
    expect(seen).toEqual(['k']);
  });
});

describe('isEnabled never throws', () => {
  it('returns false and reports when the clock throws', async () => {
    const clock = { now: () => { throw new Error('clock broke'); } };
    const store = new MemoryStore();
    await store.put(Collections.flags, 'ramp', makeFlag({ key: 'ramp', state: 'rollout', strategy: { type: 'gradual', startAt: 0, endAt: 10 } }), 0);
    const gate = await createPhasegate({ store, clock });
    const errors: string[] = [];
    gate.events.on('evaluation:error', ({ flagKey, error }) => errors.push(`${flagKey}: ${error.message}`));
    expect(gate.isEnabled('ramp', { userId: 'u' })).toBe(false);
    expect(gate.evaluate('ramp', { userId: 'u' })).toMatchObject({ enabled: false, reason: 'ERROR', errorMessage: 'clock broke' });
    expect(errors).toEqual(['ramp: clock broke', 'ramp: clock broke']);
  });

  it('returns false and reports a malformed context', async () => {
    const gate = await createPhasegate({ store: new MemoryStore() });
    await gate.flags.create({ key: 'x', state: 'rollout', strategy: { type: 'percentage', percentage: 100 } });
    const errors: string[] = [];
    gate.events.on('evaluation:error', ({ error }) => errors.push(error.message));
    expect(gate.isEnabled('x', { userId: { id: 1 } } as never)).toBe(false);
    expect(errors[0]).toMatch(/userId and ring must be strings/);
  });

  it('survives a throwing evaluation:error listener', async () => {
    const gate = await createPhasegate({ store: new MemoryStore(), clock: { now: () => { throw new Error('x'); } } });
    await gate.flags.create({ key: 'r', state: 'rollout', strategy: { type: 'gradual', startAt: 0, endAt: 10 } }).catch(() => {});
    gate.events.on('evaluation:error', () => { throw new Error('listener'); });
    expect(() => gate.isEnabled('r', { userId: 'u' })).not.toThrow();
  });
});

describe('loading and readiness', () => {
  it('a store that fails to load rejects with a clear error instead of an empty flag set', async () => {
    const store = new MemoryStore();
    store.list = async () => { throw new Error('connection refused'); };
    await expect(createPhasegate({ store })).rejects.toThrow(/Could not load flags from store memory: connection refused/);
  });

  it('an invalid stored flag rejects naming the record and the field', async () => {
    const store = new MemoryStore();
    await store.put(Collections.flags, 'bad', { ...makeFlag({ key: 'bad' }), state: 'sideways' }, 0);
    await expect(createPhasegate({ store })).rejects.toThrow(/Invalid flag record 'bad' in store memory: state: must be one of/);
  });

  it('a stored flag with a polluting key is rejected on load', async () => {
    const store = new MemoryStore();
    await store.put(Collections.flags, 'p', JSON.parse(`{"key":"p","__proto__":{"polluted":1}}`), 0);
    await expect(createPhasegate({ store })).rejects.toThrow(/__proto__.*prototype pollution/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a bootstrap snapshot answers at once while the store is slow, then the store wins', async () => {
    const store = new MemoryStore();
    await store.put(Collections.flags, 'x', makeFlag({ key: 'x', state: 'enabled' }), 0);
    let release!: () => void;
    const gate1 = new Promise<void>((resolve) => (release = resolve));
    const list = store.list.bind(store);
    store.list = (async (...args: Parameters<Store['list']>) => {
      await gate1;
      return list(...args);
    }) as Store['list'];
    const gate = await createPhasegate({ store, bootstrap: { flags: [makeFlag({ key: 'x', state: 'disabled' }), makeFlag({ key: 'gone', state: 'enabled' })] } });
    expect(gate.isEnabled('x')).toBe(false);
    expect(gate.isEnabled('gone')).toBe(true);
    release();
    await gate.ready;
    expect(gate.isEnabled('x')).toBe(true);
    expect(gate.isEnabled('gone')).toBe(false);
  });

  it('a bootstrapped client keeps its snapshot when the store fails, and reports it', async () => {
    const store = new MemoryStore();
    store.list = async () => { throw new Error('down'); };
    const errors: string[] = [];
    const events = (await import('../src/index.js')).createEventEmitter();
    events.on('store:error', ({ operation, error }) => errors.push(`${operation}: ${error.message}`));
    const gate = await createPhasegate({ store, events, bootstrap: { flags: [makeFlag({ key: 'x', state: 'enabled' })] } });
    await expect(gate.ready).rejects.toThrow(/down/);
    expect(gate.isEnabled('x')).toBe(true);
    expect(errors).toEqual(['load: Could not load flags from store memory: down']);
  });

  it('snapshotData round-trips into a bootstrap', async () => {
    const gate = await createPhasegate({ store: new MemoryStore() });
    await gate.flags.create({ key: 'a', state: 'rollout', strategy: { type: 'percentage', percentage: 50 } });
    const data = JSON.parse(JSON.stringify(gate.snapshotData()));
    const offline = await createPhasegate({ store: new MemoryStore(), bootstrap: data });
    for (let i = 0; i < 100; i++) expect(offline.isEnabled('a', { userId: `u-${i}` })).toBe(gate.isEnabled('a', { userId: `u-${i}` }));
  });

  it('rejects an invalid bootstrap', async () => {
    await expect(createPhasegate({ store: new MemoryStore(), bootstrap: { flags: [{ key: 'x' }] } as never })).rejects.toThrow(
      /Invalid bootstrap snapshot: flags\.0\.description/,
    );
  });
});

describe('overrides and the test gate', () => {
  it('override forces flags in this client only', async () => {
    const store = new MemoryStore();
    const gate = await createPhasegate({ store });
    const other = await createPhasegate({ store });
    await gate.flags.create({ key: 'x', state: 'disabled' });
    gate.override('x', true);
    expect(gate.evaluate('x')).toEqual({ flagKey: 'x', enabled: true, reason: 'OVERRIDE_ON' });
    expect(gate.enabledFlags()).toEqual(['x']);
    expect(other.isEnabled('x')).toBe(false);
    gate.override('x', undefined);
    expect(gate.isEnabled('x')).toBe(false);
  });

  it('createTestGate forces flags without a store and resets between tests', () => {
    const gate = createTestGate({ forced: { 'new-checkout': true, legacy: false } });
    expect(gate.isEnabled('new-checkout')).toBe(true);
    expect(gate.isEnabled('legacy')).toBe(false);
    gate.force('legacy', true);
    gate.force('other', true);
    expect(gate.enabledFlags()).toEqual(['legacy', 'new-checkout', 'other']);
    gate.reset();
    expect(gate.enabledFlags()).toEqual(['new-checkout']);
  });

  it('createTestGate evaluates real flags on a manual clock', () => {
    const { ManualClock: Clock } = { ManualClock };
    const clock = new Clock(1000);
    const gate = createTestGate({ clock, flags: [makeFlag({ key: 'ramp', state: 'rollout', strategy: { type: 'gradual', startAt: 2000, endAt: 3000 } })] });
    expect(gate.isEnabled('ramp', { userId: 'u' })).toBe(false);
    clock.advance(2000);
    expect(gate.isEnabled('ramp', { userId: 'u' })).toBe(true);
  });
});

describe('subscription before load', () => {
  it('waits for notifications to flow before listing, so no write falls in between', async () => {
    // Notifications start 50 ms after subscribe (like a LISTEN being set up); a write lands at 10 ms.
    class SlowSubscriptionStore extends MemoryStore {
      private live = false;
      private ready = Promise.resolve();
      override subscribe(listener: Parameters<MemoryStore['subscribe']>[0]): () => void {
        this.ready = new Promise((resolve) => setTimeout(() => ((this.live = true), resolve()), 50));
        return super.subscribe((event) => this.live && listener(event));
      }
      subscribed(): Promise<void> {
        return this.ready;
      }
    }
    const store = new SlowSubscriptionStore();
    const writer = setTimeout(() => void store.put(Collections.flags, 'late', makeFlag({ key: 'late', state: 'enabled' }), 0), 10);
    const gate = await createPhasegate({ store });
    clearTimeout(writer);
    expect(gate.isEnabled('late')).toBe(true);
  });
});
