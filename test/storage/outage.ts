import { expect, vi } from 'vitest';
import { createPhasegate, StoreError, type Store } from '../../src/index.js';

export interface Killable {
  kill(): void | Promise<void>;
  resume(): void | Promise<void>;
}

/**
 * Kill the server under two clients: evaluation keeps answering from the snapshot, the
 * outage is reported, writes fail clearly, and after a restart the clients resynchronise.
 */
export async function outageScenario(openStore: () => Store, server: Killable): Promise<void> {
  const writer = await createPhasegate({ store: openStore() });
  const reader = await createPhasegate({ store: openStore() });
  const seen: string[] = [];
  reader.events.on('store:unavailable', () => seen.push('unavailable'));
  reader.events.on('store:available', () => seen.push('available'));
  try {
    const key = `outage-${Date.now()}`;
    await writer.flags.create({ key, state: 'rollout', strategy: { type: 'percentage', percentage: 100 } });
    await vi.waitFor(() => expect(reader.isEnabled(key, { userId: 'u' })).toBe(true), { timeout: 2000 });

    await server.kill();
    await vi.waitFor(() => expect(seen).toContain('unavailable'), { timeout: 10_000 });
    expect(reader.storeIsAvailable).toBe(false);
    for (let i = 0; i < 100; i++) expect(reader.isEnabled(key, { userId: `u-${i}` })).toBe(true);
    await expect(writer.flags.update(key, { state: 'disabled' })).rejects.toThrow(StoreError);
    expect(reader.isEnabled(key, { userId: 'u' })).toBe(true);

    await server.resume();
    await vi.waitFor(() => expect(seen).toContain('available'), { timeout: 15_000 });
    expect(reader.storeIsAvailable).toBe(true);
    // A change made after the restart reaches the reader (by notification or by the resync).
    await vi.waitFor(() => writer.flags.update(key, { state: 'disabled' }), { timeout: 10_000, interval: 200 });
    await vi.waitFor(() => expect(reader.isEnabled(key, { userId: 'u' })).toBe(false), { timeout: 5000 });
    expect(seen.indexOf('unavailable')).toBeLessThan(seen.indexOf('available'));
  } finally {
    await Promise.all([writer.close(), reader.close()]);
  }
}

/** A second client follows the first through notification (polling is not involved). */
export async function followsThroughNotification(openStore: () => Store): Promise<void> {
  const first = await createPhasegate({ store: openStore() });
  const second = await createPhasegate({ store: openStore() });
  try {
    const remote: string[] = [];
    second.events.on('flag:changed', ({ key, source }) => remote.push(`${source}:${key}`));
    // No settling delay: a client is following the store as soon as createPhasegate resolves.
    const key = `follow-${Date.now()}`;
    await first.flags.create({ key, state: 'enabled' });
    await vi.waitFor(() => expect(second.isEnabled(key)).toBe(true), { timeout: 1000 });
    await first.flags.update(key, { state: 'disabled' });
    await vi.waitFor(() => expect(second.isEnabled(key)).toBe(false), { timeout: 1000 });
    expect(remote.filter((entry) => entry === `remote:${key}`)).toHaveLength(2);
  } finally {
    await Promise.all([first.close(), second.close()]);
  }
}
