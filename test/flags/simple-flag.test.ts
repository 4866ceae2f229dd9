import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { flagSchema } from '../../src/flags/model.js';
import { parseStoredFlag } from '../../src/flags/parse.js';
import { parseSimpleFlag } from '../../src/flags/simple-flag.js';
import { ValidationError } from '../../src/index.js';
import { flagArbitrary } from '../../src/testing/index.js';

/** A simple flag as a store gives it back: plain JSON. */
const simpleFlag = flagArbitrary()
  .filter((flag) => flag.strategy.type === 'percentage' || flag.strategy.type === 'userList')
  .map((flag) => JSON.parse(JSON.stringify(flag)) as Record<string, unknown>);

const oddValue = fc.oneof(
  fc.anything(),
  fc.double(),
  fc.integer(),
  fc.constantFrom(Number.MAX_SAFE_INTEGER + 2, -1, 0.5, 1e21, Number.NaN, Number.POSITIVE_INFINITY, 12.3456, 100.0001, ''),
  fc.string({ maxLength: 3 }),
  fc.string({ minLength: 199, maxLength: 260 }),
  fc.array(fc.string({ maxLength: 3 }), { maxLength: 3 }),
  fc.dictionary(fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom('__proto__', 'constructor', 'prototype')), fc.oneof(fc.string({ maxLength: 3 }), fc.double(), fc.boolean(), fc.anything()), { maxKeys: 3 }),
  fc.record({ type: fc.constantFrom('percentage', 'ring', 'userList'), percentage: fc.oneof(fc.double({ min: -1, max: 101 }), fc.integer({ min: 0, max: 100 }), fc.anything()) }),
  fc.record({ type: fc.constantFrom('userList', 'percentage'), userIds: fc.oneof(fc.array(fc.string({ maxLength: 4 }), { maxLength: 4 }), fc.anything()) }),
);
const FIELDS = ['key', 'description', 'state', 'strategy', 'enabledUsers', 'salt', 'accessLevel', 'tags', 'metadata', 'hashVersion', 'createdAt', 'updatedAt', 'rules', 'bucketBy', 'extra', '__proto__'];

/** A simple flag with one to three fields replaced by odd values, removed, or added. */
const mutatedFlag = fc
  .tuple(simpleFlag, fc.array(fc.tuple(fc.constantFrom(...FIELDS), fc.option(oddValue, { nil: undefined }), fc.boolean()), { minLength: 1, maxLength: 3 }))
  .map(([flag, changes]) => {
    const copy: Record<string, unknown> = { ...flag };
    for (const [field, value, remove] of changes) {
      if (remove) delete copy[field];
      else if (field === '__proto__') Object.defineProperty(copy, '__proto__', { value, enumerable: true, configurable: true, writable: true });
      else copy[field] = value;
    }
    return copy;
  });

function agreesWithSchema(value: unknown): void {
  const fast = parseSimpleFlag(value);
  if (fast === undefined) return;
  const slow = flagSchema.safeParse(value);
  expect(slow.success).toBe(true);
  expect(fast).toEqual(slow.data);
  expect(JSON.stringify(fast)).toBe(JSON.stringify(slow.data));
}

describe('the simple-flag check (the fast path of every flag read)', () => {
  it('property: accepts every simple flag, exactly as the schema gives it', () => {
    fc.assert(
      fc.property(simpleFlag, (flag) => {
        expect(parseSimpleFlag(flag)).toBeDefined();
        agreesWithSchema(flag);
      }),
      { numRuns: 500 },
    );
  });

  it('property: never accepts what the schema refuses, and agrees on what it accepts, whatever is changed', () => {
    fc.assert(fc.property(mutatedFlag, agreesWithSchema), { numRuns: 3000 });
  });

  it('property: arbitrary values are never accepted unless the schema accepts them', () => {
    fc.assert(fc.property(fc.anything(), agreesWithSchema), { numRuns: 1000 });
  });

  it('a record read back is still refused with the reason, key and store named', () => {
    const value = { key: 'f', description: '', state: 'rollout', strategy: { type: 'percentage', percentage: 12.34567 }, enabledUsers: [], tags: [], metadata: {}, hashVersion: 1, createdAt: 0, updatedAt: 0 };
    expect(() => parseStoredFlag({ key: 'f', version: 1, value }, 'memory')).toThrow(ValidationError);
    expect(() => parseStoredFlag({ key: 'f', version: 1, value }, 'memory')).toThrow(/flag record 'f' in store memory.*strategy\.percentage/s);
    const polluted = JSON.parse('{"key":"f","description":"","state":"rollout","strategy":{"type":"percentage","percentage":5},"enabledUsers":[],"tags":[],"metadata":{"__proto__":"x"},"hashVersion":1,"createdAt":0,"updatedAt":0}');
    expect(parseSimpleFlag(polluted)).toBeUndefined();
    expect(() => parseStoredFlag({ key: 'f', version: 1, value: polluted }, 'memory')).toThrow(/prototype pollution/);
    const misplaced = { ...value, strategy: { type: 'percentage', percentage: 5 } };
    expect(() => parseStoredFlag({ key: 'g', version: 1, value: misplaced }, 'memory')).toThrow(/must equal the record key 'g'/);
  });
});
