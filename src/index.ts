/**
 * phasegate: phased rollouts evaluated in-process.
 *
 * @example
 * ```ts
 * import { createPhasegate, MemoryStore } from 'phasegate';
 * const gate = await createPhasegate({ store: new MemoryStore() });
 * await gate.flags.create({ key: 'new-checkout', state: 'rollout',
 *   strategy: { type: 'percentage', percentage: 12.5 } });
 * gate.isEnabled('new-checkout', { userId: 'u-42' });
 * ```
 * @packageDocumentation
 */
export { createPhasegate, parseSnapshotData, Phasegate } from './phasegate.js';
export type { FlagSnapshotData, PhasegateOptions } from './phasegate.js';

export { ManualClock, systemClock, Duration } from './clock.js';
export type { Clock } from './clock.js';

export { createEventEmitter } from './events.js';
export type {
  AnalyticsEvents,
  CoreEvents,
  EarlyAccessEvents,
  EvaluationErrorEvent,
  FlagChange,
  FlagEvents,
  ListenerErrorEvent,
  PhasegateEventEmitter,
  PhasegateEvents,
  ReleaseEvents,
  StoreErrorEvent,
} from './events.js';

export {
  AlreadyExistsError,
  ClosedError,
  ConflictError,
  FlagOwnedError,
  IllegalTransitionError,
  NotFoundError,
  PhasegateError,
  StoreError,
  ValidationError,
  isPhasegateError,
} from './errors.js';
export type { PhasegateErrorCode, ValidationIssue } from './errors.js';

export {
  ACCESS_LEVELS,
  DEFAULT_RING,
  FLAG_STATES,
  STRATEGY_TYPES,
} from './flags/model.js';
export type {
  AccessLevel,
  EvaluationContext,
  Flag,
  FlagInput,
  FlagState,
  FlagUpdate,
  GradualStrategy,
  PercentageStrategy,
  RingStrategy,
  Strategy,
  StrategyType,
  UserListStrategy,
} from './flags/model.js';

export {
  EvaluationReasons,
  accessLevelQualifies,
  evaluateFlag,
  explainEvaluation,
  isOnReason,
  rampPercentage,
} from './flags/evaluate.js';
export type { EvaluationReason, EvaluationResult } from './flags/evaluate.js';

export { BUCKET_COUNT, HASH_VERSION, bucketOf, thresholdFor } from './flags/bucket.js';
export { Flags } from './flags/flags.js';
export { FLAG_OWNER_KEY, flagOwner } from './flags/ownership.js';
export type { FlagStats } from './flags/snapshot.js';

export { MAX_CONDITIONS, MAX_PREREQUISITES, MAX_RULES } from './flags/model.js';
export type { Prerequisite, Rule, RuleInput, RuleServe } from './flags/model.js';
export { CONDITION_OPERATORS, CONTEXT_FIELDS } from './flags/conditions/index.js';
export type { Condition, ConditionOperator, ConditionValue } from './flags/conditions/index.js';
export { Segments } from './flags/segments.js';
export type { Segment, SegmentInput, SegmentUpdate } from './flags/segments.js';
export type { PhaseAudience } from './releases/audience.js';
export type { SegmentChange } from './flags/segment-sync.js';
export type { RuleFailure, RuleTrace } from './flags/rules.js';
export { targetingEnvironment } from './flags/evaluate.js';
export type { TargetingEnvironment } from './flags/targeting.js';
export { MAX_PREREQUISITE_DEPTH } from './flags/references.js';

export { MAX_JSON_DEPTH, MAX_JSON_VALUE_LENGTH, MAX_VARIANTS, SPLIT_TOTAL, VALUE_TYPES } from './flags/variants.js';
export type { Fallthrough, FlagValue, JsonValue, SplitServe, ValueType, Variant, VariantServe, VariantTarget } from './flags/variants.js';
export type { FallbackFor, FlagKey, PhasegateFlags, ValueLike, ValueOf, VariantAnswer } from './flags/typed-keys.js';
export type { EvaluationErrorCode, VariantReason } from './flags/evaluate.js';
export type { ValueDetails } from './phasegate.js';
export { VARIANT_SEED, variantBucketOf } from './flags/bucket.js';
export { TypeMismatchError } from './errors.js';

export { MemoryStore } from './storage/memory-store.js';
export { FileStore } from './storage/file-store.js';
export type { FileStoreOptions } from './storage/file-store.js';
export { Collections, DEFAULT_PAGE_SIZE } from './storage/store.js';
export type { CollectionName, ListOptions, Store, StoreChange, StoreEvent, StoreStatus, StoredRecord } from './storage/store.js';
export { iterateRecords, updateRecord } from './storage/records.js';
export type { WriteOptions } from './contracts.js';
export type { AuditEntry, AuditLog, AuditQuery, AuditRetention } from './audit/audit-log.js';
export type { AuditChange } from './audit/diff.js';

export { Releases, exposureOf, progressOf } from './releases/releases.js';
export type { ActorOptions, ReleaseGuard, ReleaseProgress, TickResult } from './releases/releases.js';
export type { ReleaseControl, ReleaseView } from './analytics/ports.js';
export {
  ACTIVE_RELEASE_STATUSES,
  RELEASE_STATUSES,
  RELEASE_TRANSITIONS,
  RELEASE_TYPES,
  defaultRollbackPlan,
  MANUAL_RELEASE_STATUSES,
  defaultRolloutPlan,
} from './releases/model.js';
export type {
  Release,
  ManualReleaseStatus,
  ReleaseAdoption,
  ReleaseBreach,
  ReleaseEdit,
  ReleaseEvent,
  ReleasePlanInput,
  ReleaseRollback,
  ReleaseStatus,
  ReleaseType,
  RollbackPlan,
  RollbackPlanInput,
  RollbackStep,
  RollbackStepOutcome,
  RolloutPhase,
  RolloutPlan,
  RolloutPlanInput,
  TriggerCondition,
} from './releases/model.js';

export { EarlyAccess, FEEDBACK_LIMIT_PER_FEATURE, featuresOf } from './early-access/early-access.js';
export type { EarlyAccessStats, ExportedMember, MemberDashboard } from './early-access/early-access.js';
export { MEMBER_STATUSES, MEMBER_TRANSITIONS } from './early-access/model.js';
export type {
  EarlyAccessFeature,
  EnrollmentInput,
  FeatureInput,
  FeatureUpdate,
  Feedback,
  FeedbackInput,
  Member,
  MemberStatus,
  MemberTransition,
} from './early-access/model.js';

export { Analytics } from './analytics/analytics.js';
export type {
  Adoption,
  AnalyticsOptions,
  AnalyticsPort,
  AnalyticsReport,
  GuardAction,
  GuardDecision,
  HealthStatus,
  MetricComparison,
  MetricHealth,
  MetricSeries,
  OutcomeResult,
  ReleaseHealth,
} from './analytics/analytics.js';
export { DEFAULT_RETENTION, DEFAULT_THRESHOLDS, breachOf, defaultCriticalLimit } from './analytics/model.js';
export type {
  Alert,
  Badness,
  GuardConfig,
  GuardConfigInput,
  MetricSample,
  OutcomeInput,
  RetentionPolicy,
  Severity,
  Threshold,
  ThresholdInput,
} from './analytics/model.js';
export type { ArmAggregate, SequentialDecision, SequentialOptions, SequentialResult } from './analytics/sequential.js';
export { webhookSignature } from './analytics/notifications.js';
export type { DeliveryOptions, DeliveryReport, NotificationEvent, OutboxEntry, Webhook, WebhookInput } from './analytics/notifications.js';
export type { MetricStatistics, Observation, Trend } from './analytics/statistics.js';
export { toPrometheus } from './analytics/prometheus.js';

