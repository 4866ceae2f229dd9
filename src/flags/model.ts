import { z } from 'zod';
import { isPollutingKey } from '../validation.js';
import { attributeNameSchema, conditionSchema } from './conditions/index.js';
import { epochSchema, percentageSchema, userIdSchema } from './fields.js';
import { strategySchema } from './strategies/index.js';
import { fallthroughSchema, splitServeSchema, VALUE_TYPES, variantIssues, variantNameSchema, variantServeSchema, variantsSchema, variantTargetsSchema, type VariantFields } from './variants.js';

export { userIdSchema } from './fields.js';
export { STRATEGY_TYPES, strategySchema } from './strategies/index.js';
export type { Strategy, StrategyType } from './strategies/index.js';
export { percentageStrategySchema } from './strategies/percentage.js';
export type { PercentageStrategy } from './strategies/percentage.js';
export { userListStrategySchema } from './strategies/user-list.js';
export type { UserListStrategy } from './strategies/user-list.js';
export { DEFAULT_RING, ringStrategySchema } from './strategies/ring.js';
export type { RingStrategy } from './strategies/ring.js';
export { gradualStrategySchema } from './strategies/gradual.js';
export type { GradualStrategy } from './strategies/gradual.js';
export type { EvaluationContext } from './context.js';
export { MAX_VARIANTS, SPLIT_TOTAL, VALUE_TYPES, fallthroughSchema, jsonValueSchema, splitServeSchema, variantSchema, variantServeSchema, variantTargetSchema } from './variants.js';
export type { Fallthrough, FlagValue, JsonValue, SplitServe, ValueType, Variant, VariantServe, VariantTarget } from './variants.js';

/** The life-cycle states of a flag. */
export const FLAG_STATES = ['enabled', 'disabled', 'rollout', 'beta', 'deprecated'] as const;
/** A flag's state: `rollout` and `beta` let the strategy decide; the others are fixed answers. */
export type FlagState = (typeof FLAG_STATES)[number];

/** The early-access levels, most exclusive first. An alpha member also gets beta and preview features. */
export const ACCESS_LEVELS = ['alpha', 'beta', 'preview', 'stable'] as const;
/** An early-access level. */
export type AccessLevel = (typeof ACCESS_LEVELS)[number];

const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

/** A key for flags, features and other named records: letters, digits, `.`, `_`, `:` and `-`. */
export const keySchema = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')
  .regex(KEY_PATTERN, 'may contain only letters, digits, ".", "_", ":" and "-", and must start with a letter or digit')
  .refine((key) => !isPollutingKey(key), 'is a reserved name (prototype pollution)');

/** Most rules a flag may hold. */
export const MAX_RULES = 100;
/** Most conditions one rule (or one segment) may hold. */
export const MAX_CONDITIONS = 100;
/** Most prerequisites a flag may name. */
export const MAX_PREREQUISITES = 20;

/**
 * What a rule serves to the users it matches: on, off, a percentage of them (on for the rest of
 * the flag's answer), or, on a flag with variants, one variant or a weighted split of variants.
 */
export const ruleServeSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('on') }),
    z.strictObject({ type: z.literal('off') }),
    z.strictObject({ type: z.literal('percentage'), percentage: percentageSchema }),
    variantServeSchema,
    splitServeSchema,
  ],
  { error: "must have a type of 'on', 'off', 'percentage', 'variant' or 'split'" },
);

/**
 * A targeting rule: when every condition holds and the context is in every named segment, the
 * rule decides what the flag serves. Rules are tried in order; the first match wins.
 */
export const ruleSchema = z
  .strictObject({
    id: keySchema,
    description: z.string({ error: 'must be a string' }).max(2000, 'must be at most 2000 characters').optional(),
    conditions: z.array(conditionSchema, { error: 'must be an array of conditions' }).max(MAX_CONDITIONS, `may hold at most ${MAX_CONDITIONS} conditions`).default([]),
    segments: z.array(keySchema, { error: 'must be an array of segment keys' }).max(20, 'may name at most 20 segments').optional(),
    serve: ruleServeSchema,
  })
  .refine((rule) => rule.conditions.length > 0 || (rule.segments?.length ?? 0) > 0, {
    message: 'must have at least one condition or segment (a rule for everyone is the strategy)',
    path: ['conditions'],
  })
  .refine((rule) => new Set(rule.segments ?? []).size === (rule.segments?.length ?? 0), { message: 'must not name a segment twice', path: ['segments'] });

/** A flag that must be on (or off) for the same context before this flag's rules and strategy run. */
export const prerequisiteSchema = z.strictObject({
  flag: keySchema,
  enabled: z.boolean({ error: 'must be true or false' }),
});

const rulesSchema = z
  .array(ruleSchema, { error: 'must be an array of rules' })
  .max(MAX_RULES, `may hold at most ${MAX_RULES} rules`)
  .superRefine((rules, context) => {
    const seen = new Set<string>();
    rules.forEach((rule, index) => {
      if (seen.has(rule.id)) context.addIssue({ code: 'custom', path: [index, 'id'], message: `'${rule.id}' is used by an earlier rule (rule ids must be unique)` });
      seen.add(rule.id);
    });
  });

const prerequisitesSchema = z
  .array(prerequisiteSchema, { error: 'must be an array of prerequisites' })
  .max(MAX_PREREQUISITES, `may hold at most ${MAX_PREREQUISITES} prerequisites`)
  .refine((list) => new Set(list.map((p) => p.flag)).size === list.length, 'must not name a flag twice');

/** What a rule serves. */
export type RuleServe = z.infer<typeof ruleServeSchema>;
/** A targeting rule, as stored. */
export type Rule = z.infer<typeof ruleSchema>;
/** A targeting rule as written (conditions may be omitted when segments are named). */
export type RuleInput = z.input<typeof ruleSchema>;
/** A prerequisite flag. */
export type Prerequisite = z.infer<typeof prerequisiteSchema>;

const metadataSchema = z
  .record(z.string(), z.union([z.string().max(2000), z.number(), z.boolean()]))
  .refine((m) => Object.keys(m).every((k) => !isPollutingKey(k)), 'has a reserved key (prototype pollution)')
  .refine((m) => Object.keys(m).length <= 100, 'may have at most 100 entries');

const flagStateSchema = z.enum(FLAG_STATES, {
  error: `must be one of ${FLAG_STATES.map((s) => `'${s}'`).join(', ')}`,
});

/** The fields a caller may set on a flag (everything but the key, bookkeeping and hash version). */
const flagFields = {
  description: z.string({ error: 'must be a string' }).max(2000, 'must be at most 2000 characters'),
  state: flagStateSchema,
  strategy: strategySchema,
  enabledUsers: z.array(userIdSchema).max(100_000, 'may hold at most 100,000 ids'),
  salt: z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  accessLevel: z.enum(ACCESS_LEVELS, {
    error: `must be one of ${ACCESS_LEVELS.map((s) => `'${s}'`).join(', ')}`,
  }),
  tags: z.array(z.string().min(1).max(100)).max(50, 'may hold at most 50 tags'),
  metadata: metadataSchema,
  rules: rulesSchema,
  prerequisites: prerequisitesSchema,
  bucketBy: attributeNameSchema,
  valueType: z.enum(VALUE_TYPES, { error: `must be one of ${VALUE_TYPES.map((t) => `'${t}'`).join(', ')}` }),
  variants: variantsSchema,
  offVariant: variantNameSchema,
  fallthrough: fallthroughSchema,
  targets: variantTargetsSchema,
};

/** Adds the cross-field variant issues (see {@link variantIssues}) to a zod context. */
function checkVariants(complete: boolean) {
  return (flag: VariantFields, context: z.RefinementCtx): void => {
    for (const issue of variantIssues(flag, complete)) context.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  };
}

/** What `gate.flags.create` accepts. Only `key` is required. */
export const flagInputSchema = z.strictObject({
  key: keySchema,
  description: flagFields.description.default(''),
  state: flagFields.state.default('disabled'),
  strategy: flagFields.strategy.default({ type: 'percentage', percentage: 0 }),
  enabledUsers: flagFields.enabledUsers.default([]),
  salt: flagFields.salt.optional(),
  accessLevel: flagFields.accessLevel.optional(),
  tags: flagFields.tags.default([]),
  metadata: metadataSchema.default({}),
  rules: flagFields.rules.optional(),
  prerequisites: flagFields.prerequisites.optional(),
  bucketBy: flagFields.bucketBy.optional(),
  valueType: flagFields.valueType.optional(),
  variants: flagFields.variants.optional(),
  offVariant: flagFields.offVariant.optional(),
  fallthrough: flagFields.fallthrough.optional(),
  targets: flagFields.targets.optional(),
}).superRefine(checkVariants(false));

/** What `gate.flags.update` accepts: any subset of the settable fields. `key` cannot change. */
export const flagUpdateSchema = z.strictObject({
  description: flagFields.description.optional(),
  state: flagFields.state.optional(),
  strategy: flagFields.strategy.optional(),
  enabledUsers: flagFields.enabledUsers.optional(),
  salt: flagFields.salt.nullable().optional(),
  accessLevel: flagFields.accessLevel.nullable().optional(),
  tags: flagFields.tags.optional(),
  metadata: metadataSchema.optional(),
  rules: flagFields.rules.nullable().optional(),
  prerequisites: flagFields.prerequisites.nullable().optional(),
  bucketBy: flagFields.bucketBy.nullable().optional(),
  valueType: flagFields.valueType.nullable().optional(),
  variants: flagFields.variants.nullable().optional(),
  offVariant: flagFields.offVariant.nullable().optional(),
  fallthrough: flagFields.fallthrough.nullable().optional(),
  targets: flagFields.targets.nullable().optional(),
});

/** A stored flag: every field present and checked. */
export const flagSchema = z.strictObject({
  key: keySchema,
  description: flagFields.description,
  state: flagFields.state,
  strategy: flagFields.strategy,
  enabledUsers: flagFields.enabledUsers,
  salt: flagFields.salt.optional(),
  accessLevel: flagFields.accessLevel.optional(),
  tags: flagFields.tags,
  metadata: metadataSchema,
  rules: flagFields.rules.optional(),
  prerequisites: flagFields.prerequisites.optional(),
  bucketBy: flagFields.bucketBy.optional(),
  valueType: flagFields.valueType.optional(),
  variants: flagFields.variants.optional(),
  offVariant: flagFields.offVariant.optional(),
  fallthrough: flagFields.fallthrough.optional(),
  targets: flagFields.targets.optional(),
  hashVersion: z.literal(1, { error: 'must be 1 (the only bucketing algorithm this version knows)' }),
  createdAt: epochSchema,
  updatedAt: epochSchema,
}).superRefine(checkVariants(true));

/** A feature flag, as stored and evaluated. */
export type Flag = z.infer<typeof flagSchema>;
/** Input to `gate.flags.create`. */
export type FlagInput = z.input<typeof flagInputSchema>;
/** Input to `gate.flags.update`. `null` clears an optional field. */
export type FlagUpdate = z.input<typeof flagUpdateSchema>;

