import type { Clock } from '../clock.js';
import { ValidationError } from '../errors.js';
import { BUCKET_COUNT, HASH_VERSION, bucketWithSalt, prepareSalt, prepareVariantSalt } from './bucket.js';
import { INVALID_FIELD, readField, readUserId, type EvaluationContext } from './context.js';
import { ACCESS_LEVELS, type AccessLevel, type Flag, type FlagState } from './model.js';
import { REASON_INFO, isOnReason, type EvaluationReason } from './reasons.js';
import { strategyByType, type Strategy, type StrategyType } from './strategies/index.js';
import { decisionTrace, type CompiledStrategy, type OpenFeatureErrorCode, type OpenFeatureReason, type PreparedFlag } from './strategies/strategy.js';
import { CompiledVariants, type CompiledServing, type FlagValue, type ValueType } from './variants.js';
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
  /**
   * The variant served: its name, or `on`/`off` for a boolean flag without declared variants.
   * Absent when the flag does not exist or evaluation failed (`variantReason` `ERROR`).
   */
  readonly variant?: string;
  /** The value served (the variant's value); absent when `variant` is. */
  readonly value?: FlagValue;
  /** The flag's value type, when the flag exists. */
  readonly valueType?: ValueType;
  /**
   * How the value was chosen, in OpenFeature's terms: `STATIC` (the same for everyone),
   * `TARGETING_MATCH` (a target, rule or prerequisite), `SPLIT` (a bucket decided), `DEFAULT`
   * (rules were tried and none matched), `DISABLED` (the flag is off for everyone) or `ERROR`.
   */
  readonly variantReason?: VariantReason;
  /** The user's variant bucket (0–99,999, the variant seed), when a split chose the variant. */
  readonly variantBucket?: number;
  /** For `variantReason` `ERROR`: what kind of error, in OpenFeature's codes (plus `TYPE_MISMATCH`). */
  readonly errorCode?: EvaluationErrorCode;
}

/** The listed users of every flag that lists none. */
const NO_USERS: ReadonlySet<string> = new Set();

/** How a value was chosen: OpenFeature's standard resolution reasons. */
export type VariantReason = OpenFeatureReason;

/** The kind of an evaluation error: OpenFeature's error codes, and `TYPE_MISMATCH` for a fallback of the wrong type. */
export type EvaluationErrorCode = OpenFeatureErrorCode | 'TYPE_MISMATCH';

const LEVEL_RANK: ReadonlyMap<unknown, number> = new Map(ACCESS_LEVELS.map((level, rank) => [level, rank]));

/** Whether a member at `member` level gets features gated at `required` level (levels nest: alpha ⊇ beta ⊇ preview ⊇ stable). */
export function accessLevelQualifies(member: AccessLevel, required: AccessLevel): boolean {
  // A Map, not an object: a level read from a context may be any value (even '__proto__').
  const memberRank = LEVEL_RANK.get(member);
  const requiredRank = LEVEL_RANK.get(required);
  return memberRank !== undefined && requiredRank !== undefined && memberRank <= requiredRank;
}

/** Whether the context has a readable, non-empty string user id. Never throws. */
function hasUserId(context: EvaluationContext | undefined): boolean {
  const userId = readUserId(context);
  return userId !== INVALID_FIELD && userId !== undefined && userId.length > 0;
}

type AnyCompile = (strategy: Strategy, flag: PreparedFlag) => CompiledStrategy<EvaluationReason>;

// Which step decided, for `evaluate` to explain: the matched rule's index, or -1; and whether
// the rules were tried at all. Module slots, like `decisionTrace`, so deciding allocates nothing.
let matchedRule = -1;
let rulesTried = false;
let decidedAt = 0;
// The variant a flag with declared variants served (its index, -1 for none), whether a split
// chose it, and the variant bucket used: set by `decide`, read by `evaluate` and `variantOf`.
let servedVariant = -1;
let servedBySplit = false;
let variantBucketUsed = -1;

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
  /** The flag's variants (implicit `on`/`off` for a boolean flag that declares none). */
  readonly variants: CompiledVariants;
  /** For each rule, the variant or split it serves (flags with declared variants only). */
  private readonly ruleServings: readonly (CompiledServing | undefined)[];
  /**
   * The hot path of `getValue`: `(variant index << 1) | on`, or -1 "ask {@link CompiledFlag.decide}".
   * A property test holds it equal to `decide`.
   */
  readonly quickVariant: (context: EvaluationContext | undefined, clock: Clock) => number;

  /**
   * @param environment where the flag's rules find segments and its prerequisites find other
   * flags (the client's snapshot); without one, named segments and prerequisites are missing.
   */
  constructor(flag: Flag, environment: TargetingEnvironment = EMPTY_ENVIRONMENT) {
    this.flag = flag;
    // Most flags list nobody: they share one empty set (an empty Set costs about 150 bytes).
    this.listedUsers = flag.enabledUsers.length === 0 ? NO_USERS : new Set(flag.enabledUsers);
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
    this.variants = new CompiledVariants(flag, prepareVariantSalt(flag.salt ?? flag.key));
    this.ruleServings = this.variants.declared
      ? (flag.rules ?? []).map((rule) => (rule.serve.type === 'variant' || rule.serve.type === 'split' ? this.variants.serving(rule.serve) : undefined))
      : [];
    if (this.variants.declared) {
      this.quickVariant = this.specialiseVariant();
      this.quick = this.quickFromVariant();
    } else {
      this.quick = this.specialise();
      this.quickVariant = this.variantFromQuick();
    }
  }

  /** For a flag with declared variants, `isEnabled`'s hot path: the value of a boolean flag, else whether it is on. */
  private quickFromVariant(): (context: EvaluationContext | undefined, clock: Clock) => number {
    const quickVariant = this.quickVariant;
    if (this.variants.valueType !== 'boolean') {
      return (context, clock) => {
        const answer = quickVariant(context, clock);
        return answer < 0 ? -1 : answer & 1;
      };
    }
    const values = this.variants.values;
    return (context, clock) => {
      const answer = quickVariant(context, clock);
      return answer < 0 ? -1 : values[answer >> 1] === true ? 1 : 0;
    };
  }

  /** For a flag without declared variants: the boolean hot path, as `on` (index 0) or `off` (index 1). */
  private variantFromQuick(): (context: EvaluationContext | undefined, clock: Clock) => number {
    const quick = this.quick;
    return (context, clock) => {
      const answer = quick(context, clock);
      if (answer === 1) return 1;
      // Off for want of a user id is an error for a value (the caller's fallback): ask decide.
      return answer === 0 && hasUserId(context) ? 2 : -1;
    };
  }

  /**
   * The hot path of `getValue` for a flag with declared variants, specialised once per flag
   * version for the common shapes (off; on for everyone; a plain percentage rollout), each with
   * a fixed variant or a split as the fallthrough. Anything else asks `decide`.
   */
  private specialiseVariant(): (context: EvaluationContext | undefined, clock: Clock) => number {
    const variants = this.variants;
    const state = this.flag.state;
    const off = variants.off << 1;
    if (state === 'disabled') return () => off;
    if (this.targeting !== undefined || variants.anyTargets) return () => -1;
    const fallthrough = variants.fallthrough;
    const split = fallthrough.split;
    const salt = variants.salt;
    // Serving the fallthrough to the user the context names: (index << 1) | 1, or -1 to ask decide.
    const serve: (context: EvaluationContext | undefined) => number =
      split === undefined
        ? ((on) => () => on)((fallthrough.index << 1) | 1)
        : (context) => {
            const userId = readUserId(context);
            if (userId === INVALID_FIELD || userId === undefined || userId.length === 0) return -1;
            return (split.pick(bucketWithSalt(salt, userId)) << 1) | 1;
          };
    if (state === 'enabled') return serve;
    if (state !== 'rollout') return () => -1;
    const quick = this.strategy.quick;
    if (quick === undefined) return () => -1;
    return (context, clock) => {
      const answer = quick(context, clock);
      if (answer < 0) return -1;
      // Off for want of a user id is an error for a value (the caller's fallback): ask decide.
      return answer === 1 ? serve(context) : hasUserId(context) ? off : -1;
    };
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
    if (this.variants.declared) return this.decideDeclared(context, clock);
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

  /**
   * `decide` for a flag with declared variants: the same steps as a boolean flag (state,
   * prerequisites, listed users, early access, rules, strategy), with three differences. An
   * `enabled` flag still runs its targets and rules (only the strategy is skipped); individual
   * targets come before the listed users; and every step that turns the flag on serves a variant:
   * the target's, the rule's, or the fallthrough. Off serves the off variant. The variant is left
   * in module slots ({@link CompiledFlag.variantOf}). Allocation-free.
   */
  private decideDeclared(context: EvaluationContext | undefined, clock: Clock): EvaluationReason {
    decisionTrace.bucket = -1;
    decisionTrace.threshold = -1;
    matchedRule = -1;
    rulesTried = false;
    servedBySplit = false;
    variantBucketUsed = -1;
    const variants = this.variants;
    servedVariant = variants.off;
    const flag = this.flag;
    if (flag.state === 'disabled') return 'DISABLED';
    if (flag.state === 'deprecated') return 'DEPRECATED';
    servedVariant = -1;
    const read = readUserId(context);
    if (read === INVALID_FIELD) return 'INVALID_CONTEXT';
    const userId = read !== undefined && read.length > 0 ? read : undefined;
    const targeting = this.targeting;
    if (targeting !== undefined && targeting.prerequisites.length > 0) {
      const outcome = targeting.checkPrerequisites(context, clock);
      decisionTrace.bucket = -1;
      decisionTrace.threshold = -1;
      matchedRule = -1;
      rulesTried = false;
      servedBySplit = false;
      variantBucketUsed = -1;
      if (outcome !== PrerequisiteOutcome.HOLDS) {
        servedVariant = variants.off;
        return 'PREREQUISITE_FAILED';
      }
    }
    if (userId !== undefined) {
      if (variants.anyTargets) {
        const target = variants.targets.get(userId);
        if (target !== undefined) {
          servedVariant = target;
          return 'LISTED_USER';
        }
      }
      if (this.listedUsers.has(userId)) return this.serve(variants.fallthrough, 'LISTED_USER', userId, context, 0);
    }
    if (flag.state === 'beta' && context != null) {
      const granted = this.earlyAccessGranted(context);
      if (granted === INVALID_FIELD) return 'INVALID_CONTEXT';
      if (granted) return this.serve(variants.fallthrough, 'EARLY_ACCESS', userId, context, 0);
    }
    let now = 0;
    if (targeting !== undefined) {
      const rules = targeting.rules;
      now = rules.usesClock || targeting.bucketBy === 'currentTime' ? clock.now() : 0;
      if (now !== 0) decidedAt = now;
      if (rules.rules.length > 0) {
        rulesTried = true;
        const index = rules.firstMatch(context, now);
        if (index >= 0) {
          matchedRule = index;
          const rule = rules.rules[index]!;
          const serving = this.ruleServings[index];
          if (serving !== undefined) return this.serve(serving, 'RULE_MATCH', userId, context, now);
          switch (rule.serve.type) {
            case 'on':
              return this.serve(variants.fallthrough, 'RULE_MATCH', userId, context, now);
            case 'off':
              servedVariant = variants.off;
              return 'RULE_MATCH_OFF';
            default: {
              const bucket = targeting.bucket(this.salt, context, now);
              if (bucket < 0) return targeting.bucketsByUserId ? 'NO_USER_ID' : 'NO_BUCKET_VALUE';
              decisionTrace.bucket = bucket;
              decisionTrace.threshold = rule.threshold;
              if (bucket < rule.threshold) return this.serve(variants.fallthrough, 'RULE_IN_PERCENTAGE', userId, context, now);
              servedVariant = variants.off;
              return 'RULE_OUTSIDE_PERCENTAGE';
            }
          }
        }
      }
    }
    if (flag.state === 'enabled') return this.serve(variants.fallthrough, 'ENABLED', userId, context, now);
    let reason: EvaluationReason;
    if (targeting === undefined || targeting.bucketsByUserId || !this.strategyBuckets) reason = this.strategy.decide(userId, context, clock);
    else {
      const value = targeting.bucketValue(context, now);
      reason = value === undefined ? 'NO_BUCKET_VALUE' : this.strategy.decide(value, context, clock);
    }
    if (!isOnReason(reason)) {
      if (REASON_INFO[reason].openFeature !== 'ERROR') servedVariant = variants.off;
      return reason;
    }
    return this.serve(variants.fallthrough, reason, userId, context, now);
  }

  /**
   * Serves a variant or a split for a decision that turned the flag on, and returns `reason`,
   * or `NO_USER_ID`/`NO_BUCKET_VALUE` when a split has nothing to bucket by.
   */
  private serve(serving: CompiledServing, reason: EvaluationReason, userId: string | undefined, context: EvaluationContext | undefined, now: number): EvaluationReason {
    const split = serving.split;
    if (split === undefined) {
      servedVariant = serving.index;
      return reason;
    }
    const targeting = this.targeting;
    const value = targeting === undefined || targeting.bucketsByUserId ? userId : targeting.bucketValue(context, now);
    if (value === undefined) return targeting === undefined || targeting.bucketsByUserId ? 'NO_USER_ID' : 'NO_BUCKET_VALUE';
    const bucket = this.variants.bucket(value);
    variantBucketUsed = bucket;
    servedBySplit = true;
    servedVariant = split.pick(bucket);
    return reason;
  }

  /**
   * The variant index the last {@link CompiledFlag.decide} of this flag served, or -1 when it
   * served none (an error). Read it right after deciding.
   */
  variantOf(reason: EvaluationReason): number {
    if (REASON_INFO[reason].openFeature === 'ERROR') return -1;
    if (this.variants.declared) return servedVariant;
    return isOnReason(reason) ? 0 : 1;
  }

  /** How the last decision chose its value (OpenFeature's reasons). Read it right after deciding. */
  variantReasonOf(reason: EvaluationReason): VariantReason {
    const info = REASON_INFO[reason];
    if (info.openFeature === 'ERROR' || !this.variants.declared) return info.openFeature;
    if (reason === 'DISABLED' || reason === 'DEPRECATED') return 'DISABLED';
    if (servedBySplit) return 'SPLIT';
    if (reason === 'ENABLED') return rulesTried ? 'DEFAULT' : 'STATIC';
    return info.openFeature;
  }

  /** Whether a decision means "enabled": the value of a boolean flag with declared variants, else whether the reason is on. */
  enabledFor(reason: EvaluationReason): boolean {
    if (this.variants.declared && this.variants.valueType === 'boolean') return servedVariant >= 0 && this.variants.values[servedVariant] === true;
    return isOnReason(reason);
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

  /** Whether the flag is on for `context` at the clock's time (a boolean flag with variants: its value). */
  isEnabled(context: EvaluationContext | undefined, clock: Clock): boolean {
    return this.enabledFor(this.decide(context, clock));
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
    const variants = this.variants;
    const index = this.variantOf(reason);
    const variantReason = this.variantReasonOf(reason);
    const errorCode = REASON_INFO[reason].openFeatureError;
    const splitBucket = variantBucketUsed;
    return {
      flagKey: flag.key,
      enabled: this.enabledFor(reason),
      reason,
      state: flag.state,
      strategy: flag.strategy.type,
      hashVersion: flag.hashVersion,
      ...(bucket >= 0 ? { bucket, threshold } : {}),
      ...(reason === 'INVALID_CONTEXT' ? { errorMessage: 'context fields must be readable, and context.userId and context.ring must be strings' } : {}),
      valueType: variants.valueType,
      ...(index >= 0 ? { variant: variants.names[index]!, value: variants.values[index]! } : {}),
      variantReason,
      ...(variants.declared && servedBySplit && splitBucket >= 0 ? { variantBucket: splitBucket } : {}),
      ...(errorCode !== undefined && variantReason === 'ERROR' ? { errorCode } : {}),
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
      return compiledFlag.isEnabled(context, clock) ? 1 : 0;
    },
  };
  return environment;
}

/** The result for a flag key that does not exist. */
export function notFoundResult(flagKey: string): EvaluationResult {
  // No variant fields: nothing is known about a flag that does not exist (kept minimal on purpose).
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
  const served = result.valueType !== undefined && result.valueType !== 'boolean' && result.variant !== undefined ? `; serves variant '${result.variant}'` : '';
  return `${result.flagKey} is ${onOff}: ${why}${where}${served} [${result.reason}]`;
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
