import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import murmurhash3 from 'murmurhash3js-revisited';
import { describe, expect, it } from 'vitest';
import { bucketOf, thresholdFor } from '../../src/flags/bucket.js';
import { hashPrefix, hashWithPrefix } from '../../src/flags/hash.js';

const reference = (text: string) => murmurhash3.x86.hash32(new TextEncoder().encode(text), 0);

describe('hashWithPrefix', () => {
  it('matches the reference library on its documented vector', () => {
    // From murmurhash3js-revisited's README.
    expect(reference('I will not buy this record, it is scratched.')).toBe(2832214938);
    expect(hashWithPrefix(hashPrefix(''), 'I will not buy this record, it is scratched.')).toBe(2832214938);
  });

  it('equals the reference for every prefix length and split point (ASCII)', () => {
    const text = 'the-quick-brown-fox:jumps-over-0123456789';
    for (let split = 0; split <= text.length; split++) {
      const prefix = text.slice(0, split);
      for (let end = split; end <= text.length; end++) {
        expect(hashWithPrefix(hashPrefix(prefix), text.slice(split, end))).toBe(reference(text.slice(0, end)));
      }
    }
  });

  it('equals the reference on arbitrary unicode prefixes and ids', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 40 }), (prefix, id) => {
        expect(hashWithPrefix(hashPrefix(prefix), id)).toBe(reference(prefix + id));
      }),
      { numRuns: 2000 },
    );
  });

  it('equals the reference on strings with lone surrogates and mixed ASCII', () => {
    const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit));
    const mixed = fc.array(fc.oneof(fc.constantFrom('a', 'b', '-', '7'), codeUnit), { maxLength: 30 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-ascii', maxLength: 9 }), mixed, (prefix, id) => {
        expect(hashWithPrefix(hashPrefix(prefix), id)).toBe(reference(prefix + id));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('docs/bucketing.md test vectors', () => {
  const doc = readFileSync(new URL('../../docs/bucketing.md', import.meta.url), 'utf8');
  const rows = doc
    .split('\n')
    .filter((line) => /^\| `/.test(line))
    .map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()))
    .map(([salt, userId, hex, hash, bucket]) => ({
      salt: salt!.replaceAll('`', ''),
      userId: userId!.replaceAll('`', ''),
      hex: hex!,
      hash: Number(hash),
      bucket: Number(bucket),
    }));

  it('has vectors, including non-ASCII ones', () => {
    expect(rows.length).toBeGreaterThanOrEqual(8);
    expect(rows.some((row) => /[^\x00-\x7f]/.test(row.userId))).toBe(true);
  });

  it.each(rows)('salt $salt, user $userId', ({ salt, userId, hex, hash, bucket }) => {
    expect(Buffer.from(`${salt}:${userId}`, 'utf8').toString('hex')).toBe(hex);
    expect(reference(`${salt}:${userId}`)).toBe(hash);
    expect(bucketOf(salt, userId)).toBe(bucket);
    expect(hash % 100000).toBe(bucket);
  });

  it('the worked example in the doc holds', () => {
    expect(bucketOf('new-checkout', 'u-42') < thresholdFor(12.5)).toBe(false);
    expect(bucketOf('new-checkout', 'user@example.com') < thresholdFor(12.5)).toBe(true);
  });
});

describe('thresholdFor', () => {
  it('maps percentages with three decimals to whole buckets', () => {
    expect(thresholdFor(12.5)).toBe(12_500);
    expect(thresholdFor(0.001)).toBe(1);
    expect(thresholdFor(33.333)).toBe(33_333);
    expect(thresholdFor(100)).toBe(100_000);
    expect(thresholdFor(0)).toBe(0);
  });
});
