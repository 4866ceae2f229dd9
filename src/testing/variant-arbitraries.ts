import fc from 'fast-check';
import { FLAG_STATES, type Flag, type Rule } from '../flags/model.js';
import { SPLIT_TOTAL, VALUE_TYPES, type FlagValue, type SplitServe, type ValueType, type Variant } from '../flags/variants.js';
import { flagKeyArbitrary, strategyArbitrary, userIdArbitrary } from './arbitraries.js';
import { conditionArbitrary } from './targeting-arbitraries.js';

/** Any value type. */
export function valueTypeArbitrary(): fc.Arbitrary<ValueType> {
  return fc.constantFrom(...VALUE_TYPES);
}

/** JSON values as `json` variants hold them: small objects, arrays and scalars, finite numbers. */
export function jsonValueArbitrary(): fc.Arbitrary<FlagValue> {
  const key = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_]{0,8}$/).filter((k) => k !== 'constructor' && k !== 'prototype');
  const { value } = fc.letrec<{ value: FlagValue }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constant(null),
      fc.boolean(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.string({ maxLength: 12 }),
      fc.array(tie('value'), { maxLength: 3 }),
      fc.dictionary(key, tie('value'), { maxKeys: 3 }).map((entries) => ({ ...entries })),
    ),
  }));
  return value;
}

/** A value of `type`. */
export function valueOfTypeArbitrary(type: ValueType): fc.Arbitrary<FlagValue> {
  switch (type) {
    case 'boolean':
      return fc.boolean();
    case 'string':
      return fc.string({ maxLength: 16 });
    case 'number':
      return fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.double({ noNaN: true, noDefaultInfinity: true }));
    default:
      return jsonValueArbitrary();
  }
}

/** 1–`maxVariants` variants of `type` named `v0`, `v1`, ... */
export function variantsArbitrary(type: ValueType, options: { readonly maxVariants?: number } = {}): fc.Arbitrary<Variant[]> {
  return fc.array(valueOfTypeArbitrary(type), { minLength: 1, maxLength: options.maxVariants ?? 4 }).map((values) => values.map((value, index) => ({ name: `v${index}`, value })));
}

/**
 * Weights that add up to {@link SPLIT_TOTAL} over some of `names` (in their order), zeros
 * included: cut points drawn in the bucket space, sorted.
 */
export function splitArbitrary(names: readonly string[]): fc.Arbitrary<SplitServe> {
  return fc
    .tuple(fc.subarray([...names], { minLength: 1 }), fc.array(fc.integer({ min: 0, max: SPLIT_TOTAL }), { minLength: names.length, maxLength: names.length }))
    .map(([chosen, cuts]) => {
      const points = cuts.slice(0, chosen.length - 1).sort((a, b) => a - b);
      const bounds = [0, ...points, SPLIT_TOTAL];
      return { type: 'split' as const, weights: chosen.map((variant, index) => ({ variant, weight: bounds[index + 1]! - bounds[index]! })) };
    });
}

/** What a flag with variants `names` serves: one of them, or a split. */
export function servingArbitrary(names: readonly string[]): fc.Arbitrary<{ type: 'variant'; variant: string } | SplitServe> {
  return fc.oneof(fc.constantFrom(...names).map((variant) => ({ type: 'variant' as const, variant })), splitArbitrary(names));
}

/**
 * Flags with declared variants of every value type, in every state and strategy: an off
 * variant, a fallthrough (a variant or a split), sometimes individual targets, and rules that
 * serve on, off, a percentage, a variant or a split.
 */
export function typedFlagArbitrary(options: { readonly valueType?: ValueType } = {}): fc.Arbitrary<Flag> {
  // Everything that names a variant is drawn as numbers and mapped onto the names afterwards:
  // building arbitraries inside `chain` for every sample would be slow.
  const pick = fc.nat();
  const cuts = fc.array(fc.integer({ min: 0, max: SPLIT_TOTAL }), { minLength: 4, maxLength: 4 });
  const serving = fc.oneof(pick.map((index) => ({ index })), fc.tuple(fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), cuts).map(([chosen, points]) => ({ chosen, points })));
  const ruleServe = fc.oneof(
    fc.constant({ type: 'on' as const }),
    fc.constant({ type: 'off' as const }),
    fc.integer({ min: 0, max: 100_000 }).map((t) => ({ type: 'percentage' as const, percentage: t / 1000 })),
    serving,
  );
  const common = {
    key: flagKeyArbitrary(),
    state: fc.constantFrom(...FLAG_STATES),
    strategy: strategyArbitrary(),
    enabledUsers: fc.array(userIdArbitrary({ unicode: false }), { maxLength: 3 }),
    offVariant: pick,
    fallthrough: serving,
    targets: fc.uniqueArray(fc.tuple(userIdArbitrary({ unicode: false }), pick), { maxLength: 4, selector: ([user]) => user }),
    rules: fc.array(fc.tuple(fc.array(conditionArbitrary(), { minLength: 1, maxLength: 2 }), ruleServe), { maxLength: 3 }),
  };
  const types = options.valueType === undefined ? VALUE_TYPES : [options.valueType];
  return fc
    .oneof(...types.map((valueType) => fc.record({ ...common, valueType: fc.constant(valueType), variants: variantsArbitrary(valueType) })))
    .map(({ valueType, variants, offVariant, fallthrough, targets, rules, ...rest }): Flag => {
      const names = variants.map((variant) => variant.name);
      const name = (index: number) => names[index % names.length]!;
      const serve = (drawn: { index: number } | { chosen: boolean[]; points: number[] }): { type: 'variant'; variant: string } | SplitServe => {
        if ('index' in drawn) return { type: 'variant', variant: name(drawn.index) };
        const chosen = names.filter((_, index) => drawn.chosen[index % 4]);
        const list = chosen.length > 0 ? chosen : [names[0]!];
        const bounds = [0, ...drawn.points.slice(0, list.length - 1).sort((p, q) => p - q), SPLIT_TOTAL];
        return { type: 'split', weights: list.map((variant, index) => ({ variant, weight: bounds[index + 1]! - bounds[index]! })) };
      };
      const byVariant = new Map<string, string[]>();
      for (const [user, index] of targets) byVariant.set(name(index), [...(byVariant.get(name(index)) ?? []), user]);
      const ruleList: Rule[] = rules.map(([conditions, served], index) => ({
        id: `r${index}`,
        conditions,
        serve: 'type' in served ? served : serve(served),
      }));
      return {
        ...rest,
        description: '',
        valueType,
        variants,
        offVariant: name(offVariant),
        fallthrough: serve(fallthrough),
        ...(byVariant.size > 0 ? { targets: [...byVariant].map(([variant, users]) => ({ variant, users })) } : {}),
        ...(ruleList.length > 0 ? { rules: ruleList } : {}),
        tags: [],
        metadata: {},
        hashVersion: 1 as const,
        createdAt: Date.UTC(2026, 0, 1),
        updatedAt: Date.UTC(2026, 0, 1),
      };
    });
}
