import { z } from 'zod';
import { isPollutingKey } from '../validation.js';
import { epochSchema, userIdSchema } from './fields.js';
import { strategySchema } from './strategies/index.js';

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
};

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
});

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
  hashVersion: z.literal(1, { error: 'must be 1 (the only bucketing algorithm this version knows)' }),
  createdAt: epochSchema,
  updatedAt: epochSchema,
});

/** A feature flag, as stored and evaluated. */
export type Flag = z.infer<typeof flagSchema>;
/** Input to `gate.flags.create`. */
export type FlagInput = z.input<typeof flagInputSchema>;
/** Input to `gate.flags.update`. `null` clears an optional field. */
export type FlagUpdate = z.input<typeof flagUpdateSchema>;

