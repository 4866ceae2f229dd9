import { describe, expect, it } from 'vitest';
import { Collections, MemoryStore, createPhasegate, type ListOptions } from '../../src/index.js';

describe('the client reads only what evaluation needs', () => {
  it('loads flags without touching a large early-access collection', async () => {
    const store = new MemoryStore();
    for (let i = 0; i < 20_000; i++) await store.put(Collections.earlyAccessUsers, `user-${i}`, { level: 'beta' }, 0);
    const listed: string[] = [];
    const list = store.list.bind(store);
    store.list = ((collection: string, options?: ListOptions) => {
      listed.push(collection);
      return list(collection, options);
    }) as typeof store.list;
    const gets: string[] = [];
    const get = store.get.bind(store);
    store.get = ((collection: string, key: string) => {
      gets.push(collection);
      return get(collection, key);
    }) as typeof store.get;
    const gate = await createPhasegate({ store });
    await gate.flags.create({ key: 'beta-flag', state: 'beta', accessLevel: 'beta' });
    expect(gate.isEnabled('beta-flag', { userId: 'user-5', accessLevel: 'beta' })).toBe(true);
    // Segments are read too: rules evaluate against them. The audit collection is listed by the
    // create's write-ahead (pending entries of that one flag, by key prefix: src/audit/pending.ts).
    expect(new Set(listed)).toEqual(new Set([Collections.flags, Collections.segments, 'audit']));
    expect(gets.every((collection) => collection === Collections.flags)).toBe(true);
  });
});
