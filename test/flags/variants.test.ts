import fc from 'fast-check';
import murmurhash3 from 'murmurhash3js-revisited';
import { describe, expect, it } from 'vitest';
import { BUCKET_COUNT, MemoryStore, VARIANT_SEED, bucketOf, createPhasegate, evaluateFlag, isOnReason, variantBucketOf, type FlagInput } from '../../src/index.js';
import { CompiledFlag } from '../../src/flags/evaluate.js';
import { parseStoredFlag } from '../../src/flags/flags.js';
import { binomialUpperBound, contextArbitrary, flagArbitrary, targetingContextArbitrary, timeArbitrary, typedFlagArbitrary, userIdArbitrary } from '../../src/testing/index.js';
import { JAN_1, makeFlag, userIds } from '../helpers.js';

const themeInput = (extra: Partial<FlagInput> = {}): FlagInput => ({
  key: 'checkout-theme',
  state: 'enabled',
  valueType: 'string',
  variants: [
    { name: 'blue', value: '#00f' },
    { name: 'red', value: '#f00' },
    { name: 'green', value: '#0f0' },
  ],
  ...extra,
});

const THREE_WAY = {
  type: 'split' as const,
  weights: [
    { variant: 'blue', weight: 33_334 },
    { variant: 'red', weight: 33_333 },
    { variant: 'green', weight: 33_333 },
  ],
};

const clock = (now = JAN_1) => ({ now: () => now });

describe('variant model', () => {
  it('an old record without the new fields parses as a boolean flag and answers as before', () => {
    const stored = { ...makeFlag({ key: 'old', state: 'rollout', strategy: { type: 'percentage', percentage: 30 } }) };
    const flag = parseStoredFlag({ key: 'old', version: 3, value: stored }, 'memory');
    expect(flag.valueType).toBeUndefined();
    const result = evaluateFlag(flag, { userId: 'u-1' }, JAN_1);
    expect(result.bucket).toBe(bucketOf('old', 'u-1'));
    expect(result.variant).toBe(result.enabled ? 'on' : 'off');
    expect(result.value).toBe(result.enabled);
    expect(result.valueType).toBe('boolean');
  });

  it('a flag with variants gets the first variant as off variant and fallthrough when it names neither', async () => {
    const gate = await createPhasegate({ store: new MemoryStore() });
    const flag = await gate.flags.create(themeInput());
    expect(flag.offVariant).toBe('blue');
    expect(flag.fallthrough).toEqual({ type: 'variant', variant: 'blue' });
    await gate.close();
  });

  it('refuses values of the wrong type, unknown variant names and splits that do not add up, naming the field', async () => {
    const gate = await createPhasegate({ store: new MemoryStore() });
    await expect(gate.flags.create(themeInput({ variants: [{ name: 'a', value: 1 }] }))).rejects.toThrow("variants.0.value: must be a string (the flag's valueType is 'string')");
    await expect(gate.flags.create(themeInput({ offVariant: 'purple' }))).rejects.toThrow("offVariant: names 'purple', which is not one of the flag's variants");
    await expect(
      gate.flags.create(themeInput({ fallthrough: { type: 'split', weights: [{ variant: 'blue', weight: 50_000 }, { variant: 'red', weight: 40_000 }] } })),
    ).rejects.toThrow('weights must add up to 100000');
    await expect(gate.flags.create({ key: 'n', valueType: 'number' })).rejects.toThrow('variants: is required for a number flag');
    await expect(gate.flags.create({ key: 'b', offVariant: 'x' })).rejects.toThrow('offVariant: needs variants');
    await expect(
      gate.flags.create({ key: 'b2', rules: [{ id: 'r', conditions: [{ attribute: 'plan', operator: 'IN', values: ['pro'] }], serve: { type: 'variant', variant: 'x' } }] }),
    ).rejects.toThrow('rules.0.serve: serves a variant, but the flag declares no variants');
    await expect(gate.flags.create(themeInput({ variants: [{ name: 'a', value: 'x' }, { name: 'a', value: 'y' }] }))).rejects.toThrow("'a' is used by an earlier variant");
    await expect(gate.flags.create({ key: 'j', valueType: 'json', variants: [{ name: 'a', value: { __proto__: 1 } }] })).resolves.toBeDefined();
    await expect(gate.flags.create({ key: 'j2', valueType: 'json', variants: [{ name: 'a', value: JSON.parse('{"__proto__": 1}') }] })).rejects.toThrow('prototype pollution');
    expect(await gate.flags.list()).toHaveLength(1);
    await gate.close();
  });

  it('bounds JSON values in depth and size, and refuses what JSON cannot hold', async () => {
    const gate = await createPhasegate({ store: new MemoryStore() });
    let deep: unknown = 1;
    for (let i = 0; i < 20; i++) deep = [deep];
    const json = (value: unknown) => gate.flags.create({ key: 'cfg', valueType: 'json', variants: [{ name: 'a', value: value as never }] });
    await expect(json(deep)).rejects.toThrow('may nest at most 16 levels deep');
    await expect(json({ text: 'x'.repeat(20_000) })).rejects.toThrow('must be at most 16384 characters as JSON');
    await expect(json({ n: Number.NaN })).rejects.toThrow('numbers must be finite');
    await expect(json(new Date())).rejects.toThrow('plain objects');
    await expect(json(() => 1)).rejects.toThrow('function is not a JSON value');
    await expect(json({ ok: [1, 'two', null, { three: true }] })).resolves.toMatchObject({ valueType: 'json' });
    await gate.close();
  });

  it('an update that renames variants must move what names them; clearing variants makes a boolean flag again', async () => {
    const gate = await createPhasegate({ store: new MemoryStore() });
    await gate.flags.create(themeInput({ offVariant: 'red' }));
    await expect(gate.flags.update('checkout-theme', { variants: [{ name: 'blue', value: '#00f' }] })).rejects.toThrow("offVariant: names 'red'");
    expect((await gate.flags.get('checkout-theme'))!.variants).toHaveLength(3);
    const plain = await gate.flags.update('checkout-theme', { variants: null });
    expect(plain).not.toHaveProperty('valueType');
    expect(plain).not.toHaveProperty('offVariant');
    expect(gate.isEnabled('checkout-theme', { userId: 'u' })).toBe(true);
    await gate.close();
  });
});

describe('variant evaluation', () => {
  it('serves the off variant when disabled, the fallthrough when enabled, and says how', () => {
    const off = evaluateFlag(makeFlag({ ...themeInput({ offVariant: 'red' }), state: 'disabled' }), { userId: 'u' }, JAN_1);
    expect(off).toMatchObject({ enabled: false, reason: 'DISABLED', variant: 'red', value: '#f00', variantReason: 'DISABLED' });
    const on = evaluateFlag(makeFlag(themeInput({ fallthrough: { type: 'variant', variant: 'green' } })), { userId: 'u' }, JAN_1);
    expect(on).toMatchObject({ enabled: true, reason: 'ENABLED', variant: 'green', value: '#0f0', variantReason: 'STATIC' });
  });

  it('targets, then rules, then the fallthrough (DEFAULT when rules were tried)', () => {
    const flag = makeFlag(
      themeInput({
        targets: [{ variant: 'green', users: ['vip'] }],
        rules: [{ id: 'pros', conditions: [{ attribute: 'plan', operator: 'IN', values: ['pro'] }], serve: { type: 'variant', variant: 'red' } }],
      }),
    );
    expect(evaluateFlag(flag, { userId: 'vip', attributes: { plan: 'pro' } }, JAN_1)).toMatchObject({ reason: 'LISTED_USER', variant: 'green', variantReason: 'TARGETING_MATCH' });
    expect(evaluateFlag(flag, { userId: 'u', attributes: { plan: 'pro' } }, JAN_1)).toMatchObject({ reason: 'RULE_MATCH', ruleId: 'pros', variant: 'red', variantReason: 'TARGETING_MATCH' });
    expect(evaluateFlag(flag, { userId: 'u', attributes: { plan: 'free' } }, JAN_1)).toMatchObject({ reason: 'ENABLED', variant: 'blue', variantReason: 'DEFAULT' });
  });

  it('a split buckets by the variant seed: the variant bucket is murmur3 with seed VARIANT_SEED', () => {
    const flag = makeFlag(themeInput({ fallthrough: THREE_WAY }));
    for (const userId of ['u-1', 'u-2', 'ünïcode', '42']) {
      const result = evaluateFlag(flag, { userId }, JAN_1);
      const reference = murmurhash3.x86.hash32(new TextEncoder().encode(`checkout-theme:${userId}`), VARIANT_SEED) % BUCKET_COUNT;
      expect(result.variantBucket).toBe(reference);
      expect(variantBucketOf('checkout-theme', userId)).toBe(reference);
      const expected = reference < 33_334 ? 'blue' : reference < 66_667 ? 'red' : 'green';
      expect(result).toMatchObject({ variant: expected, variantReason: 'SPLIT' });
    }
  });

  it('a split without a user id is an error, so readers use their fallback', () => {
    const flag = makeFlag(themeInput({ fallthrough: THREE_WAY }));
    const result = evaluateFlag(flag, {}, JAN_1);
    expect(result).toMatchObject({ reason: 'NO_USER_ID', variantReason: 'ERROR', errorCode: 'TARGETING_KEY_MISSING' });
    expect(result).not.toHaveProperty('variant');
  });

  it('a 10% rollout still reaches every variant of its split, each with its weight of the users let in', () => {
    const flag = makeFlag(themeInput({ state: 'rollout', strategy: { type: 'percentage', percentage: 10 }, fallthrough: THREE_WAY }));
    const counts = new Map<string, number>();
    let admitted = 0;
    for (const userId of userIds(30_000)) {
      const result = evaluateFlag(flag, { userId }, JAN_1);
      if (!result.enabled) {
        expect(result.variant).toBe('blue');
        continue;
      }
      admitted++;
      counts.set(result.variant!, (counts.get(result.variant!) ?? 0) + 1);
    }
    for (const name of ['blue', 'red', 'green']) {
      const share = 1 / 3;
      const bound = binomialUpperBound(admitted, share, 1e-6);
      expect(counts.get(name)!).toBeLessThanOrEqual(bound);
      expect(admitted - counts.get(name)!).toBeLessThanOrEqual(binomialUpperBound(admitted, 1 - share, 1e-6));
    }
  });

  it('a rule serving a split, and a percentage rule on a flag with variants', () => {
    const flag = makeFlag(
      themeInput({
        offVariant: 'red',
        rules: [
          { id: 'split', conditions: [{ attribute: 'plan', operator: 'IN', values: ['pro'] }], serve: THREE_WAY },
          { id: 'half', conditions: [{ attribute: 'plan', operator: 'IN', values: ['free'] }], serve: { type: 'percentage', percentage: 50 } },
        ],
        fallthrough: { type: 'variant', variant: 'green' },
      }),
    );
    const split = evaluateFlag(flag, { userId: 'u-7', attributes: { plan: 'pro' } }, JAN_1);
    expect(split).toMatchObject({ reason: 'RULE_MATCH', variantReason: 'SPLIT', variantBucket: variantBucketOf('checkout-theme', 'u-7') });
    for (const userId of userIds(50)) {
      const half = evaluateFlag(flag, { userId, attributes: { plan: 'free' } }, JAN_1);
      expect(half.variant).toBe(half.enabled ? 'green' : 'red');
      expect(half.bucket).toBe(bucketOf('checkout-theme', userId));
    }
  });

  it('a boolean flag with declared variants answers isEnabled with its value', async () => {
    const gate = await createPhasegate({ store: new MemoryStore() });
    await gate.flags.create({
      key: 'zero',
      state: 'enabled',
      variants: [
        { name: 'zero', value: false },
        { name: 'non-zero', value: true },
      ],
      rules: [{ id: 'r', conditions: [{ attribute: 'email', operator: 'IN', values: ['a@b.c'] }], serve: { type: 'variant', variant: 'non-zero' } }],
    });
    expect(gate.isEnabled('zero', { userId: 'u' })).toBe(false);
    expect(gate.evaluate('zero', { userId: 'u' })).toMatchObject({ enabled: false, variant: 'zero', variantReason: 'DEFAULT' });
    expect(gate.isEnabled('zero', { userId: 'u', attributes: { email: 'a@b.c' } })).toBe(true);
    await gate.close();
  });
});

describe('variant invariants (property tests)', () => {
  it('evaluation never throws, and a served variant is one of the flag’s with its value', () => {
    fc.assert(
      fc.property(typedFlagArbitrary(), fc.oneof(targetingContextArbitrary(), contextArbitrary(), fc.anything()), timeArbitrary(), (flag, context, now) => {
        const result = evaluateFlag(flag, context as never, now);
        expect(result.flagKey).toBe(flag.key);
        if (result.variantReason === 'ERROR') {
          expect(result).not.toHaveProperty('variant');
          return;
        }
        const variant = flag.variants!.find((v) => v.name === result.variant);
        expect(variant).toBeDefined();
        expect(result.value).toEqual(variant!.value);
      }),
      { numRuns: 300 },
    );
  });

  it('the hot path of getValue agrees with decide, for typed and boolean flags', () => {
    fc.assert(
      fc.property(fc.oneof(typedFlagArbitrary(), flagArbitrary()), fc.oneof(contextArbitrary(), targetingContextArbitrary()), timeArbitrary(), (flag, context, now) => {
        const compiled = new CompiledFlag(flag);
        const quick = compiled.quickVariant(context, clock(now));
        if (quick < 0) return;
        const reason = compiled.decide(context, clock(now));
        expect(quick >> 1).toBe(compiled.variantOf(reason));
        expect((quick & 1) === 1).toBe(isOnReason(reason));
      }),
      { numRuns: 2000 },
    );
  });

  it('boolean flags without variants: isEnabled, bucket and the old fields unchanged; variant on/off mirrors enabled', () => {
    fc.assert(
      fc.property(flagArbitrary(), contextArbitrary(), timeArbitrary(), (flag, context, now) => {
        const result = evaluateFlag(flag, context, now);
        const compiled = new CompiledFlag(flag);
        expect(compiled.isEnabled(context, clock(now))).toBe(result.enabled);
        if (result.variantReason === 'ERROR') return;
        expect(result.variant).toBe(result.enabled ? 'on' : 'off');
        expect(result.value).toBe(result.enabled);
      }),
      { numRuns: 1000 },
    );
  });

  it('split shares match the weights (binomial bound)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 99_999 }), fc.integer({ min: 0, max: 99_999 }), (a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        const weights = [
          { variant: 'blue', weight: low },
          { variant: 'red', weight: high - low },
          { variant: 'green', weight: 100_000 - high },
        ];
        const flag = makeFlag(themeInput({ key: `split-${a}-${b}`, fallthrough: { type: 'split', weights } }));
        const compiled = new CompiledFlag(flag);
        const n = 4000;
        const counts = [0, 0, 0];
        for (let i = 0; i < n; i++) counts[compiled.quickVariant({ userId: `user-${i}` }, clock()) >> 1]!++;
        weights.forEach((entry, index) => {
          const p = entry.weight / 100_000;
          expect(counts[index]!).toBeLessThanOrEqual(binomialUpperBound(n, p, 1e-7));
          expect(n - counts[index]!).toBeLessThanOrEqual(binomialUpperBound(n, 1 - p, 1e-7));
        });
      }),
      { numRuns: 25 },
    );
  });

  it('a weight change moves exactly the users between the old and new range boundaries (at most the changed share between neighbours)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 2, maxLength: 2 }), fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 2, maxLength: 2 }), fc.array(userIdArbitrary(), { minLength: 200, maxLength: 200 }), (before, after, users) => {
        const weightsOf = (cuts: number[]) => {
          const [x, y] = [...cuts].sort((p, q) => p - q) as [number, number];
          return [
            { variant: 'blue', weight: x },
            { variant: 'red', weight: y - x },
            { variant: 'green', weight: 100_000 - y },
          ];
        };
        const one = new CompiledFlag(makeFlag(themeInput({ fallthrough: { type: 'split', weights: weightsOf(before) } })));
        const two = new CompiledFlag(makeFlag(themeInput({ fallthrough: { type: 'split', weights: weightsOf(after) } })));
        const [b1, b2] = [...before].sort((p, q) => p - q) as [number, number];
        const [a1, a2] = [...after].sort((p, q) => p - q) as [number, number];
        for (const userId of users) {
          const bucket = variantBucketOf('checkout-theme', userId);
          const moved = one.quickVariant({ userId }, clock()) !== two.quickVariant({ userId }, clock());
          // A user moves only if a range boundary passed over their bucket.
          const crossed = (bucket >= Math.min(b1, a1) && bucket < Math.max(b1, a1)) || (bucket >= Math.min(b2, a2) && bucket < Math.max(b2, a2));
          if (moved) expect(crossed).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});

