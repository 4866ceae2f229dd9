/**
 * `phasegate/schemas`: the zod schemas phasegate validates input with, for hosts that want to
 * check a configuration file or an API payload the same way before calling phasegate. The
 * main entry's functions already validate; you never need these to use phasegate.
 * @packageDocumentation
 */
export { flagInputSchema, flagSchema, flagUpdateSchema, keySchema, strategySchema, userIdSchema } from '../flags/model.js';
export { percentageStrategySchema } from '../flags/strategies/percentage.js';
export { userListStrategySchema } from '../flags/strategies/user-list.js';
export { ringStrategySchema } from '../flags/strategies/ring.js';
export { gradualStrategySchema } from '../flags/strategies/gradual.js';
export { releaseEditSchema, releasePlanInputSchema, rollbackPlanSchema, rolloutPlanSchema } from '../releases/model.js';
export { enrollmentSchema, featureInputSchema, featureUpdateSchema, feedbackInputSchema } from '../early-access/model.js';
export { guardConfigSchema, metricSampleSchema, outcomeSchema, thresholdSchema } from '../analytics/model.js';
export { webhookInputSchema } from '../analytics/notifications.js';
export { prerequisiteSchema, ruleSchema, ruleServeSchema } from '../flags/model.js';
export { fallthroughSchema, jsonValueSchema, splitServeSchema, variantSchema, variantServeSchema, variantTargetSchema } from '../flags/variants.js';
export { conditionSchema } from '../flags/conditions/index.js';
export { segmentInputSchema, segmentSchema, segmentUpdateSchema } from '../flags/segments.js';
export { phaseAudienceSchema } from '../releases/audience.js';
