import { describe, expect, it } from 'vitest';
import { MemoryStore, createPhasegate, type Store, type StoreEvent } from '../../src/index.js';

/** A store whose notifications can be dropped (a dead pub/sub or LISTEN connection) and whose status can be faked. */
function flakyNotifications(store: Store): { store: Store; drop: (on: boolean) => void; status: (event: StoreEvent) => void; reads: () => number } {
  let dropping = false;
  let lists = 0;
  const listeners = new Set<(event: StoreEvent) => void>();
  const wrapped = new Proxy(store, {
    get(target, field, receiver) {
      if (field === 'subscribe') {
        return (listener: (event: StoreEvent) => void) => {
          listeners.add(listener);
          const off = target.subscribe((event) => {
            if (!dropping) listener(event);
          });
          return () => {
            listeners.delete(listener);
            off();
          };
        };
      }
      if (field === 'list') {
        return (...args: Parameters<Store['list']>) => {
          lists++;
          return target.list(...args);
        };
      }
      const value = Reflect.get(target, field, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return {
    store: wrapped,
    drop: (on) => void (dropping = on),
    status: (event) => listeners.forEach((listener) => listener(event)),
    reads: () => lists,
  };
}

const until = async (condition: () => boolean, ms = 3000): Promise<void> => {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('full resync', () => {
  it('after notifications were lost while a flag was deleted and re-created, a resync answers the new flag (a lower version wins)', async () => {
    const memory = new MemoryStore();
    const flaky = flakyNotifications(memory);
    const writer = await createPhasegate({ store: memory, resyncIntervalMs: 0 });
    const gate = await createPhasegate({ store: flaky.store, resyncIntervalMs: 0 });
    try {
      await writer.flags.create({ key: 'banner', state: 'enabled' });
      await writer.flags.update('banner', { description: 'v2' });
      await writer.flags.update('banner', { description: 'v3' });
      await until(() => gate.allFlags()[0]?.description === 'v3');
      await writer.flags.create({ key: 'doomed', state: 'enabled' });
      await until(() => gate.isEnabled('doomed'));

      flaky.drop(true);
      await writer.flags.delete('banner');
      await writer.flags.create({ key: 'banner', state: 'disabled', description: 'reborn' }); // version 1 again
      await writer.flags.delete('doomed');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(gate.isEnabled('banner')).toBe(true); // stale: nothing told it
      flaky.drop(false);

      const changes: string[] = [];
      gate.events.on('flag:changed', ({ key, flag }) => changes.push(`${key}:${flag?.description ?? 'deleted'}`));
      await gate.resync();
      expect(gate.isEnabled('banner')).toBe(false);
      expect(gate.allFlags().map((f) => [f.key, f.description])).toEqual([['banner', 'reborn']]);
      expect(gate.isEnabled('doomed')).toBe(false);
      expect(changes.sort()).toEqual(['banner:reborn', 'doomed:deleted']);
    } finally {
      writer.detach();
      await gate.close();
    }
  });

  it('a missed change heals by itself within the resync interval', async () => {
    const memory = new MemoryStore();
    const flaky = flakyNotifications(memory);
    const writer = await createPhasegate({ store: memory, resyncIntervalMs: 0 });
    const gate = await createPhasegate({ store: flaky.store, resyncIntervalMs: 50 });
    try {
      await writer.flags.create({ key: 'banner', state: 'disabled' });
      await until(() => gate.allFlags().length === 1);
      flaky.drop(true);
      await writer.flags.update('banner', { state: 'enabled' });
      await until(() => gate.isEnabled('banner'), 2000);
    } finally {
      writer.detach();
      await gate.close();
    }
  });

  it('a store status event (available again) resyncs at once and reports store:available', async () => {
    const memory = new MemoryStore();
    const flaky = flakyNotifications(memory);
    const writer = await createPhasegate({ store: memory, resyncIntervalMs: 0 });
    const gate = await createPhasegate({ store: flaky.store, resyncIntervalMs: 0 });
    try {
      const seen: string[] = [];
      gate.events.on('store:unavailable', () => void seen.push('unavailable'));
      gate.events.on('store:available', () => void seen.push('available'));
      flaky.drop(true);
      flaky.status({ type: 'status', available: false });
      await writer.flags.create({ key: 'banner', state: 'enabled' });
      expect(gate.isEnabled('banner')).toBe(false);
      expect(gate.storeIsAvailable).toBe(false);
      flaky.drop(false);
      flaky.status({ type: 'status', available: true });
      await until(() => seen.length === 2);
      expect(seen).toEqual(['unavailable', 'available']);
      expect(gate.isEnabled('banner')).toBe(true);
    } finally {
      writer.detach();
      await gate.close();
    }
  });

  it('stops resyncing on close, and 0 disables the interval', async () => {
    const flaky = flakyNotifications(new MemoryStore());
    const gate = await createPhasegate({ store: flaky.store, resyncIntervalMs: 20 });
    await until(() => flaky.reads() >= 3);
    gate.detach();
    const after = flaky.reads();
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(flaky.reads()).toBe(after);

    const quiet = flakyNotifications(new MemoryStore());
    const idle = await createPhasegate({ store: quiet.store, resyncIntervalMs: 0 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The one load: a list of segments, then a list of flags.
    expect(quiet.reads()).toBe(2);
    await idle.close();
  });

  it('rejects a negative or non-numeric interval', async () => {
    await expect(createPhasegate({ store: new MemoryStore(), resyncIntervalMs: -1 })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(createPhasegate({ store: new MemoryStore(), resyncIntervalMs: Number.NaN })).rejects.toMatchObject({ code: 'VALIDATION' });
  });
});

describe('bounded bookkeeping', () => {
  it('remembers deleted keys only up to a bound, even with periodic resync off', async () => {
    const gate = await createPhasegate({ store: new MemoryStore(), resyncIntervalMs: 0 });
    try {
      for (let i = 0; i < 1500; i++) {
        await gate.flags.create({ key: `tmp-${i}` });
        await gate.flags.delete(`tmp-${i}`);
      }
      await gate.flags.create({ key: 'kept', state: 'enabled' });
      const touched = (gate as unknown as { repository: { touched: Map<string, number> } }).repository.touched;
      expect(touched.size).toBeLessThanOrEqual(1002);
      expect(gate.isEnabled('kept')).toBe(true);
      expect(gate.allFlags().map((flag) => flag.key)).toEqual(['kept']);
    } finally {
      await gate.close();
    }
  });
});
