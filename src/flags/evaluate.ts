import { BUCKET_COUNT, HASH_VERSION, bucketWithSalt, prepareSalt, thresholdFor, type BucketSalt } from './bucket.js';
import type { Clock } from '../clock.js';
import {
  ACCESS_LEVELS,
  DEFAULT_RING,
  type AccessLevel,
  type EvaluationContext,
  type Flag,
  type FlagState,
  type StrategyType,
} from './model.js';

/** Why a flag evaluated the way it did. */
export const EvaluationReasons = {
  /** No flag with that key exists. Off. */
  FLAG_NOT_FOUND: 'FLAG_NOT_FOUND',
  /** The flag is `disabled`. Off. */
  DISABLED: 'DISABLED',
  /** The flag is `enabled`. On for everyone. */
  ENABLED: 'ENABLED',
  /** The flag is `deprecated`. Off (a one-time `flag:deprecated` event fires). */
  DEPRECATED: 'DEPRECATED',
  /** The user is in the flag's `enabledUsers`. On. */
  LISTED_USER: 'LISTED_USER',
  /** Beta flag, and the early-access program grants it (a seat, or a qualifying level). On. */
  EARLY_ACCESS: 'EARLY_ACCESS',
  /** userList strategy and the user is listed. On. */
  USER_LIST_MATCH: 'USER_LIST_MATCH',
  /** userList strategy and the user is not listed. Off. */
  USER_LIST_NO_MATCH: 'USER_LIST_NO_MATCH',
  /** percentage strategy and the user's bucket is below the threshold. On. */
  IN_PERCENTAGE: 'IN_PERCENTAGE',
  /** percentage strategy and the user's bucket is at or above the threshold. Off. */
  OUTSIDE_PERCENTAGE: 'OUTSIDE_PERCENTAGE',
  /** ring strategy and the context's ring is listed. On. */
  RING_MATCH: 'RING_MATCH',
  /** ring strategy and the context's ring is not listed. Off. */
  RING_NO_MATCH: 'RING_NO_MATCH',
  /** gradual strategy before `startAt`. Off. */
  RAMP_NOT_STARTED: 'RAMP_NOT_STARTED',
  /** gradual strategy mid-ramp and the bucket is below the current threshold. On. */
  IN_RAMP: 'IN_RAMP',
  /** gradual strategy mid-ramp and the bucket is at or above the current threshold. Off. */
  OUTSIDE_RAMP: 'OUTSIDE_RAMP',
  /** gradual strategy at or after `endAt`. On for everyone. */
  RAMP_COMPLETE: 'RAMP_COMPLETE',
  /** The strategy needs a user id and the context has none. Off. */
  NO_USER_ID: 'NO_USER_ID',
  /** The context is malformed (for example a non-string user id). Off; reported as an evaluation error. */
  INVALID_CONTEXT: 'INVALID_CONTEXT',
  /** Forced on by a test or local override. */
  OVERRIDE_ON: 'OVERRIDE_ON',
  /** Forced off by a test or local override. */
  OVERRIDE_OFF: 'OVERRIDE_OFF',
  /** Evaluation failed unexpectedly; the safe default (off) was returned. */
  ERROR: 'ERROR',
} as const;

/** Why a flag evaluated the way it did: one of {@link EvaluationReasons}. */
export type EvaluationReason = (typeof EvaluationReasons)[keyof typeof EvaluationReasons];

const ON: Readonly<Record<EvaluationReason, boolean>> = {
  FLAG_NOT_FOUND: false,
  DISABLED: false,
  ENABLED: true,
  DEPRECATED: false,
  LISTED_USER: true,
  EARLY_ACCESS: true,
  USER_LIST_MATCH: true,
  USER_LIST_NO_MATCH: false,
  IN_PERCENTAGE: true,
  OUTSIDE_PERCENTAGE: false,
  RING_MATCH: true,
  RING_NO_MATCH: false,
  RAMP_NOT_STARTED: false,
  IN_RAMP: true,
  OUTSIDE_RAMP: false,
  RAMP_COMPLETE: true,
  NO_USER_ID: false,
  INVALID_CONTEXT: false,
  OVERRIDE_ON: true,
  OVERRIDE_OFF: false,
  ERROR: false,
};

/** Whether a reason means the flag is on. */
export function isOnReason(reason: EvaluationReason): boolean {
  return ON[reason];
}

/** The full, explainable answer for one flag and one context. */
export interface EvaluationResult {
  /** The flag asked about. */
  readonly flagKey: string;
  /** The answer. */
  readonly enabled: boolean;
  /** Why. */
  readonly reason: EvaluationReason;
  /** The flag's state, when the flag exists. */
  readonly state?: FlagState;
  /** The flag's strategy type, when the flag exists. */
  readonly strategy?: StrategyType;
  /** The user's bucket (0–99,999), when bucketing was used. */
  readonly bucket?: number;
  /** Buckets below this number were on (percentage × 1000), when bucketing was used. */
  readonly threshold?: number;
  /** The bucketing algorithm version, when the flag exists. */
  readonly hashVersion?: number;
  /** What went wrong, for `INVALID_CONTEXT` and `ERROR`. */
  readonly errorMessage?: string;
}

const LEVEL_RANK: Readonly<Record<AccessLevel, number>> = Object.fromEntries(
  ACCESS_LEVELS.map((level, rank) => [level, rank]),
) as Record<AccessLevel, number>;

/** Whether a member at `member` level gets features gated at `required` level (levels nest: alpha ⊇ beta ⊇ preview ⊇ stable). */
export function accessLevelQualifies(member: AccessLevel, required: AccessLevel): boolean {
  const memberRank = LEVEL_RANK[member];
  return memberRank !== undefined && memberRank <= LEVEL_RANK[required];
}

// The bucket and threshold of the latest decision. Evaluation is synchronous, so a module
// slot is safe, and it keeps `isEnabled` free of per-call allocations.
let lastBucket = -1;
let lastThreshold = -1;

/**
 * A flag prepared for fast repeated evaluation: lookups are sets and the salt's
 * hash state is precomputed. Built once per flag version by the client.
 */
export class CompiledFlag {
  readonly flag: Flag;
  private readonly listedUsers: ReadonlySet<string>;
  private readonly strategyUsers: ReadonlySet<string>;
  private readonly rings: ReadonlySet<string>;
  private readonly salt: BucketSalt;
  private readonly threshold: number;
  private readonly betaLevel: AccessLevel | undefined;
  /**
   * The hot path, specialised once per flag: 1 on, 0 off, -1 "ask {@link CompiledFlag.decide}"
   * (deprecated flags, beta flags, malformed contexts), so events and reasons stay exact.
   * A property test holds it equal to `decide`.
   */
  readonly quick: (context: EvaluationContext | undefined, clock: Clock) => number;

  constructor(flag: Flag) {
    this.flag = flag;
    this.listedUsers = new Set(flag.enabledUsers);
    const strategy = flag.strategy;
    this.strategyUsers = new Set(strategy.type === 'userList' ? strategy.userIds : []);
    this.rings = new Set(strategy.type === 'ring' ? strategy.rings : []);
    this.salt = prepareSalt(flag.salt ?? flag.key);
    this.threshold = strategy.type === 'percentage' ? thresholdFor(strategy.percentage) : 0;
    this.betaLevel = flag.accessLevel;
    this.quick = this.specialise();
  }

  private specialise(): (context: EvaluationContext | undefined, clock: Clock) => number {
    const flag = this.flag;
    if (flag.state === 'enabled') return () => 1;
    if (flag.state === 'disabled') return () => 0;
    if (flag.state !== 'rollout') return () => -1;
    const strategy = flag.strategy;
    const listed = this.listedUsers;
    const anyListed = listed.size > 0;
    if (strategy.type === 'percentage') {
      const salt = this.salt;
      const threshold = this.threshold;
      return (context) => {
        if (context == null) return 0;
        const userId = context.userId;
        if (typeof userId !== 'string') return userId === undefined ? 0 : -1;
        if (userId.length === 0) return 0;
        if (anyListed && listed.has(userId)) return 1;
        return bucketWithSalt(salt, userId) < threshold ? 1 : 0;
      };
    }
    if (strategy.type === 'userList') {
      const users = this.strategyUsers;
      return (context) => {
        if (context == null) return 0;
        const userId = context.userId;
        if (typeof userId !== 'string') return userId === undefined ? 0 : -1;
        return userId.length !== 0 && (users.has(userId) || (anyListed && listed.has(userId))) ? 1 : 0;
      };
    }
    if (strategy.type === 'ring') {
      const rings = this.rings;
      return (context) => {
        if (context == null) return rings.has(DEFAULT_RING) ? 1 : 0;
        const userId = context.userId;
        const ring = context.ring;
        if ((userId !== undefined && typeof userId !== 'string') || (ring !== undefined && typeof ring !== 'string')) return -1;
        if (anyListed && userId !== undefined && userId.length !== 0 && listed.has(userId)) return 1;
        return rings.has(ring ?? DEFAULT_RING) ? 1 : 0;
      };
    }
    return () => -1;
  }

  /**
   * Decides without allocating. The bucket and threshold used (if any) are left in
   * module slots for {@link CompiledFlag.evaluate} to read.
   */
  decide(context: EvaluationContext | undefined, clock: Clock): EvaluationReason {
    lastBucket = -1;
    lastThreshold = -1;
    const flag = this.flag;
    switch (flag.state) {
      case 'disabled':
        return 'DISABLED';
      case 'enabled':
        return 'ENABLED';
      case 'deprecated':
        return 'DEPRECATED';
      default:
        break;
    }
    const userId = context?.userId;
    if (userId !== undefined && typeof userId !== 'string') return 'INVALID_CONTEXT';
    const hasUser = userId !== undefined && userId.length > 0;
    if (hasUser && this.listedUsers.has(userId)) return 'LISTED_USER';
    if (flag.state === 'beta' && context != null) {
      const granted = context.earlyAccessFeatures;
      if (granted !== undefined && Array.isArray(granted) && granted.includes(flag.key)) return 'EARLY_ACCESS';
      const level = context.accessLevel;
      if (this.betaLevel !== undefined && level !== undefined && accessLevelQualifies(level, this.betaLevel)) return 'EARLY_ACCESS';
    }
    const strategy = flag.strategy;
    switch (strategy.type) {
      case 'percentage': {
        if (!hasUser) return 'NO_USER_ID';
        const bucket = bucketWithSalt(this.salt, userId);
        lastBucket = bucket;
        lastThreshold = this.threshold;
        return bucket < this.threshold ? 'IN_PERCENTAGE' : 'OUTSIDE_PERCENTAGE';
      }
      case 'userList':
        if (!hasUser) return 'NO_USER_ID';
        return this.strategyUsers.has(userId) ? 'USER_LIST_MATCH' : 'USER_LIST_NO_MATCH';
      case 'ring': {
        const ring = context?.ring;
        if (ring !== undefined && typeof ring !== 'string') return 'INVALID_CONTEXT';
        return this.rings.has(ring ?? DEFAULT_RING) ? 'RING_MATCH' : 'RING_NO_MATCH';
      }
      case 'gradual': {
        // Only ramps read the clock, so other strategies never pay for it.
        const now = clock.now();
        if (now < strategy.startAt) return 'RAMP_NOT_STARTED';
        if (now >= strategy.endAt) return 'RAMP_COMPLETE';
        if (!hasUser) return 'NO_USER_ID';
        const threshold = rampThreshold(strategy.startAt, strategy.endAt, now);
        const bucket = bucketWithSalt(this.salt, userId);
        lastBucket = bucket;
        lastThreshold = threshold;
        return bucket < threshold ? 'IN_RAMP' : 'OUTSIDE_RAMP';
      }
    }
  }

  /** Whether the flag is on for `context` at the clock's time. */
  isEnabled(context: EvaluationContext | undefined, clock: Clock): boolean {
    return ON[this.decide(context, clock)];
  }

  /** The full explainable result for `context` at the clock's time. */
  evaluate(context: EvaluationContext | undefined, clock: Clock): EvaluationResult {
    const reason = this.decide(context, clock);
    return this.resultFor(reason, lastBucket, lastThreshold);
  }

  /** Builds the result object for a decision already made. */
  resultFor(reason: EvaluationReason, bucket: number, threshold: number): EvaluationResult {
    const flag = this.flag;
    return {
      flagKey: flag.key,
      enabled: ON[reason],
      reason,
      state: flag.state,
      strategy: flag.strategy.type,
      hashVersion: flag.hashVersion,
      ...(bucket >= 0 ? { bucket, threshold } : {}),
      ...(reason === 'INVALID_CONTEXT' ? { errorMessage: 'context.userId and context.ring must be strings' } : {}),
    };
  }
}

/** The bucket threshold of a gradual ramp at `now` (0 at `startAt`, 100,000 at `endAt`); never decreases as `now` grows. */
export function rampThreshold(startAt: number, endAt: number, now: number): number {
  if (now <= startAt) return 0;
  if (now >= endAt) return BUCKET_COUNT;
  return Math.floor(((now - startAt) / (endAt - startAt)) * BUCKET_COUNT);
}

/** The percentage (0–100) a gradual ramp has reached at `now`. */
export function rampPercentage(startAt: number, endAt: number, now: number): number {
  return rampThreshold(startAt, endAt, now) / (BUCKET_COUNT / 100);
}

const compiled = new WeakMap<Flag, CompiledFlag>();

/** The compiled form of `flag`, cached per flag object (flags are treated as immutable). */
export function compileFlag(flag: Flag): CompiledFlag {
  let entry = compiled.get(flag);
  if (entry === undefined) {
    entry = new CompiledFlag(flag);
    compiled.set(flag, entry);
  }
  return entry;
}

/**
 * The pure evaluator: same flag, context and time give the same answer on every machine.
 * No I/O and no clock reads; pass `now` (epoch ms) yourself. Never throws for a flag that
 * passed validation: a malformed context gives `INVALID_CONTEXT`.
 *
 * @example
 * ```ts
 * const result = evaluateFlag(flag, { userId: 'u-42' }, Date.now());
 * result.enabled; // true
 * result.reason;  // 'IN_PERCENTAGE'
 * result.bucket;  // 8123 (of 100,000)
 * ```
 */
export function evaluateFlag(flag: Flag, context: EvaluationContext | undefined, now: number): EvaluationResult {
  return compileFlag(flag).evaluate(context, { now: () => now });
}

/** The result for a flag key that does not exist. */
export function notFoundResult(flagKey: string): EvaluationResult {
  return { flagKey, enabled: false, reason: 'FLAG_NOT_FOUND' };
}

/** One sentence explaining a result, for logs, the CLI and support tickets. */
export function explainEvaluation(result: EvaluationResult): string {
  const onOff = result.enabled ? 'on' : 'off';
  const where =
    result.bucket !== undefined && result.threshold !== undefined
      ? ` (bucket ${result.bucket} ${result.bucket < result.threshold ? '<' : '>='} threshold ${result.threshold} of ${BUCKET_COUNT})`
      : '';
  const why: Record<EvaluationReason, string> = {
    FLAG_NOT_FOUND: 'no such flag',
    DISABLED: 'the flag is disabled',
    ENABLED: 'the flag is enabled for everyone',
    DEPRECATED: 'the flag is deprecated',
    LISTED_USER: 'the user is listed on the flag',
    EARLY_ACCESS: "the user's early-access level qualifies for this beta flag",
    USER_LIST_MATCH: "the user is in the strategy's user list",
    USER_LIST_NO_MATCH: "the user is not in the strategy's user list",
    IN_PERCENTAGE: "the user's bucket is inside the percentage",
    OUTSIDE_PERCENTAGE: "the user's bucket is outside the percentage",
    RING_MATCH: "the context's ring is one of the flag's rings",
    RING_NO_MATCH: "the context's ring is not one of the flag's rings",
    RAMP_NOT_STARTED: 'the gradual ramp has not started',
    IN_RAMP: "the user's bucket is inside the ramp's current percentage",
    OUTSIDE_RAMP: "the user's bucket is outside the ramp's current percentage",
    RAMP_COMPLETE: 'the gradual ramp is complete',
    NO_USER_ID: 'the strategy needs a user id and none was given',
    INVALID_CONTEXT: `the context is invalid${result.errorMessage ? `: ${result.errorMessage}` : ''}`,
    OVERRIDE_ON: 'forced on by an override',
    OVERRIDE_OFF: 'forced off by an override',
    ERROR: `evaluation failed${result.errorMessage ? `: ${result.errorMessage}` : ''}`,
  };
  return `${result.flagKey} is ${onOff}: ${why[result.reason]}${where} [${result.reason}]`;
}

/** The version of the bucketing algorithm this build implements. */
export { HASH_VERSION };
