import { readFileSync } from 'node:fs';
import murmurhash3 from 'murmurhash3js-revisited';
import { describe, expect, it } from 'vitest';
import { bucketWithSalt } from '../../src/flags/bucket.js';
import { hashPrefix, hashWithPrefix } from '../../src/flags/hash.js';
import { evaluateFlag } from '../../src/index.js';
import { JAN_1, makeFlag } from '../helpers.js';

const reference = (text: string) => murmurhash3.x86.hash32(new TextEncoder().encode(text), 0);

describe('docs/bucketing.md MurmurHash3 edge vectors', () => {
  const doc = readFileSync(new URL('../../docs/bucketing.md', import.meta.url), 'utf8');
  const rows = doc
    .split('\n')
    .filter((line) => /^\| "/.test(line))
    .map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()))
    .map(([input, hex, hash, hashHex, bucket]) => ({ input: input!.slice(1, -1), hex: hex!, hash: Number(hash), hashHex: hashHex!, bucket: Number(bucket) }));

  it('lists the five keys whose hashes are 0, 1, 0x7fffffff, 0x80000000 and 0xffffffff', () => {
    expect(rows.map((row) => row.input)).toEqual(['ejOoVL', 'bY9fO-', 'SI7p-', '6LvT0', 'ceQdGm']);
    expect(rows.map((row) => row.hash)).toEqual([0, 1, 0x7fffffff, 0x80000000, 0xffffffff]);
  });

  it.each(rows)('$input hashes to $hashHex on the reference and on the fast path at every split', ({ input, hex, hash, hashHex, bucket }) => {
    expect(Buffer.from(input, 'utf8').toString('hex')).toBe(hex);
    expect(reference(input)).toBe(hash);
    expect(`0x${hash.toString(16).padStart(8, '0')}`).toBe(hashHex);
    expect(hash % 100_000).toBe(bucket);
    for (let split = 0; split <= input.length; split++) {
      const prefix = hashPrefix(input.slice(0, split));
      expect(hashWithPrefix(prefix, input.slice(split))).toBe(hash);
      expect(bucketWithSalt(prefix, input.slice(split))).toBe(bucket);
    }
  });

  it('the bucketBy worked example holds: every member of account acme is in bucket 75,433', () => {
    const flag = makeFlag({ key: 'checkout', state: 'rollout', bucketBy: 'accountId', strategy: { type: 'percentage', percentage: 80 } });
    for (const userId of ['ann', 'bob', 'carol']) {
      expect(evaluateFlag(flag, { userId, attributes: { accountId: 'acme' } }, JAN_1)).toMatchObject({ bucket: 75_433, enabled: true });
    }
    expect(evaluateFlag(flag, { attributes: { accountId: 42 } }, JAN_1).bucket).toBe(45_384);
  });
});
