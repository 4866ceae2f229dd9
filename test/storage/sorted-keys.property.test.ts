import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareKeys } from '../../src/storage/keys.js';
import { SortedKeys } from '../../src/storage/sorted-keys.js';

/** Keys drawn from a small alphabet (so prefixes and neighbours collide) plus astral characters. */
const keyArbitrary = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '/', '\u{e000}', '\u{1f680}'), maxLength: 6 });

const operationArbitrary = fc.oneof(
  fc.record({ type: fc.constant('add' as const), key: keyArbitrary }),
  fc.record({ type: fc.constant('delete' as const), key: keyArbitrary }),
);

/** What a page must be: the naive filter-sort-slice the stores did before the index. */
function naivePage(keys: Set<string>, options: { after?: string; prefix?: string; limit: number }): string[] {
  return [...keys]
    .filter((key) => (options.after === undefined || compareKeys(key, options.after) > 0) && key.startsWith(options.prefix ?? ''))
    .sort(compareKeys)
    .slice(0, Math.max(0, options.limit));
}

describe('SortedKeys, the ordered key index of MemoryStore and FileStore', () => {
  it('pages exactly like sorting every key, after any sequence of adds and deletes', () => {
    fc.assert(
      fc.property(
        fc.array(operationArbitrary, { maxLength: 300 }),
        fc.option(keyArbitrary, { nil: undefined }),
        fc.option(keyArbitrary, { nil: undefined }),
        fc.integer({ min: 0, max: 40 }),
        (operations, after, prefix, limit) => {
          const index = new SortedKeys();
          const model = new Set<string>();
          for (const { type, key } of operations) {
            if (type === 'add') {
              index.add(key);
              model.add(key);
            } else {
              expect(index.delete(key)).toBe(model.delete(key));
            }
          }
          expect(index.size).toBe(model.size);
          expect([...index]).toEqual(naivePage(model, { limit: Infinity }));
          expect(index.page({ after, prefix, limit })).toEqual(naivePage(model, { after, prefix, limit }));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('stays sorted across chunk splits and merges (thousands of keys, added and removed out of order)', () => {
    const index = new SortedKeys();
    const model = new Set<string>();
    // A fixed permutation: multiplying by a unit modulo a prime visits every residue once.
    for (let i = 0; i < 5000; i++) {
      const key = `k${((i * 7919) % 5003).toString().padStart(5, '0')}`;
      index.add(key);
      model.add(key);
    }
    for (let i = 0; i < 5000; i += 3) {
      const key = `k${((i * 104_729) % 5003).toString().padStart(5, '0')}`;
      expect(index.delete(key)).toBe(model.delete(key));
    }
    const expected = naivePage(model, { limit: Infinity });
    expect([...index]).toEqual(expected);
    // Walking page by page with `after` visits every key once, in order.
    const walked: string[] = [];
    for (let page = index.page({ limit: 333 }); page.length > 0; page = index.page({ after: page[page.length - 1], limit: 333 })) walked.push(...page);
    expect(walked).toEqual(expected);
  });

  it('builds from unsorted keys the same index that adding them one by one gives', () => {
    fc.assert(
      fc.property(fc.uniqueArray(keyArbitrary, { maxLength: 2000 }), (keys) => {
        const built = SortedKeys.from(keys);
        const added = new SortedKeys();
        for (const key of keys) added.add(key);
        expect([...built]).toEqual([...added]);
        expect(built.size).toBe(keys.length);
        built.add('b');
        added.add('b');
        expect([...built]).toEqual([...added]);
      }),
      { numRuns: 50 },
    );
  });
});
