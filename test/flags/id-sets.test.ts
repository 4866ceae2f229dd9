import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Collections, MemoryStore, createPhasegate } from '../../src/index.js';
import { REUSE_FROM_IDS, idSetFor } from '../../src/flags/id-sets.js';

const bigList = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);

describe('user-list sets across versions of a flag', () => {
  it('a change to a flag with a big user list keeps the set it built (it used to rebuild it in every client on every change)', async () => {
    const store = new MemoryStore();
    const ids = bigList('u', REUSE_FROM_IDS * 2);
    const writer = await createPhasegate({ store, resyncIntervalMs: 0 });
    const reader = await createPhasegate({ store, resyncIntervalMs: 0 });
    try {
      await writer.flags.create({ key: 'big', state: 'rollout', strategy: { type: 'userList', userIds: ids } });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(reader.isEnabled('big', { userId: 'u-7' })).toBe(true);
      const before = idSetFor('big', ids);
      const changed = new Promise((resolve) => reader.events.on('flag:changed', resolve));
      await writer.flags.update('big', { description: 'same list, new words' });
      await changed;
      expect(reader.isEnabled('big', { userId: 'u-7' })).toBe(true);
      expect(reader.isEnabled('big', { userId: 'nobody' })).toBe(false);
      expect(idSetFor('big', [...ids])).toBe(before);
      // A changed list is a new set, with the new answers.
      const next = [...ids.slice(1), 'newcomer'];
      await writer.flags.update('big', { strategy: { type: 'userList', userIds: next } });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(reader.isEnabled('big', { userId: 'u-0' })).toBe(false);
      expect(reader.isEnabled('big', { userId: 'newcomer' })).toBe(true);
      expect((await store.get(Collections.flags, 'big'))?.version).toBe(3);
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it('property: the set given always has exactly the ids asked for, reused or not', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('a', 'b'), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 5 }))), (steps) => {
        for (const [key, variant, duplicates] of steps) {
          const ids = bigList(`v${variant}`, REUSE_FROM_IDS);
          for (let i = 0; i < duplicates; i++) ids[i + 1] = ids[0]!; // duplicates: fewer members than ids
          const set = idSetFor(key, ids);
          expect(set.size).toBe(new Set(ids).size);
          for (const id of [ids[0]!, ids.at(-1)!, `v${(variant + 1) % 4}-3`]) expect(set.has(id)).toBe(ids.includes(id));
        }
      }),
      { numRuns: 30 },
    );
  });
});
