import type { z } from 'zod';
import type { Clock } from '../../clock.js';
import type { BucketSalt } from '../bucket.js';
import type { EvaluationContext } from '../context.js';

/**
 * How a reason maps onto OpenFeature's standard resolution reasons. Plain strings that equal
 * OpenFeature's `StandardResolutionReasons` values, so `flags/` needs no OpenFeature import.
 */
export type OpenFeatureReason = 'STATIC' | 'DEFAULT' | 'TARGETING_MATCH' | 'SPLIT' | 'DISABLED' | 'ERROR';

/** OpenFeature error codes a reason can carry (the values of OpenFeature's `ErrorCode`). */
export type OpenFeatureErrorCode = 'FLAG_NOT_FOUND' | 'TARGETING_KEY_MISSING' | 'INVALID_CONTEXT' | 'GENERAL';

/** Everything phasegate knows about one evaluation reason: the tables are derived from these. */
export interface ReasonInfo {
  /** Whether the flag is on when this reason decides. */
  readonly on: boolean;
  /** One line for the API docs. */
  readonly doc: string;
  /** The clause of `explainEvaluation` ("the user's bucket is inside the percentage"). */
  readonly explain: string;
  /** The OpenFeature reason this maps to. */
  readonly openFeature: OpenFeatureReason;
  /** The OpenFeature error code, for reasons that are errors. */
  readonly openFeatureError?: OpenFeatureErrorCode;
}

/**
 * Per-flag data every strategy may use, computed once per flag version: the flag's listed
 * users (always on) and its prepared bucketing salt.
 */
export interface PreparedFlag {
  /** The flag's key. */
  readonly key: string;
  /** The flag's `enabledUsers`, as a set. */
  readonly listed: ReadonlySet<string>;
  /** `listed.size > 0`, as a plain field (Set#size is an accessor call on the hot path). */
  readonly anyListed: boolean;
  /** The flag's salt (or key), prepared for bucketing. */
  readonly salt: BucketSalt;
}

/**
 * What a decision used, left in a module slot so deciding allocates nothing. Evaluation is
 * synchronous, so one slot is safe; {@link CompiledFlag.evaluate} reads it right after deciding.
 */
export const decisionTrace = {
  /** The user's bucket (0–99,999), or -1 when bucketing was not used. */
  bucket: -1,
  /** The threshold the bucket was compared with, or -1. */
  threshold: -1,
};

/** A strategy compiled for one flag version. */
export interface CompiledStrategy<Reason extends string> {
  /**
   * Decides for a user who is not on the flag's list. `userId` is a non-empty string or
   * `undefined`; `context` may be anything (read it with the safe readers in `context.ts`).
   * Must not allocate or throw; records bucketing in {@link decisionTrace}.
   */
  decide(userId: string | undefined, context: EvaluationContext | undefined, clock: Clock): Reason | 'NO_USER_ID' | 'INVALID_CONTEXT';
  /**
   * The hot path of `isEnabled` for a flag in `rollout` state, or `undefined` when the strategy
   * always takes {@link decide}: 1 on, 0 off, -1 "ask decide". Handles the flag's listed users
   * itself. A property test holds it equal to `decide`.
   */
  readonly quick: ((context: EvaluationContext | undefined, clock: Clock) => number) | undefined;
}

/** One option of the `phasegate flag create|set` command that sets this strategy. */
export interface StrategyCliOption {
  /** Option name without dashes (`percentage`, `ramp-start`). */
  readonly name: string;
  /** How the value is parsed: a number, a comma-separated list, or an ISO instant (epoch ms). */
  readonly kind: 'number' | 'list' | 'instant';
  /** Placeholder shown in the usage text (`P`, `a,b,c`, `ISO`). */
  readonly placeholder: string;
}

/** The CLI description of a strategy: its options and how they become a strategy. */
export interface StrategyCli<S> {
  /** The options, in usage order. */
  readonly options: readonly StrategyCliOption[];
  /** One line of help for the usage text. */
  readonly help: string;
  /**
   * Builds the strategy from parsed option values (numbers, string lists, epoch ms, keyed by
   * option name), or calls `fail` with a usage message. Called only when one of the options was given.
   */
  fromOptions(values: ReadonlyMap<string, number | string[] | undefined>, fail: (message: string) => never): S;
}

/**
 * One rollout strategy: its stored shape, the reasons it can give, how it decides, and how it
 * is described. Adding a strategy is one file that exports one of these, plus a line in the
 * registry (`strategies/index.ts`) and its tests.
 */
export interface StrategyDefinition<Type extends string, S extends { readonly type: Type }, Reason extends string> {
  /** The `type` field that selects it. */
  readonly type: Type;
  /** Validates the stored and accepted shape. */
  readonly schema: z.ZodType<S>;
  /** Every reason `decide` can return (besides `NO_USER_ID` and `INVALID_CONTEXT`). */
  readonly reasons: Readonly<Record<Reason, ReasonInfo>>;
  /** Compiles the strategy of one flag version. */
  compile(strategy: S, flag: PreparedFlag): CompiledStrategy<Reason>;
  /** A one-line summary (`12.5%`, `3 user(s)`) for the CLI and dashboards. */
  describe(strategy: S): string;
  /** How the CLI sets it. */
  readonly cli: StrategyCli<S>;
  /**
   * Whether `decide` only hashes the id it is given into a bucket. Such strategies follow a
   * flag's `bucketBy`: they are given the bucketing attribute's value in place of the user id.
   */
  readonly bucketing?: boolean;
}

/** Declares a strategy with its types inferred. */
export function defineStrategy<Type extends string, S extends { readonly type: Type }, Reason extends string>(
  definition: StrategyDefinition<Type, S, Reason>,
): StrategyDefinition<Type, S, Reason> {
  return definition;
}

/**
 * The two reasons of a strategy that is on for the members of a list (rings, user ids): on as
 * `TARGETING_MATCH`, off as `DEFAULT`, in the same words. `member` is what is looked up
 * ("the user"), `listed` where ("in the strategy's user list").
 */
export function membershipReasons<const Match extends string, const NoMatch extends string>(
  strategy: string,
  reasons: { readonly match: Match; readonly noMatch: NoMatch },
  member: string,
  listed: string,
): Record<Match | NoMatch, ReasonInfo> {
  const match: ReasonInfo = { on: true, doc: `${strategy} strategy and ${member} is listed. On.`, explain: `${member} is ${listed}`, openFeature: 'TARGETING_MATCH' };
  const noMatch: ReasonInfo = { on: false, doc: `${strategy} strategy and ${member} is not listed. Off.`, explain: `${member} is not ${listed}`, openFeature: 'DEFAULT' };
  return { [reasons.match]: match, [reasons.noMatch]: noMatch } as Record<Match | NoMatch, ReasonInfo>;
}

/** Whether `userId` (as read from the context) is one of the flag's listed users, who are always on. */
export function isListedUser(flag: PreparedFlag, userId: string | undefined | symbol): boolean {
  return flag.anyListed && typeof userId === 'string' && userId.length !== 0 && flag.listed.has(userId);
}
