import { describe, expect, it } from 'vitest';
import { Collections, ManualClock, MemoryStore, createPhasegate, type Phasegate } from '../../src/index.js';
import type { FlagRepository } from '../../src/flags/repository.js';

const EU = { attribute: 'country', operator: 'IN' as const, values: ['DE', 'FR'] };

/** The repository behind a client (internal: these tests check what it holds, not what it answers). */
const repositoryOf = (gate: Phasegate): FlagRepository => (gate as unknown as { repository: FlagRepository }).repository;

function storedFlag(key: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { key, description: '', state: 'rollout', strategy: { type: 'percentage', percentage: 50 }, enabledUsers: [], tags: [], metadata: {}, hashVersion: 1, createdAt: 0, updatedAt: 0, ...extra };
}

describe('flags compile on first evaluation', () => {
  it('loading 1,000 flags compiles none of them (a load used to compile every flag: 3.6 KB and most of the load time per flag)', async () => {
    const store = new MemoryStore();
    for (let i = 0; i < 1000; i++) await store.put(Collections.flags, `f-${i}`, storedFlag(`f-${i}`), 0);
    const gate = await createPhasegate({ store, resyncIntervalMs: 0 });
    try {
      const repository = repositoryOf(gate);
      expect([...repository.keys()].filter((key) => repository.entry(key)!.isBuilt)).toEqual([]);
      const answer = gate.isEnabled('f-7', { userId: 'u-1' });
      expect([...repository.keys()].filter((key) => repository.entry(key)!.isBuilt)).toEqual(['f-7']);
      // The same answer a freshly compiled flag gives, and the explanation agrees.
      expect(gate.evaluate('f-7', { userId: 'u-1' }).enabled).toBe(answer);
    } finally {
      await gate.close();
    }
  });

  it('a segment change reaches a flag that was never evaluated, and names it in segment:changed', async () => {
    const store = new MemoryStore();
    const writer = await createPhasegate({ store, clock: new ManualClock() });
    await writer.segments.create({ key: 'eu', conditions: [EU] });
    await writer.flags.create({ key: 'eu-checkout', state: 'rollout', rules: [{ id: 'eu', segments: ['eu'], serve: { type: 'on' } }], strategy: { type: 'percentage', percentage: 0 } });
    const reader = await createPhasegate({ store, clock: new ManualClock(), resyncIntervalMs: 0 });
    try {
      expect(repositoryOf(reader).entry('eu-checkout')!.isBuilt).toBe(false);
      const changed = new Promise<readonly string[]>((resolve) => reader.events.on('segment:changed', (change) => resolve(change.flags)));
      await writer.segments.update('eu', { conditions: [{ ...EU, values: ['US'] }] });
      expect(await changed).toEqual(['eu-checkout']);
      expect(reader.isEnabled('eu-checkout', { userId: 'u-1', attributes: { country: 'US' } })).toBe(true);
      expect(reader.isEnabled('eu-checkout', { userId: 'u-1', attributes: { country: 'DE' } })).toBe(false);
    } finally {
      await reader.close();
      await writer.close();
    }
  });
});
