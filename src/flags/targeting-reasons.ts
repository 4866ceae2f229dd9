import type { ReasonInfo } from './strategies/strategy.js';

/**
 * The reasons targeting adds: prerequisites, rules, and bucketing by an attribute. Registered
 * beside the core and strategy reasons, so the on/off table, `explainEvaluation` and the
 * OpenFeature mapping all include them.
 */
export const TARGETING_REASONS = {
  PREREQUISITE_FAILED: {
    on: false,
    doc: 'A prerequisite flag is not in the required state for this context (or does not exist). Off.',
    explain: 'a prerequisite flag is not in the required state',
    openFeature: 'TARGETING_MATCH',
  },
  RULE_MATCH: {
    on: true,
    doc: 'A targeting rule matched and serves on. On.',
    explain: 'a targeting rule matched and serves on',
    openFeature: 'TARGETING_MATCH',
  },
  RULE_MATCH_OFF: {
    on: false,
    doc: 'A targeting rule matched and serves off. Off.',
    explain: 'a targeting rule matched and serves off',
    openFeature: 'TARGETING_MATCH',
  },
  RULE_IN_PERCENTAGE: {
    on: true,
    doc: "A targeting rule matched and the bucket is inside the rule's percentage. On.",
    explain: "a targeting rule matched and the bucket is inside the rule's percentage",
    openFeature: 'SPLIT',
  },
  RULE_OUTSIDE_PERCENTAGE: {
    on: false,
    doc: "A targeting rule matched and the bucket is outside the rule's percentage. Off.",
    explain: "a targeting rule matched and the bucket is outside the rule's percentage",
    openFeature: 'SPLIT',
  },
  NO_BUCKET_VALUE: {
    on: false,
    doc: 'The flag buckets by an attribute (`bucketBy`) that the context lacks, or holds as neither text nor a number. Off.',
    explain: 'the flag buckets by an attribute the context does not have',
    openFeature: 'ERROR',
    openFeatureError: 'TARGETING_KEY_MISSING',
  },
} as const satisfies Record<string, ReasonInfo>;

/** A reason added by targeting. */
export type TargetingReason = keyof typeof TARGETING_REASONS;
