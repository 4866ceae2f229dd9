import { compareKeys } from './keys.js';

/**
 * Chunks hold between MAX_CHUNK / 2 and MAX_CHUNK keys (the last may hold fewer). Why chunks:
 * one sorted array of a million keys costs O(n) per insert (the splice moves half of it), and
 * sorting on every list costs O(n log n) per page, which made listing quadratic. With chunks an
 * insert moves at most MAX_CHUNK keys plus one chunk pointer per thousand keys, and a page is a
 * binary search followed by a walk: O(log n + page).
 */
const MAX_CHUNK = 1024;

/**
 * The keys of one collection in {@link compareKeys} order, kept sorted as they are added and
 * removed, so that a page of {@link Store.list} costs O(log n + page) instead of a sort of the
 * whole collection. A sorted list of sorted chunks (the layout of Python's sortedcontainers):
 * simple, compact (one array slot per key) and fast enough for millions of keys.
 */
export class SortedKeys {
  private chunks: string[][] = [];
  /** The last key of each chunk, for the binary search over chunks. */
  private maxima: string[] = [];
  private count = 0;

  /** How many keys are held. */
  get size(): number {
    return this.count;
  }

  /** Adds `key` (nothing happens when it is already there). */
  add(key: string): void {
    if (this.chunks.length === 0) {
      this.chunks.push([key]);
      this.maxima.push(key);
      this.count = 1;
      return;
    }
    // The first chunk whose last key is ≥ key, or the last chunk when key is past them all.
    let index = this.chunkFor(key);
    if (index === this.chunks.length) index--;
    const chunk = this.chunks[index]!;
    const at = lowerBound(chunk, key);
    if (at < chunk.length && chunk[at] === key) return;
    chunk.splice(at, 0, key);
    this.count++;
    if (at === chunk.length - 1) this.maxima[index] = key;
    if (chunk.length > MAX_CHUNK) {
      const upper = chunk.splice(chunk.length >>> 1);
      this.chunks.splice(index + 1, 0, upper);
      this.maxima.splice(index, 1, chunk[chunk.length - 1]!, upper[upper.length - 1]!);
    }
  }

  /** Removes `key`; `false` when it was not there. */
  delete(key: string): boolean {
    const index = this.chunkFor(key);
    if (index === this.chunks.length) return false;
    const chunk = this.chunks[index]!;
    const at = lowerBound(chunk, key);
    if (at === chunk.length || chunk[at] !== key) return false;
    chunk.splice(at, 1);
    this.count--;
    if (chunk.length === 0) {
      this.chunks.splice(index, 1);
      this.maxima.splice(index, 1);
    } else {
      this.maxima[index] = chunk[chunk.length - 1]!;
      // Merge small neighbours so the number of chunks stays proportional to the keys.
      const next = this.chunks[index + 1];
      if (next && chunk.length + next.length <= MAX_CHUNK / 2) {
        chunk.push(...next);
        this.chunks.splice(index + 1, 1);
        this.maxima.splice(index, 2, chunk[chunk.length - 1]!);
      }
    }
    return true;
  }

  /**
   * Up to `limit` keys in order, from the first key strictly after `after` (or from the start)
   * that also starts with `prefix`, stopping at the first key past the prefix.
   */
  page(options: { readonly after?: string; readonly prefix?: string; readonly limit: number }): string[] {
    const prefix = options.prefix ?? '';
    const out: string[] = [];
    if (options.limit <= 0 || this.count === 0) return out;
    // Start at the first key past `after`, or at the prefix when that comes later.
    const fromAfter = options.after !== undefined && compareKeys(options.after, prefix) >= 0;
    const start = fromAfter ? options.after! : prefix;
    let index = this.chunkFor(start);
    if (index === this.chunks.length) return out;
    let at = fromAfter ? upperBound(this.chunks[index]!, start) : lowerBound(this.chunks[index]!, start);
    for (; index < this.chunks.length; index++, at = 0) {
      const chunk = this.chunks[index]!;
      for (; at < chunk.length; at++) {
        const key = chunk[at]!;
        if (!key.startsWith(prefix)) return out;
        out.push(key);
        if (out.length >= options.limit) return out;
      }
    }
    return out;
  }

  /** Every key in order. */
  *[Symbol.iterator](): IterableIterator<string> {
    for (const chunk of this.chunks) yield* chunk;
  }

  /** The index of the first chunk whose last key is ≥ `key` (chunks.length when none is). */
  private chunkFor(key: string): number {
    let low = 0;
    let high = this.maxima.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareKeys(this.maxima[middle]!, key) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Builds the index from keys in any order: one sort, O(n log n). */
  static from(keys: Iterable<string>): SortedKeys {
    const sorted = [...keys].sort(compareKeys);
    const index = new SortedKeys();
    for (let from = 0; from < sorted.length; from += MAX_CHUNK / 2) {
      const chunk = sorted.slice(from, from + MAX_CHUNK / 2);
      index.chunks.push(chunk);
      index.maxima.push(chunk[chunk.length - 1]!);
    }
    index.count = sorted.length;
    return index;
  }
}

/** The first position in sorted `keys` whose key is ≥ `key`. */
function lowerBound(keys: readonly string[], key: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareKeys(keys[middle]!, key) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The first position in sorted `keys` whose key is > `key`. */
function upperBound(keys: readonly string[], key: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareKeys(keys[middle]!, key) <= 0) low = middle + 1;
    else high = middle;
  }
  return low;
}
