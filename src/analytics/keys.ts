import type { StoredRecord, Store } from '../storage/store.js';

/**
 * Store keys of analytics records, as JSON arrays.
 *
 * Why JSON: keys used to be parts joined with `|`, so a release named `2.0.0|x` counted toward
 * 2.0.0 and a feature named `x|2026-04-06` was read back as another feature and day. A JSON array
 * escapes every part, so no value can reach into the next one, and a prefix that ends with a
 * complete part plus `,` (for example `["series","error_rate","2.0.0",`) matches exactly the
 * records whose leading parts are those values: a string part always closes with `"` before the
 * comma, so `"2.0.0|x"` can never match the prefix of `"2.0.0"`.
 */
export type KeyPart = string | null;

/** The key of a record made of `parts`. */
export function structuredKey(...parts: readonly KeyPart[]): string {
  return JSON.stringify(parts);
}

/** The prefix of every key whose leading parts are `parts` (and that has more parts after them). */
export function structuredPrefix(...parts: readonly KeyPart[]): string {
  return `${JSON.stringify(parts).slice(0, -1)},`;
}

/** The parts of a structured key, or `undefined` for a key that is not one (a legacy `a|b|c` key). */
export function parseStructuredKey(key: string): KeyPart[] | undefined {
  if (!key.startsWith('[')) return undefined;
  try {
    const parts: unknown = JSON.parse(key);
    if (!Array.isArray(parts) || !parts.every((part) => part === null || typeof part === 'string')) return undefined;
    return parts as KeyPart[];
  } catch {
    return undefined;
  }
}

/** Key of a metric series. */
export const seriesKey = (metric: string, release: string | null, feature: string | null): string => structuredKey('series', metric, release, feature);

/** Key of a per-day HyperLogLog sketch: users exposed to a flag, or users active in a feature. */
export const sketchKey = (kind: 'exposed' | 'active', feature: string, day: string): string => structuredKey('adoption', kind, feature, day);

/** Every record of `collection` whose key starts with `prefix`, page by page. */
export async function* recordsWithPrefix<T>(store: Store, collection: string, prefix: string, pageSize = 1000): AsyncGenerator<StoredRecord<T>> {
  let after: string | undefined;
  for (;;) {
    const page = await store.list<T>(collection, after === undefined ? { prefix, limit: pageSize } : { prefix, after, limit: pageSize });
    yield* page;
    if (page.length < pageSize) return;
    after = page[page.length - 1]!.key;
  }
}
