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
export type { EvaluationErrorEvent, FlagChange, PhasegateEventEmitter, PhasegateEvents, StoreErrorEvent } from './events.js';

export {
  AlreadyExistsError,
  ClosedError,
  ConflictError,
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
  flagInputSchema,
  flagSchema,
  flagUpdateSchema,
  strategySchema,
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
export type { FlagStats } from './flags/snapshot.js';

export { MemoryStore } from './storage/memory-store.js';
export { FileStore } from './storage/file-store.js';
export type { FileStoreOptions } from './storage/file-store.js';
export { Collections, DEFAULT_PAGE_SIZE } from './storage/store.js';
export type { CollectionName, ListOptions, Store, StoreChange, StoreEvent, StoreStatus, StoredRecord } from './storage/store.js';
export { iterateRecords, updateRecord } from './storage/records.js';

export { Releases, exposureOf, progressOf } from './releases/releases.js';
export type { ActorOptions, ReleaseGuard, ReleaseProgress, TickResult } from './releases/releases.js';
export {
  ACTIVE_RELEASE_STATUSES,
  RELEASE_STATUSES,
  RELEASE_TRANSITIONS,
  RELEASE_TYPES,
  defaultRollbackPlan,
  defaultRolloutPlan,
  releasePlanInputSchema,
  rolloutPlanSchema,
} from './releases/model.js';
export type {
  Release,
  ReleaseBreach,
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
export { MEMBER_STATUSES, MEMBER_TRANSITIONS, enrollmentSchema, featureInputSchema } from './early-access/model.js';
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

export { ALERT_HISTORY_LIMIT, Analytics, SERIES_WINDOW } from './analytics/analytics.js';
export type {
  Adoption,
  AnalyticsOptions,
  AnalyticsReport,
  GuardAction,
  MetricHealth,
  MetricSeries,
  ReleaseHealth,
} from './analytics/analytics.js';
export { DEFAULT_THRESHOLDS, breachOf } from './analytics/model.js';
export type { Alert, Badness, MetricSample, Severity, Threshold } from './analytics/model.js';
export { leastSquaresSlope, quantile, summarize, trendOf } from './analytics/statistics.js';
export type { MetricStatistics, Observation, Trend } from './analytics/statistics.js';
export { HyperLogLog } from './hyperloglog.js';
export { toPrometheus } from './analytics/prometheus.js';

export { gatherOverview } from './cli/overview.js';
export type { Overview } from './cli/overview.js';
export { renderStatus } from './cli/status-screen.js';
export { renderDashboardHtml } from './cli/dashboard-html.js';
