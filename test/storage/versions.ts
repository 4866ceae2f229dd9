import fc from 'fast-check';
import { expect } from 'vitest';
import { ConflictError, type Store } from '../../src/index.js';

let runs = 0;
/** A collection of its own for each run (lowercase, so FileStore accepts it as a file name). */
const freshCollection = (): string => `versions-${Date.now().toString(36)}-${process.pid}-${++runs}`;

type Operation =
  | { readonly kind: 'create' | 'update' | 'delete' | 'delete-at-version'; readonly key: string }
  | { readonly kind: 'stale-update'; readonly key: string };

const operation: fc.Arbitrary<Operation> = fc.record({
  kind: fc.constantFrom('create', 'update', 'delete', 'delete-at-version', 'stale-update'),
  key: fc.constantFrom('a', 'b', 'c'),
});

/**
 * The store contract's "versions never go backwards", as a property: for any sequence of
 * creates, updates and deletes, a create gets a version above every version the key ever had,
 * an update gets exactly +1, stale writes conflict, and reads agree with the model.
 */
export async function versionsNeverGoBackwards(open: () => Store | Promise<Store>, numRuns: number): Promise<void> {
  const store = await open();
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 20 }), async (operations) => {
        const collection = freshCollection();
        const current = new Map<string, number>();
        const highest = new Map<string, number>();
        for (const { kind, key } of operations) {
          const version = current.get(key) ?? 0;
          if (kind === 'create') {
            if (version !== 0) {
              await expect(store.put(collection, key, { kind }, 0)).rejects.toBeInstanceOf(ConflictError);
              continue;
            }
            const created = await store.put(collection, key, { kind }, 0);
            expect(created.version).toBeGreaterThan(highest.get(key) ?? 0);
            current.set(key, created.version);
          } else if (kind === 'update') {
            if (version === 0) continue;
            const updated = await store.put(collection, key, { kind }, version);
            expect(updated.version).toBe(version + 1);
            current.set(key, updated.version);
          } else if (kind === 'stale-update') {
            const stale = (highest.get(key) ?? 0) === 0 ? 1 : Math.max(1, (highest.get(key) ?? 1) - 1);
            if (stale === version) continue;
            await expect(store.put(collection, key, { kind }, stale)).rejects.toBeInstanceOf(ConflictError);
          } else {
            const deleted = await store.delete(collection, key, kind === 'delete-at-version' && version !== 0 ? version : undefined);
            expect(deleted).toBe(version !== 0);
            current.set(key, 0);
          }
          highest.set(key, Math.max(highest.get(key) ?? 0, current.get(key) ?? 0));
          expect((await store.get(collection, key))?.version ?? 0).toBe(current.get(key) ?? 0);
        }
      }),
      { numRuns },
    );
  } finally {
    await store.close();
  }
}

/**
 * Several store instances at once: half re-create one key as fast as they can, half delete it
 * as soon as it exists. A create that waits on a delete in progress must still start above the
 * deleted version: every successful create gets a version no other write got, and the versions
 * each creator sees only grow.
 */
export async function concurrentRecreatesNeverReuseVersions(open: () => Store, options: { instances?: number; rounds?: number; pauseMs?: number } = {}): Promise<void> {
  const stores = Array.from({ length: options.instances ?? 4 }, open);
  const collection = freshCollection();
  const rounds = options.rounds ?? 60;
  try {
    const written = await Promise.all(
      stores.map(async (store, index) => {
        const versions: number[] = [];
        for (let round = 0; round < rounds; round++) {
          try {
            if (index % 2 === 0) {
              versions.push((await store.put(collection, 'k', { round }, 0)).version);
            } else {
              const record = await store.get(collection, 'k');
              if (record) await store.delete(collection, 'k', record.version);
            }
          } catch (error) {
            if (!(error instanceof ConflictError)) throw error;
          }
          // Stores whose writes queue on a lock need a breath between rounds to interleave at all.
          if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, Math.random() * options.pauseMs!));
        }
        return versions;
      }),
    );
    for (const versions of written) expect(versions).toEqual([...versions].sort((a, b) => a - b));
    const all = written.flat();
    expect(all.length).toBeGreaterThan(2);
    expect(new Set(all).size).toBe(all.length);
  } finally {
    await Promise.all(stores.map((store) => store.close()));
  }
}
