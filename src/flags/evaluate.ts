import type { Clock } from '../clock.js';
import { ValidationError } from '../errors.js';
import { BUCKET_COUNT, HASH_VERSION, prepareSalt } from './bucket.js';
import { INVALID_FIELD, readField, readUserId, type EvaluationContext } from './context.js';
import { ACCESS_LEVELS, type AccessLevel, type Flag, type FlagState } from './model.js';
import { REASON_INFO, isOnReason, type EvaluationReason } from './reasons.js';
import { strategyByType, type Strategy, type StrategyType } from './strategies/index.js';
import { decisionTrace, type CompiledStrategy, type PreparedFlag } from './strategies/strategy.js';

export { EvaluationReasons, REASON_INFO, isOnReason } from './reasons.js';
export type { EvaluationReason } from './reasons.js';
export { rampPercentage, rampThreshold } from './strategies/gradual.js';

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

const LEVEL_RANK: ReadonlyMap<unknown, number> = new Map(ACCESS_LEVELS.map((level, rank) => [level, rank]));

/** Whether a member at `member` level gets features gated at `required` level (levels nest: alpha ⊇ beta ⊇ preview ⊇ stable). */
export function accessLevelQualifies(member: AccessLevel, required: AccessLevel): boolean {
  // A Map, not an object: a level read from a context may be any value (even '__proto__').
  const memberRank = LEVEL_RANK.get(member);
  const requiredRank = LEVEL_RANK.get(required);
  return memberRank !== undefined && requiredRank !== undefined && memberRank <= requiredRank;
}

type AnyCompile = (strategy: Strategy, flag: PreparedFlag) => CompiledStrategy<EvaluationReason>;

/**
 * A flag prepared for fast repeated evaluation: lookups are sets and the salt's
 * hash state is precomputed. Built once per flag version by the client.
 */
export class CompiledFlag {
  readonly flag: Flag;
  private readonly listedUsers: ReadonlySet<string>;
  private readonly strategy: CompiledStrategy<EvaluationReason>;
  private readonly betaLevel: AccessLevel | undefined;
  /**
   * The hot path, specialised once per flag: 1 on, 0 off, -1 "ask {@link CompiledFlag.decide}"
   * (deprecated flags, beta flags, ramps, malformed contexts), so events and reasons stay exact.
   * A property test holds it equal to `decide`.
   */
  readonly quick: (context: EvaluationContext | undefined, clock: Clock) => number;

  constructor(flag: Flag) {
    this.flag = flag;
    this.listedUsers = new Set(flag.enabledUsers);
    const prepared: PreparedFlag = {
      key: flag.key,
      listed: this.listedUsers,
      anyListed: this.listedUsers.size > 0,
      salt: prepareSalt(flag.salt ?? flag.key),
    };
    const definition = strategyByType.get(flag.strategy.type);
    if (definition === undefined) throw new ValidationError(`flag '${flag.key}'`, [{ path: 'strategy.type', message: `unknown strategy '${flag.strategy.type}'` }]);
    this.strategy = (definition.compile as unknown as AnyCompile)(flag.strategy, prepared);
    this.betaLevel = flag.accessLevel;
    this.quick = this.specialise();
  }

  private specialise(): (context: EvaluationContext | undefined, clock: Clock) => number {
    const state = this.flag.state;
    if (state === 'enabled') return () => 1;
    if (state === 'disabled') return () => 0;
    if (state !== 'rollout') return () => -1;
    return this.strategy.quick ?? (() => -1);
  }

  /**
   * Decides without allocating and without throwing, whatever `context` is. The bucket and
   * threshold used (if any) are left in {@link decisionTrace} for {@link CompiledFlag.evaluate}.
   */
  decide(context: EvaluationContext | undefined, clock: Clock): EvaluationReason {
    decisionTrace.bucket = -1;
    decisionTrace.threshold = -1;
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
    const read = readUserId(context);
    if (read === INVALID_FIELD) return 'INVALID_CONTEXT';
    const userId = read !== undefined && read.length > 0 ? read : undefined;
    if (userId !== undefined && this.listedUsers.has(userId)) return 'LISTED_USER';
    if (flag.state === 'beta' && context != null) {
      const granted = this.earlyAccessGranted(context);
      if (granted === INVALID_FIELD) return 'INVALID_CONTEXT';
      if (granted) return 'EARLY_ACCESS';
    }
    return this.strategy.decide(userId, context, clock);
  }

  /** Whether the context's early-access fields grant this beta flag; reads each field once. */
  private earlyAccessGranted(context: EvaluationContext): boolean | typeof INVALID_FIELD {
    const granted = readField(context, 'earlyAccessFeatures');
    if (granted === INVALID_FIELD) return INVALID_FIELD;
    try {
      // A host array (or a Proxy of one) may throw from `includes`; that is a bad context, not a crash.
      if (granted !== undefined && Array.isArray(granted) && granted.includes(this.flag.key)) return true;
    } catch {
      return INVALID_FIELD;
    }
    const level = readField(context, 'accessLevel');
    if (level === INVALID_FIELD) return INVALID_FIELD;
    return this.betaLevel !== undefined && level !== undefined && accessLevelQualifies(level as AccessLevel, this.betaLevel);
  }

  /** Whether the flag is on for `context` at the clock's time. */
  isEnabled(context: EvaluationContext | undefined, clock: Clock): boolean {
    return isOnReason(this.decide(context, clock));
  }

  /** The full explainable result for `context` at the clock's time. */
  evaluate(context: EvaluationContext | undefined, clock: Clock): EvaluationResult {
    const reason = this.decide(context, clock);
    return this.resultFor(reason, decisionTrace.bucket, decisionTrace.threshold);
  }

  /** Builds the result object for a decision already made. */
  resultFor(reason: EvaluationReason, bucket: number, threshold: number): EvaluationResult {
    const flag = this.flag;
    return {
      flagKey: flag.key,
      enabled: isOnReason(reason),
      reason,
      state: flag.state,
      strategy: flag.strategy.type,
      hashVersion: flag.hashVersion,
      ...(bucket >= 0 ? { bucket, threshold } : {}),
      ...(reason === 'INVALID_CONTEXT' ? { errorMessage: 'context fields must be readable, and context.userId and context.ring must be strings' } : {}),
    };
  }
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
  const detail = (result.reason === 'INVALID_CONTEXT' || result.reason === 'ERROR') && result.errorMessage ? `: ${result.errorMessage}` : '';
  const why = `${REASON_INFO[result.reason]?.explain ?? 'unknown reason'}${detail}`;
  return `${result.flagKey} is ${onOff}: ${why}${where} [${result.reason}]`;
}

/** The version of the bucketing algorithm this build implements. */
export { HASH_VERSION };
