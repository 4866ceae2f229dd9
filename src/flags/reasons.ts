import { STRATEGIES, type StrategyReason } from './strategies/index.js';
import type { ReasonInfo } from './strategies/strategy.js';
import { TARGETING_REASONS, type TargetingReason } from './targeting-reasons.js';

/** The reasons that do not belong to any one strategy: states, overrides, errors. */
const CORE_REASONS = {
  FLAG_NOT_FOUND: {
    on: false,
    doc: 'No flag with that key exists. Off.',
    explain: 'no such flag',
    openFeature: 'ERROR',
    openFeatureError: 'FLAG_NOT_FOUND',
  },
  DISABLED: { on: false, doc: 'The flag is `disabled`. Off.', explain: 'the flag is disabled', openFeature: 'DISABLED' },
  ENABLED: { on: true, doc: 'The flag is `enabled`. On for everyone.', explain: 'the flag is enabled for everyone', openFeature: 'STATIC' },
  DEPRECATED: {
    on: false,
    doc: 'The flag is `deprecated`. Off (a one-time `flag:deprecated` event fires).',
    explain: 'the flag is deprecated',
    openFeature: 'DISABLED',
  },
  LISTED_USER: { on: true, doc: "The user is in the flag's `enabledUsers`. On.", explain: 'the user is listed on the flag', openFeature: 'TARGETING_MATCH' },
  EARLY_ACCESS: {
    on: true,
    doc: 'Beta flag, and the early-access program grants it (a seat, or a qualifying level). On.',
    explain: "the user's early-access level qualifies for this beta flag",
    openFeature: 'TARGETING_MATCH',
  },
  NO_USER_ID: {
    on: false,
    doc: 'The strategy needs a user id and the context has none. Off.',
    explain: 'the strategy needs a user id and none was given',
    openFeature: 'ERROR',
    openFeatureError: 'TARGETING_KEY_MISSING',
  },
  INVALID_CONTEXT: {
    on: false,
    doc: 'The context is malformed (for example a non-string user id, or a getter that throws). Off; reported as an evaluation error.',
    explain: 'the context is invalid',
    openFeature: 'ERROR',
    openFeatureError: 'INVALID_CONTEXT',
  },
  OVERRIDE_ON: { on: true, doc: 'Forced on by a test or local override.', explain: 'forced on by an override', openFeature: 'STATIC' },
  OVERRIDE_OFF: { on: false, doc: 'Forced off by a test or local override.', explain: 'forced off by an override', openFeature: 'STATIC' },
  ERROR: {
    on: false,
    doc: 'Evaluation failed unexpectedly; the safe default (off) was returned.',
    explain: 'evaluation failed',
    openFeature: 'ERROR',
    openFeatureError: 'GENERAL',
  },
} as const satisfies Record<string, ReasonInfo>;

/** Why a flag evaluated the way it did: one of {@link EvaluationReasons}. */
export type EvaluationReason = keyof typeof CORE_REASONS | StrategyReason | TargetingReason;

/** Every reason with its on/off answer, docs, explanation and OpenFeature mapping. Derived from the strategy registry. */
export const REASON_INFO: Readonly<Record<EvaluationReason, ReasonInfo>> = Object.freeze(
  Object.assign(Object.create(null) as Record<EvaluationReason, ReasonInfo>, CORE_REASONS, TARGETING_REASONS, ...STRATEGIES.map((definition) => definition.reasons)),
);

/**
 * Why a flag evaluated the way it did: each reason's name, as a constant
 * (`EvaluationReasons.IN_PERCENTAGE === 'IN_PERCENTAGE'`). See {@link REASON_INFO} for what each means.
 */
export const EvaluationReasons: { readonly [R in EvaluationReason]: R } = Object.freeze(
  Object.fromEntries(Object.keys(REASON_INFO).map((reason) => [reason, reason])) as { [R in EvaluationReason]: R },
);

// A plain object of booleans: the hot path reads it once per call.
const ON: Readonly<Record<EvaluationReason, boolean>> = Object.fromEntries(
  Object.entries(REASON_INFO).map(([reason, info]) => [reason, info.on]),
) as Record<EvaluationReason, boolean>;

/** Whether a reason means the flag is on. */
export function isOnReason(reason: EvaluationReason): boolean {
  return ON[reason];
}
