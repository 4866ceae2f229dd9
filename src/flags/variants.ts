import { z } from 'zod';
import { isPollutingKey } from '../validation.js';
import { BUCKET_COUNT, bucketWithSalt, type BucketSalt } from './bucket.js';
import { userIdSchema } from './fields.js';

/** The types a flag's value can have. `boolean` is the default, and the only type without declared variants. */
export const VALUE_TYPES = ['boolean', 'string', 'number', 'json'] as const;
/** A flag's value type. */
export type ValueType = (typeof VALUE_TYPES)[number];

/** A JSON value, as a `json` flag's variants hold them. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Any value a flag can serve: a boolean, a string, a number or a JSON value. */
export type FlagValue = JsonValue;

/** Most variants a flag may declare. */
export const MAX_VARIANTS = 50;
/** Most characters a JSON variant value may take once serialised. */
export const MAX_JSON_VALUE_LENGTH = 16_384;
/** Deepest nesting of arrays and objects a JSON variant value may have. */
export const MAX_JSON_DEPTH = 16;
/** What the weights of a split add up to: the bucket space, so one weight unit is one bucket (0.001%). */
export const SPLIT_TOTAL = BUCKET_COUNT;

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

/** A variant's name: letters, digits, `.`, `_`, `:` and `-`, like keys. */
export const variantNameSchema = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')
  .regex(NAME_PATTERN, 'may contain only letters, digits, ".", "_", ":" and "-", and must start with a letter or digit')
  .refine((name) => !isPollutingKey(name), 'is a reserved name (prototype pollution)');

/** Why a value is not JSON within the bounds, or `undefined` when it is. */
function jsonProblem(value: unknown, depth: number): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : 'numbers must be finite';
  if (typeof value !== 'object') return `${typeof value} is not a JSON value`;
  if (depth >= MAX_JSON_DEPTH) return `may nest at most ${MAX_JSON_DEPTH} levels deep`;
  if (Array.isArray(value)) {
    for (const item of value) {
      const problem = jsonProblem(item, depth + 1);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return 'objects must be plain objects';
  for (const key of Object.keys(value)) {
    if (isPollutingKey(key)) return `has a reserved key '${key}' (prototype pollution)`;
    const problem = jsonProblem((value as Record<string, unknown>)[key], depth + 1);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** A JSON value: finite numbers, plain objects, at most {@link MAX_JSON_DEPTH} deep and {@link MAX_JSON_VALUE_LENGTH} characters. */
export const jsonValueSchema = z.unknown().superRefine((value, context) => {
  if (value === undefined) {
    context.addIssue({ code: 'custom', message: 'is required (a JSON value)' });
    return;
  }
  const problem = jsonProblem(value, 0);
  if (problem !== undefined) {
    context.addIssue({ code: 'custom', message: `must be a JSON value: ${problem}` });
    return;
  }
  if (JSON.stringify(value).length > MAX_JSON_VALUE_LENGTH) {
    context.addIssue({ code: 'custom', message: `must be at most ${MAX_JSON_VALUE_LENGTH} characters as JSON` });
  }
}) as unknown as z.ZodType<JsonValue>;

/** One named value a flag can serve. */
export const variantSchema = z.strictObject({
  name: variantNameSchema,
  value: jsonValueSchema,
  description: z.string({ error: 'must be a string' }).max(2000, 'must be at most 2000 characters').optional(),
});

/** A flag's variants: unique names, at most {@link MAX_VARIANTS}. */
export const variantsSchema = z
  .array(variantSchema, { error: 'must be an array of variants' })
  .min(1, 'must hold at least one variant')
  .max(MAX_VARIANTS, `may hold at most ${MAX_VARIANTS} variants`)
  .superRefine((variants, context) => {
    const seen = new Set<string>();
    variants.forEach((variant, index) => {
      if (seen.has(variant.name)) context.addIssue({ code: 'custom', path: [index, 'name'], message: `'${variant.name}' is used by an earlier variant (names must be unique)` });
      seen.add(variant.name);
    });
  });

/** Serve one variant. */
export const variantServeSchema = z.strictObject({ type: z.literal('variant'), variant: variantNameSchema });

/** One variant's share of a split, in buckets (of {@link SPLIT_TOTAL}). */
export const splitWeightSchema = z.strictObject({
  variant: variantNameSchema,
  weight: z.number({ error: 'must be a number' }).int('must be a whole number of buckets (percent × 1000)').min(0, 'must not be negative').max(SPLIT_TOTAL, `must be at most ${SPLIT_TOTAL}`),
});

/**
 * Serve a weighted split of variants. Each variant gets a contiguous range of variant buckets, in
 * the order listed; the weights add up to {@link SPLIT_TOTAL} (100,000 = 100%).
 */
export const splitServeSchema = z.strictObject({
  type: z.literal('split'),
  weights: z
    .array(splitWeightSchema, { error: 'must be an array of { variant, weight }' })
    .min(1, 'must hold at least one weight')
    .max(MAX_VARIANTS, `may hold at most ${MAX_VARIANTS} weights`)
    .superRefine((weights, context) => {
      const seen = new Set<string>();
      weights.forEach((entry, index) => {
        if (seen.has(entry.variant)) context.addIssue({ code: 'custom', path: [index, 'variant'], message: `'${entry.variant}' is weighted twice` });
        seen.add(entry.variant);
      });
      const total = weights.reduce((sum, entry) => sum + entry.weight, 0);
      if (total !== SPLIT_TOTAL) {
        context.addIssue({ code: 'custom', message: `weights must add up to ${SPLIT_TOTAL} (100%, in thousandths of a percent); they add up to ${total}` });
      }
    }),
});

/** What a flag with variants serves to users who reach the end of targeting: one variant or a split. */
export const fallthroughSchema = z.discriminatedUnion('type', [variantServeSchema, splitServeSchema], {
  error: "must have a type of 'variant' or 'split'",
});

/** Users who get a given variant, whatever the rules say (individual targets). */
export const variantTargetSchema = z.strictObject({
  variant: variantNameSchema,
  users: z.array(userIdSchema, { error: 'must be an array of user ids' }).min(1, 'must name at least one user').max(100_000, 'may hold at most 100,000 ids'),
});

/** A flag's individual targets: every user at most once, 100,000 in all. */
export const variantTargetsSchema = z
  .array(variantTargetSchema, { error: 'must be an array of { variant, users }' })
  .max(MAX_VARIANTS, `may hold at most ${MAX_VARIANTS} targets`)
  .superRefine((targets, context) => {
    const seen = new Set<string>();
    let total = 0;
    targets.forEach((target, index) => {
      total += target.users.length;
      target.users.forEach((user, at) => {
        if (seen.has(user)) context.addIssue({ code: 'custom', path: [index, 'users', at], message: `'${user}' is targeted twice (a user gets one variant)` });
        seen.add(user);
      });
    });
    if (total > 100_000) context.addIssue({ code: 'custom', message: 'may hold at most 100,000 ids in all' });
  });

/** One variant of a flag. */
export type Variant = z.infer<typeof variantSchema>;
/** Serve one variant. */
export type VariantServe = z.infer<typeof variantServeSchema>;
/** Serve a weighted split of variants. */
export type SplitServe = z.infer<typeof splitServeSchema>;
/** What a flag with variants serves at the end of targeting. */
export type Fallthrough = z.infer<typeof fallthroughSchema>;
/** Users who always get one variant. */
export type VariantTarget = z.infer<typeof variantTargetSchema>;

/** The value type a JavaScript value reads as: `json` for objects, arrays and `null`; `undefined` for anything else. */
export function valueTypeOf(value: unknown): ValueType | undefined {
  switch (typeof value) {
    case 'boolean':
      return 'boolean';
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'object':
      return 'json';
    default:
      return undefined;
  }
}

/** Whether `value` is a valid value of a `type` flag's variant (a `json` flag may hold any JSON value). */
export function valueFitsType(type: ValueType, value: unknown): boolean {
  switch (type) {
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    default:
      return true;
  }
}

/** The variant fields of a flag, for the cross-field checks. */
export interface VariantFields {
  readonly valueType?: ValueType | undefined;
  readonly variants?: readonly Variant[] | undefined;
  readonly offVariant?: string | undefined;
  readonly fallthrough?: Fallthrough | undefined;
  readonly targets?: readonly VariantTarget[] | undefined;
  readonly rules?: readonly { readonly serve: { readonly type: string; readonly variant?: string; readonly weights?: readonly { readonly variant: string }[] } }[] | undefined;
}

type Issue = { readonly path: (string | number)[]; readonly message: string };

/**
 * The cross-field rules of variants: a boolean flag without variants serves on and off only;
 * a flag of another type declares variants of that type; everything that names a variant names
 * one the flag declares. `complete` also requires `offVariant` and `fallthrough` (stored flags).
 */
export function variantIssues(flag: VariantFields, complete: boolean): Issue[] {
  const issues: Issue[] = [];
  const type = flag.valueType ?? 'boolean';
  const variants = flag.variants;
  if (variants === undefined) {
    if (type !== 'boolean') issues.push({ path: ['variants'], message: `is required for a ${type} flag (name the values it can serve)` });
    const named: [string, unknown][] = [
      ['offVariant', flag.offVariant],
      ['fallthrough', flag.fallthrough],
      ['targets', flag.targets],
    ];
    for (const [field, value] of named) if (value !== undefined && type === 'boolean') issues.push({ path: [field], message: 'needs variants (a boolean flag without variants serves on and off)' });
    (flag.rules ?? []).forEach((rule, index) => {
      if (rule.serve.type === 'variant' || rule.serve.type === 'split') {
        issues.push({ path: ['rules', index, 'serve'], message: `serves a ${rule.serve.type}, but the flag declares no variants` });
      }
    });
    return issues;
  }
  const names = new Set(variants.map((variant) => variant.name));
  variants.forEach((variant, index) => {
    if (!valueFitsType(type, variant.value)) issues.push({ path: ['variants', index, 'value'], message: `must be a ${type === 'number' ? 'finite number' : type} (the flag's valueType is '${type}')` });
  });
  const known = (name: string | undefined, path: (string | number)[]): void => {
    if (name !== undefined && !names.has(name)) issues.push({ path, message: `names '${name}', which is not one of the flag's variants (${[...names].map((n) => `'${n}'`).join(', ')})` });
  };
  known(flag.offVariant, ['offVariant']);
  if (complete && flag.offVariant === undefined) issues.push({ path: ['offVariant'], message: 'is required for a flag with variants' });
  if (complete && flag.fallthrough === undefined) issues.push({ path: ['fallthrough'], message: 'is required for a flag with variants' });
  const serve = (served: { readonly type: string; readonly variant?: string; readonly weights?: readonly { readonly variant: string }[] } | undefined, path: (string | number)[]): void => {
    if (served?.type === 'variant') known(served.variant, [...path, 'variant']);
    served?.weights?.forEach((entry, index) => known(entry.variant, [...path, 'weights', index, 'variant']));
  };
  serve(flag.fallthrough, ['fallthrough']);
  flag.targets?.forEach((target, index) => known(target.variant, ['targets', index, 'variant']));
  flag.rules?.forEach((rule, index) => serve(rule.serve, ['rules', index, 'serve']));
  return issues;
}

/**
 * A split compiled for bucketing: the end of each variant's contiguous bucket range, in order.
 * A variant with weight 0 has an empty range and is never picked.
 */
export class CompiledSplit {
  /** For each range, the index of its variant in the flag's `variants`. */
  readonly variants: Int32Array;
  /** For each range, the first bucket past it. The last is {@link SPLIT_TOTAL}. */
  readonly ends: Int32Array;

  constructor(split: SplitServe, indexOf: (name: string) => number) {
    const ranges = split.weights.filter((entry) => entry.weight > 0);
    this.variants = Int32Array.from(ranges, (entry) => indexOf(entry.variant));
    let end = 0;
    this.ends = Int32Array.from(ranges, (entry) => (end += entry.weight));
  }

  /** The variant index of a variant bucket. Allocation-free. */
  pick(bucket: number): number {
    const ends = this.ends;
    const last = ends.length - 1;
    for (let i = 0; i < last; i++) if (bucket < ends[i]!) return this.variants[i]!;
    return this.variants[last]!;
  }
}

/** What a flag serves at one step: a fixed variant index, or a split. */
export interface CompiledServing {
  /** The variant served, or -1 for a split. */
  readonly index: number;
  readonly split: CompiledSplit | undefined;
}

/**
 * A flag's variants compiled for evaluation. A boolean flag without variants has two implicit
 * ones, `on` (true) and `off` (false), so every flag answers with a variant name and a value.
 */
export class CompiledVariants {
  readonly valueType: ValueType;
  /** Whether the flag declares its variants (false: the implicit on/off of a plain boolean flag). */
  readonly declared: boolean;
  readonly names: readonly string[];
  readonly values: readonly FlagValue[];
  /** Index of the variant served when the flag is off. */
  readonly off: number;
  /** What the flag serves when it is on and no target or rule chose otherwise. */
  readonly fallthrough: CompiledServing;
  /** Individual targets: user id → variant index. Empty for most flags. */
  readonly targets: ReadonlyMap<string, number>;
  /** `targets.size > 0`, as a plain field. */
  readonly anyTargets: boolean;
  /** The flag's salt prepared under the variant seed. */
  readonly salt: BucketSalt;
  private readonly indexes: ReadonlyMap<string, number>;

  constructor(flag: VariantFields, salt: BucketSalt) {
    this.valueType = flag.valueType ?? 'boolean';
    this.salt = salt;
    const variants = flag.variants;
    this.declared = variants !== undefined;
    this.names = variants === undefined ? ['on', 'off'] : variants.map((variant) => variant.name);
    this.values = variants === undefined ? [true, false] : variants.map((variant) => variant.value);
    this.indexes = new Map(this.names.map((name, index) => [name, index]));
    this.off = variants === undefined ? 1 : this.indexOf(flag.offVariant ?? this.names[0]!);
    this.fallthrough = variants === undefined ? { index: 0, split: undefined } : this.serving(flag.fallthrough ?? { type: 'variant', variant: this.names[0]! });
    const targets = new Map<string, number>();
    for (const target of flag.targets ?? []) for (const user of target.users) targets.set(user, this.indexOf(target.variant));
    this.targets = targets;
    this.anyTargets = targets.size > 0;
  }

  /** The index of the variant called `name` (validated flags name only their own variants; 0 otherwise). */
  indexOf(name: string): number {
    return this.indexes.get(name) ?? 0;
  }

  /** Compiles a variant or split serve. */
  serving(serve: Fallthrough): CompiledServing {
    return serve.type === 'variant' ? { index: this.indexOf(serve.variant), split: undefined } : { index: -1, split: new CompiledSplit(serve, (name) => this.indexOf(name)) };
  }

  /** The variant bucket (0–99,999) of a bucketing value. */
  bucket(value: string): number {
    return bucketWithSalt(this.salt, value);
  }
}
