import type { Clock } from '../clock.js';
import { ValidationError } from '../errors.js';
import { BUCKET_COUNT, HASH_VERSION, bucketWithSalt, prepareSalt } from './bucket.js';
import { INVALID_FIELD, readField, readUserId, type EvaluationContext } from './context.js';
import { ACCESS_LEVELS, type AccessLevel, type Flag, type FlagState } from './model.js';
import { REASON_INFO, isOnReason, type EvaluationReason } from './reasons.js';
import { strategyByType, type Strategy, type StrategyType } from './strategies/index.js';
import { decisionTrace, type CompiledStrategy, type PreparedFlag } from './strategies/strategy.js';
import type { RuleTrace } from './rules.js';
import type { Segment } from './segments.js';
import { EMPTY_ENVIRONMENT, FlagTargeting, PrerequisiteOutcome, failedPrerequisite, failedPrerequisiteOutcome, failedPrerequisiteState, type TargetingEnvironment } from './targeting.js';

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
  /** The id of the targeting rule that decided, when one matched. */
  readonly ruleId?: string;
  /**
   * For a flag with rules, each rule tried in order: whether it matched, and if not, the first
   * condition that failed. Absent when the flag has no rules or rules were not reached.
   */
  readonly rules?: readonly RuleTrace[];
  /** For `PREREQUISITE_FAILED`: which prerequisite, what it required, and what the flag was. */
  readonly prerequisite?: { readonly flag: string; readonly required: boolean; readonly actual: 'on' | 'off' | 'missing' | 'too deep' };
  /** The attribute bucketing read, when it is not the user id. */
  readonly bucketBy?: string;
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

// Which step decided, for `evaluate` to explain: the matched rule's index, or -1; and whether
// the rules were tried at all. Module slots, like `decisionTrace`, so deciding allocates nothing.
let matchedRule = -1;
let rulesTried = false;
let decidedAt = 0;

/**
 * A flag prepared for fast repeated evaluation: lookups are sets and the salt's
 * hash state is precomputed. Built once per flag version by the client.
 */
export class CompiledFlag {
  readonly flag: Flag;
  private readonly listedUsers: ReadonlySet<string>;
  private readonly strategy: CompiledStrategy<EvaluationReason>;
  private readonly betaLevel: AccessLevel | undefined;
  private readonly salt: PreparedFlag['salt'];
  /** Prerequisites, rules and `bucketBy`; `undefined` for a flag that uses none of them (the plain, fastest path). */
  readonly targeting: FlagTargeting | undefined;
  /** Whether the strategy hashes an id into a bucket, and so follows `bucketBy`. */
  private readonly strategyBuckets: boolean;
  /**
   * The hot path, specialised once per flag: 1 on, 0 off, -1 "ask {@link CompiledFlag.decide}"
   * (deprecated flags, beta flags, ramps, malformed contexts), so events and reasons stay exact.
   * A property test holds it equal to `decide`.
   */
  readonly quick: (context: EvaluationContext | undefined, clock: Clock) => number;

  /**
   * @param environment where the flag's rules find segments and its prerequisites find other
   * flags (the client's snapshot); without one, named segments and prerequisites are missing.
   */
  constructor(flag: Flag, environment: TargetingEnvironment = EMPTY_ENVIRONMENT) {
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
    this.strategyBuckets = definition.bucketing === true;
    this.salt = prepared.salt;
    const targeting = new FlagTargeting(flag, environment);
    this.targeting = targeting.active ? targeting : undefined;
    this.betaLevel = flag.accessLevel;
    this.quick = this.specialise();
  }

  private specialise(): (context: EvaluationContext | undefined, clock: Clock) => number {
    const state = this.flag.state;
    if (state === 'enabled') return () => 1;
    if (state === 'disabled') return () => 0;
    if (state !== 'rollout') return () => -1;
    const targeting = this.targeting;
    if (targeting === undefined) return this.strategy.quick ?? (() => -1);
    return targeting.prerequisites.length === 0 && !targeting.readsClock ? this.quickTargeted(targeting) : () => -1;
  }

  /**
   * The hot path of a `rollout` flag with rules or `bucketBy` (no prerequisites, no clock): the
   * steps of {@link CompiledFlag.decide} without the reasons, reading the user id once.
   */
  private quickTargeted(targeting: FlagTargeting): (context: EvaluationContext | undefined, clock: Clock) => number {
    const { listedUsers: listed, salt, strategy } = this;
    const anyListed = listed.size > 0;
    const rules = targeting.rules;
    const byUserId = targeting.bucketsByUserId;
    const strategyBuckets = this.strategyBuckets;
    return (context, clock) => {
      const read = readUserId(context);
      if (read === INVALID_FIELD) return -1;
      const userId = read !== undefined && read.length > 0 ? read : undefined;
      if (anyListed && userId !== undefined && listed.has(userId)) return 1;
      const index = rules.firstMatch(context, 0);
      if (index >= 0) {
        const rule = rules.rules[index]!;
        if (rule.serve.type !== 'percentage') return rule.serve.type === 'on' ? 1 : 0;
        const bucket = byUserId ? (userId === undefined ? -1 : bucketWithSalt(salt, userId)) : targeting.bucket(salt, context, 0);
        return bucket >= 0 && bucket < rule.threshold ? 1 : 0;
      }
      let reason: EvaluationReason;
      if (byUserId || !strategyBuckets) reason = strategy.decide(userId, context, clock);
      else {
        const value = targeting.bucketValue(context, 0);
        if (value === undefined) return 0;
        reason = strategy.decide(value, context, clock);
      }
      return reason === 'INVALID_CONTEXT' ? -1 : isOnReason(reason) ? 1 : 0;
    };
  }

  /**
   * Decides without allocating and without throwing, whatever `context` is. The bucket and
   * threshold used (if any) are left in {@link decisionTrace} for {@link CompiledFlag.evaluate}.
   */
  decide(context: EvaluationContext | undefined, clock: Clock): EvaluationReason {
    decisionTrace.bucket = -1;
    decisionTrace.threshold = -1;
    matchedRule = -1;
    rulesTried = false;
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
    const targeting = this.targeting;
    if (targeting !== undefined && targeting.prerequisites.length > 0) {
      const outcome = targeting.checkPrerequisites(context, clock);
      // The prerequisites' own decisions used the shared slots: clear them for this flag's.
      decisionTrace.bucket = -1;
      decisionTrace.threshold = -1;
      matchedRule = -1;
      rulesTried = false;
      if (outcome !== PrerequisiteOutcome.HOLDS) return 'PREREQUISITE_FAILED';
    }
    if (userId !== undefined && this.listedUsers.has(userId)) return 'LISTED_USER';
    if (flag.state === 'beta' && context != null) {
      const granted = this.earlyAccessGranted(context);
      if (granted === INVALID_FIELD) return 'INVALID_CONTEXT';
      if (granted) return 'EARLY_ACCESS';
    }
    if (targeting === undefined) return this.strategy.decide(userId, context, clock);
    return this.decideTargeted(targeting, userId, context, clock);
  }

  /** Rules first (the first match decides), then the strategy, bucketing by `bucketBy`. Allocation-free. */
  private decideTargeted(targeting: FlagTargeting, userId: string | undefined, context: EvaluationContext | undefined, clock: Clock): EvaluationReason {
    const rules = targeting.rules;
    // Only conditions on `currentTime` need the clock. Reading it otherwise would also cost an
    // allocation per call: epoch milliseconds do not fit a small integer, so V8 boxes them.
    const now = targeting.readsClock ? clock.now() : 0;
    if (now !== 0) decidedAt = now;
    if (rules.rules.length > 0) {
      rulesTried = true;
      const index = rules.firstMatch(context, now);
      if (index >= 0) {
        matchedRule = index;
        const rule = rules.rules[index]!;
        switch (rule.serve.type) {
          case 'on':
            return 'RULE_MATCH';
          case 'off':
            return 'RULE_MATCH_OFF';
          default: {
            // The user id read above, not a second read (a getter may answer differently).
            const bucket = targeting.bucketsByUserId ? (userId === undefined ? -1 : bucketWithSalt(this.salt, userId)) : targeting.bucket(this.salt, context, now);
            if (bucket < 0) return targeting.bucketsByUserId ? 'NO_USER_ID' : 'NO_BUCKET_VALUE';
            decisionTrace.bucket = bucket;
            decisionTrace.threshold = rule.threshold;
            return bucket < rule.threshold ? 'RULE_IN_PERCENTAGE' : 'RULE_OUTSIDE_PERCENTAGE';
          }
        }
      }
    }
    if (targeting.bucketsByUserId || !this.strategyBuckets) return this.strategy.decide(userId, context, clock);
    const value = targeting.bucketValue(context, now);
    if (value === undefined) return 'NO_BUCKET_VALUE';
    return this.strategy.decide(value, context, clock);
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
    const result = this.resultFor(reason, decisionTrace.bucket, decisionTrace.threshold);
    const targeting = this.targeting;
    if (targeting === undefined) return result;
    return { ...result, ...this.targetingDetails(targeting, reason, context) };
  }

  /** What targeting contributed to the last decision, for `evaluate` (allocates; never on the `isEnabled` path). */
  private targetingDetails(targeting: FlagTargeting, reason: EvaluationReason, context: EvaluationContext | undefined): Partial<EvaluationResult> {
    const details: { -readonly [K in keyof EvaluationResult]?: EvaluationResult[K] } = {};
    if (!targeting.bucketsByUserId) details.bucketBy = targeting.bucketBy;
    if (reason === 'PREREQUISITE_FAILED') {
      const prerequisite = targeting.prerequisites[failedPrerequisite];
      if (prerequisite !== undefined) {
        const actual =
          failedPrerequisiteOutcome === PrerequisiteOutcome.TOO_DEEP ? 'too deep' : failedPrerequisiteState === 1 ? 'on' : failedPrerequisiteState === 0 ? 'off' : 'missing';
        details.prerequisite = { flag: prerequisite.flag, required: prerequisite.enabled, actual };
      }
      return details;
    }
    const index = matchedRule;
    const tried = rulesTried;
    if (index >= 0) details.ruleId = targeting.rules.rules[index]!.rule.id;
    if (tried) details.rules = targeting.rules.trace(context, targeting.rules.usesClock ? decidedAt : 0);
    return details;
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
export function evaluateFlag(flag: Flag, context: EvaluationContext | undefined, now: number, environment?: TargetingEnvironment): EvaluationResult {
  const compiledFlag = environment === undefined ? compileFlag(flag) : new CompiledFlag(flag, environment);
  return compiledFlag.evaluate(context, { now: () => now });
}

/**
 * A targeting environment over plain lists, for the pure evaluator: rules find `segments` by
 * key, and prerequisites evaluate `flags` (in the same environment, at the same clock).
 *
 * @example
 * ```ts
 * const environment = targetingEnvironment({ segments: [euCustomers], flags: [killSwitch] });
 * evaluateFlag(flag, { userId: 'u-1', attributes: { country: 'DE' } }, Date.now(), environment);
 * ```
 */
export function targetingEnvironment(data: { readonly segments?: readonly Segment[]; readonly flags?: readonly Flag[] }): TargetingEnvironment {
  const segments = new Map((data.segments ?? []).map((segment) => [segment.key, segment]));
  const flags = new Map<string, Flag>((data.flags ?? []).map((flag) => [flag.key, flag]));
  const compiledFlags = new Map<string, CompiledFlag>();
  const environment: TargetingEnvironment = {
    segment: (key) => segments.get(key),
    flagState(key, context, clock) {
      let compiledFlag = compiledFlags.get(key);
      if (compiledFlag === undefined) {
        const flag = flags.get(key);
        if (flag === undefined) return -1;
        compiledFlag = new CompiledFlag(flag, environment);
        compiledFlags.set(key, compiledFlag);
      }
      return isOnReason(compiledFlag.decide(context, clock)) ? 1 : 0;
    },
  };
  return environment;
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
  const why = `${REASON_INFO[result.reason]?.explain ?? 'unknown reason'}${detail}${targetingClause(result)}`;
  return `${result.flagKey} is ${onOff}: ${why}${where} [${result.reason}]`;
}

/** The words `explainEvaluation` adds for rules, prerequisites and `bucketBy`. */
function targetingClause(result: EvaluationResult): string {
  const parts: string[] = [];
  const prerequisite = result.prerequisite;
  if (prerequisite) parts.push(` ('${prerequisite.flag}' must be ${prerequisite.required ? 'on' : 'off'} and is ${prerequisite.actual})`);
  if (result.ruleId !== undefined) parts.push(` (rule '${result.ruleId}')`);
  const failed = (result.rules ?? []).filter((trace) => !trace.matched);
  if (failed.length > 0) {
    const list = failed.map((trace) => `rule '${trace.ruleId}': ${trace.failure?.message ?? 'did not match'}`).join('; ');
    parts.push(result.ruleId === undefined ? `; no rule matched (${list})` : `; earlier rules did not match (${list})`);
  }
  if (result.bucketBy !== undefined && result.bucket !== undefined) parts.push(`; bucketed by ${result.bucketBy}`);
  return parts.join('');
}

/** The version of the bucketing algorithm this build implements. */
export { HASH_VERSION };
