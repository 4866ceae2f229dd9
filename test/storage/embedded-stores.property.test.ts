import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { FileStore, MemoryStore, type Store } from '../../src/index.js';
import { compareKeys } from '../../src/storage/keys.js';
import { SqliteStore } from '../../src/sqlite/index.js';
import { PROTOTYPE_NAMED_IDS } from '../../src/testing/conformance.js';

const scratch = mkdtempSync(join(tmpdir(), 'phasegate-embedded-property-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let counter = 0;

const stores: [string, () => Store][] = [
  ['FileStore', () => new FileStore(join(scratch, `file-${++counter}`), { watch: false })],
  ['SqliteStore', () => new SqliteStore(join(scratch, `sqlite-${++counter}`, 'phasegate.db'))],
];

/** Keys users may choose: prototype member names, punctuation, any unicode. */
const key = fc.oneof(
  fc.constantFrom(...PROTOTYPE_NAMED_IDS),
  // U+E000 and U+FFFF sort before astral characters by code point but after them in UTF-16.
  fc.constantFrom('a', 'a/b', 'a b', '', '\ue000', '\uffff', '😀', '𝄞x'),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
);

type Operation =
  | { kind: 'put'; key: string; value: number; expected: number | 'current' }
  | { kind: 'delete'; key: string; expected: number | 'current' | 'any' };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ kind: fc.constant('put' as const), key, value: fc.integer(), expected: fc.oneof(fc.constant('current' as const), fc.nat(4)) }),
  fc.record({ kind: fc.constant('delete' as const), key, expected: fc.oneof(fc.constant('current' as const), fc.constant('any' as const), fc.nat(4)) }),
);

/** Applies one operation and describes the outcome (the result, or the error code). */
async function apply(store: Store, collection: string, op: Operation): Promise<unknown> {
  const current = (await store.get(collection, op.key))?.version ?? 0;
  try {
    if (op.kind === 'put') return await store.put(collection, op.key, { value: op.value }, op.expected === 'current' ? current : op.expected);
    return await store.delete(collection, op.key, op.expected === 'any' ? undefined : op.expected === 'current' ? current : op.expected);
  } catch (error) {
    return { error: (error as { code?: string }).code };
  }
}

async function everything(store: Store, collection: string): Promise<unknown[]> {
  const all: unknown[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.list(collection, after === undefined ? { limit: 3 } : { after, limit: 3 });
    all.push(...page);
    if (page.length < 3) return all;
    after = page[page.length - 1]!.key;
  }
}

describe('compareKeys', () => {
  it('orders keys as their UTF-8 bytes compare (what SQLite, PostgreSQL and Redis do)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 6 }), fc.string({ unit: 'binary', maxLength: 6 }), (a, b) => {
        expect(Math.sign(compareKeys(a, b))).toBe(Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))));
      }),
      { numRuns: 2000 },
    );
    expect(['😀', '\uffff', 'a', '\ue000'].sort(compareKeys)).toEqual(['a', '\ue000', '\uffff', '😀']);
  });
});

describe.each(stores)('%s behaves exactly like MemoryStore', (_, open) => {
  it('for any sequence of puts and deletes on any keys: same outcomes, same versions, same listing', async () => {
    const store = open();
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 25 }), async (operations) => {
          const model = new MemoryStore();
          const collection = `property-${++counter}`;
          for (const op of operations) {
            expect(await apply(store, collection, op)).toEqual(await apply(model, collection, op));
          }
          expect(await everything(store, collection)).toEqual(await everything(model, collection));
          expect(await store.count(collection)).toBe(await model.count(collection));
          // Listing order is the store's: keys come back sorted and each exactly once.
          const keys = (await everything(store, collection)).map((record) => (record as { key: string }).key);
          expect(new Set(keys).size).toBe(keys.length);
        }),
        { numRuns: 40 },
      );
    } finally {
      await store.close();
    }
  }, 120_000);
});
