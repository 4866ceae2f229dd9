import murmurhash3 from 'murmurhash3js-revisited';

/**
 * MurmurHash3 x86_32 over the UTF-8 bytes of `prefix + id` (seed 0 for rollout buckets; variant
 * splits use their own seed, see bucket.ts).
 *
 * The reference is `murmurhash3js-revisited`, which wants a byte array: encoding a fresh
 * array per call dominates the cost of a flag check. So ASCII ids (nearly all real ids)
 * are hashed straight from char codes, with the constant prefix (`salt + ':'`) folded in
 * ahead of time; anything else falls back to the reference over real UTF-8 bytes.
 * Property tests hold the two paths equal on arbitrary unicode.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** The hash state after consuming a constant prefix, reusable for every id. */
export interface HashPrefix {
  /** The prefix text itself. */
  readonly text: string;
  /** Whether the prefix is pure ASCII (else every hash uses the reference path). */
  readonly ascii: boolean;
  /** h1 after all complete 4-byte blocks of the prefix. */
  readonly h1: number;
  /** Bytes of the prefix past the last complete block, packed little-endian. */
  readonly pendingBlock: number;
  /** How many bytes are packed in `pendingBlock` (0–3). */
  readonly pendingBytes: number;
  /** Prefix length in bytes. */
  readonly length: number;
  /** The MurmurHash3 seed (0 for rollout buckets). */
  readonly seed: number;
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

function mixBlock(h1: number, k1: number): number {
  k1 = Math.imul(k1, C1);
  k1 = (k1 << 15) | (k1 >>> 17);
  k1 = Math.imul(k1, C2);
  h1 ^= k1;
  h1 = (h1 << 13) | (h1 >>> 19);
  return (Math.imul(h1, 5) + 0xe6546b64) | 0;
}

/** Precomputes the hash state of a constant prefix, under `seed` (default 0). */
export function hashPrefix(text: string, seed = 0): HashPrefix {
  const ascii = isAscii(text);
  let h1 = seed | 0;
  let block = 0;
  let bytes = 0;
  if (ascii) {
    for (let i = 0; i < text.length; i++) {
      block |= text.charCodeAt(i) << (bytes * 8);
      if (++bytes === 4) {
        h1 = mixBlock(h1, block);
        block = 0;
        bytes = 0;
      }
    }
  }
  return { text, ascii, h1, pendingBlock: block, pendingBytes: bytes, length: text.length, seed: seed >>> 0 };
}

const encoder = new TextEncoder();

/** The reference: `murmurhash3js-revisited` over the UTF-8 bytes of `text`, with `seed` (default 0). */
export function referenceHash(text: string, seed = 0): number {
  return murmurhash3.x86.hash32(encoder.encode(text), seed);
}

/** MurmurHash3 x86_32 (the prefix's seed) of the UTF-8 bytes of `prefix.text + id`, unsigned. */
export function hashWithPrefix(prefix: HashPrefix, id: string): number {
  return hashWithPrefixInt32(prefix, id) >>> 0;
}

/**
 * The same hash as a signed 32-bit integer, without allocating for ASCII ids. Two details are
 * for speed: the block mix and finaliser are written out by hand (under `isEnabled` the call
 * chain is deep enough that V8 stops inlining helpers), and the result stays a signed int32,
 * because an unsigned value above 2^31 returned from a call that is not inlined is boxed as a
 * heap number: an allocation on every other call. Callers apply `>>> 0` where it inlines.
 */
export function hashWithPrefixInt32(prefix: HashPrefix, id: string): number {
  if (!prefix.ascii) return referenceHash(prefix.text + id, prefix.seed) | 0;
  const length = id.length;
  let h1 = prefix.h1;
  let block = prefix.pendingBlock;
  let bytes = prefix.pendingBytes;
  let i = 0;
  let k1: number;
  // Top up the prefix's partial block first, so the main loop runs on whole blocks.
  if (bytes !== 0) {
    while (bytes < 4 && i < length) {
      const c = id.charCodeAt(i++);
      if (c > 0x7f) return referenceHash(prefix.text + id, prefix.seed) | 0;
      block |= c << (bytes * 8);
      bytes++;
    }
    if (bytes === 4) {
      k1 = Math.imul(block, C1);
      k1 = (k1 << 15) | (k1 >>> 17);
      h1 ^= Math.imul(k1, C2);
      h1 = (h1 << 13) | (h1 >>> 19);
      h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
      block = 0;
      bytes = 0;
    }
  }
  const blockEnd = length - ((length - i) & 3);
  for (; i < blockEnd; i += 4) {
    const c0 = id.charCodeAt(i);
    const c1 = id.charCodeAt(i + 1);
    const c2 = id.charCodeAt(i + 2);
    const c3 = id.charCodeAt(i + 3);
    if ((c0 | c1 | c2 | c3) > 0x7f) return referenceHash(prefix.text + id, prefix.seed) | 0;
    k1 = Math.imul(c0 | (c1 << 8) | (c2 << 16) | (c3 << 24), C1);
    k1 = (k1 << 15) | (k1 >>> 17);
    h1 ^= Math.imul(k1, C2);
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
  }
  for (; i < length; i++) {
    const c = id.charCodeAt(i);
    if (c > 0x7f) return referenceHash(prefix.text + id, prefix.seed) | 0;
    block |= c << (bytes * 8);
    bytes++;
  }
  if (bytes > 0) {
    k1 = Math.imul(block, C1);
    k1 = (k1 << 15) | (k1 >>> 17);
    h1 ^= Math.imul(k1, C2);
  }
  h1 ^= prefix.length + length;
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h1 = Math.imul(h1, 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  return h1;
}
