/**
 * `phasegate/internals`: building blocks phasegate uses inside, exported for tests, tools and
 * the curious. Not covered by semver: they may change in any release. Applications should need
 * only the main entry.
 * @packageDocumentation
 */
export { leastSquaresSlope, quantile, summarize, trendOf } from '../analytics/statistics.js';
export { HyperLogLog } from '../hyperloglog.js';
export { ALERT_HISTORY_LIMIT, ANALYTICS_STATE_COLLECTION, SERIES_WINDOW } from '../analytics/analytics.js';
export { EMPTY_ARM, SEQUENTIAL_DEFAULTS, addObservation, armMean, armVariance, compareArms, confidenceHalfWidth, mergeArms } from '../analytics/sequential.js';
export { OUTBOX_COLLECTION } from '../analytics/notifications.js';
export { EXPOSURE_BUFFER_SIZE, EXPOSURE_DAYS_KEPT, ExposureCounter } from '../flags/exposure.js';
export { DEFAULT_RESYNC_INTERVAL_MS } from '../flags/repository.js';
export { UPDATE_ATTEMPTS, backOff, deleteRecord, iterateParsed, readRecord } from '../storage/records.js';
export { assertStorableText, textProblem } from '../validation.js';
export { REASON_INFO } from '../flags/reasons.js';
export { STRATEGIES, defineStrategy, describeStrategy } from '../flags/strategies/index.js';
export type { CompiledStrategy, PreparedFlag, ReasonInfo, StrategyDefinition } from '../flags/strategies/index.js';
