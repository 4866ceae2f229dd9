import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock, MemoryStore, createPhasegate } from '../../src/index.js';
import { EXPOSURE_BUFFER_SIZE, ExposureCounter } from '../../src/flags/exposure.js';

const START = Date.UTC(2026, 2, 1, 12);

describe('exposure counting', () => {
  it("isEnabled('banner', { userId: null }) on an enabled flag does not poison exposure counting; flush and tick keep working", async () => {
    const clock = new ManualClock(START);
    const gate = await createPhasegate({ store: new MemoryStore(), clock });
    try {
      await gate.flags.create({ key: 'banner', state: 'enabled' });
      for (let i = 0; i < 2000; i++) expect(gate.isEnabled('banner', { userId: null as never })).toBe(true);
      for (const odd of [42, {}, [], true, Symbol('x'), 10n]) expect(gate.isEnabled('banner', { userId: odd as never })).toBe(true);
      for (let i = 0; i < 300; i++) gate.isEnabled('banner', { userId: `u-${i}` });
      const counter = gate.exposureCounters().get('banner')!;
      expect(counter.invalid).toBe(2006);
      expect(counter.on).toBe(2306);
      expect(counter.pendingCount).toBeLessThanOrEqual(EXPOSURE_BUFFER_SIZE);
      await gate.analytics.flush();
      await gate.tick();
      const adoption = await gate.analytics.adoption('banner');
      expect(adoption.exposedUsers).toBeGreaterThan(280);
      expect(adoption.exposedUsers).toBeLessThan(320);
      gate.isEnabled('banner', { userId: null as never });
      await expect(gate.tick()).resolves.toBeDefined();
    } finally {
      await gate.close();
    }
  });

  it('property: any id, any number of times, keeps the buffer bounded and every on-evaluation counted once', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.oneof(fc.anything(), fc.string())), { maxLength: 2000 }), (calls) => {
        const counter = new ExposureCounter();
        for (const [enabled, userId] of calls) {
          counter.record(enabled, userId, () => START);
          expect(counter.pendingCount).toBeLessThanOrEqual(EXPOSURE_BUFFER_SIZE);
        }
        expect(counter.on + counter.off).toBe(calls.length);
        const bad = calls.filter(([enabled, id]) => enabled && id !== undefined && (typeof id !== 'string' || id === '')).length;
        expect(counter.invalid).toBe(bad);
        counter.fold(START);
        expect(counter.pendingCount).toBe(0);
      }),
      { numRuns: 200 },
    );
  });
});
