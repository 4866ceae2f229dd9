import { z } from 'zod';
import { isPollutingKey } from '../validation.js';

/** The life-cycle states of a flag. */
export const FLAG_STATES = ['enabled', 'disabled', 'rollout', 'beta', 'deprecated'] as const;
/** A flag's state: `rollout` and `beta` let the strategy decide; the others are fixed answers. */
export type FlagState = (typeof FLAG_STATES)[number];

/** The strategy types a flag can use in `rollout` and `beta` states. */
export const STRATEGY_TYPES = ['percentage', 'userList', 'ring', 'gradual'] as const;
/** A strategy's `type`. */
export type StrategyType = (typeof STRATEGY_TYPES)[number];

/** The early-access levels, most exclusive first. An alpha member also gets beta and preview features. */
export const ACCESS_LEVELS = ['alpha', 'beta', 'preview', 'stable'] as const;
/** An early-access level. */
export type AccessLevel = (typeof ACCESS_LEVELS)[number];

/** The ring a context is in when it names none. */
export const DEFAULT_RING = 'production';

const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

/** A key for flags, features and other named records: letters, digits, `.`, `_`, `:` and `-`. */
export const keySchema = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')
  .regex(KEY_PATTERN, 'may contain only letters, digits, ".", "_", ":" and "-", and must start with a letter or digit')
  .refine((key) => !isPollutingKey(key), 'is a reserved name (prototype pollution)');

/** A user id: any non-empty string up to 256 characters, unicode allowed. */
export const userIdSchema = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters');

const percentageSchema = z
  .number({ error: 'must be a number' })
  .min(0, 'must be at least 0')
  .max(100, 'must be at most 100')
  .refine((p) => Math.abs(p * 1000 - Math.round(p * 1000)) < 1e-6, 'may have at most three decimals');

const epochSchema = z.number({ error: 'must be epoch milliseconds' }).int('must be whole milliseconds').min(0, 'must not be negative');

const ringSchema = z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(100, 'must be at most 100 characters');

/** Percentage rollout: a user is on when their bucket is below `percentage × 1000`. */
export const percentageStrategySchema = z.strictObject({
  type: z.literal('percentage'),
  percentage: percentageSchema,
});

/** User list: on for exactly the listed user ids. */
export const userListStrategySchema = z.strictObject({
  type: z.literal('userList'),
  userIds: z.array(userIdSchema).max(1_000_000, 'may hold at most 1,000,000 ids'),
});

/** Ring: on when the context's ring (default `production`) is one of `rings`. Needs no user id. */
export const ringStrategySchema = z.strictObject({
  type: z.literal('ring'),
  rings: z.array(ringSchema).min(1, 'must name at least one ring'),
});

/** Gradual: a linear ramp from 0% at `startAt` to 100% at `endAt` (epoch ms), bucketed like percentage. */
export const gradualStrategySchema = z
  .strictObject({
    type: z.literal('gradual'),
    startAt: epochSchema,
    endAt: epochSchema,
  })
  .refine((s) => s.endAt > s.startAt, { message: 'must be after startAt', path: ['endAt'] });

/** Any strategy, chosen by `type`. */
export const strategySchema = z.discriminatedUnion(
  'type',
  [percentageStrategySchema, userListStrategySchema, ringStrategySchema, gradualStrategySchema],
  { error: `must have a type of ${STRATEGY_TYPES.map((t) => `'${t}'`).join(', ')}` },
);

/** A percentage rollout. */
export type PercentageStrategy = z.infer<typeof percentageStrategySchema>;
/** A user-list rollout. */
export type UserListStrategy = z.infer<typeof userListStrategySchema>;
/** A ring rollout. */
export type RingStrategy = z.infer<typeof ringStrategySchema>;
/** A time-gradual rollout. */
export type GradualStrategy = z.infer<typeof gradualStrategySchema>;
/** How a flag in `rollout` or `beta` state decides. */
export type Strategy = z.infer<typeof strategySchema>;

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

/**
 * Who is asking. Everything is optional: a ring check needs no user id,
 * and a missing user id on a strategy that needs one gives `NO_USER_ID`.
 */
export interface EvaluationContext {
  /** Stable id of the user; bucketing hashes it with the flag's salt. */
  userId?: string;
  /** Deployment ring (for example `canary`, `internal`); defaults to `production`. */
  ring?: string;
  /** Early-access level of the user, when they are an active member of the program. */
  accessLevel?: AccessLevel;
  /** Early-access features the program grants this user (from `gate.earlyAccess.contextFor`). */
  earlyAccessFeatures?: readonly string[];
  /** Anything else the host wants to pass along (OpenFeature context fields land here). */
  attributes?: Readonly<Record<string, unknown>>;
}
