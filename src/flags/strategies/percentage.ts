import * as z from 'zod';
import { bucketWithSalt, thresholdFor } from '../bucket.js';
import { INVALID_FIELD, readUserId } from '../context.js';
import { percentageSchema } from '../fields.js';
import { decisionTrace, defineStrategy } from './strategy.js';

/** Percentage rollout: a user is on when their bucket is below `percentage × 1000`. */
export const percentageStrategySchema = z.strictObject({
  type: z.literal('percentage'),
  percentage: percentageSchema,
});

/** A percentage rollout. */
export type PercentageStrategy = z.infer<typeof percentageStrategySchema>;

/** The `percentage` strategy: a stable share of users by bucket. */
export const percentageStrategy = defineStrategy({
  type: 'percentage',
  bucketing: true,
  schema: percentageStrategySchema,
  reasons: {
    IN_PERCENTAGE: {
      on: true,
      doc: "percentage strategy and the user's bucket is below the threshold. On.",
      explain: "the user's bucket is inside the percentage",
      openFeature: 'SPLIT',
    },
    OUTSIDE_PERCENTAGE: {
      on: false,
      doc: "percentage strategy and the user's bucket is at or above the threshold. Off.",
      explain: "the user's bucket is outside the percentage",
      openFeature: 'SPLIT',
    },
  },
  compile(strategy: PercentageStrategy, flag) {
    const threshold = thresholdFor(strategy.percentage);
    const { salt, listed, anyListed } = flag;
    return {
      decide(userId) {
        if (userId === undefined) return 'NO_USER_ID';
        const bucket = bucketWithSalt(salt, userId);
        decisionTrace.bucket = bucket;
        decisionTrace.threshold = threshold;
        return bucket < threshold ? 'IN_PERCENTAGE' : 'OUTSIDE_PERCENTAGE';
      },
      quick(context) {
        const userId = readUserId(context);
        if (userId === INVALID_FIELD) return -1;
        if (userId === undefined || userId.length === 0) return 0;
        if (anyListed && listed.has(userId)) return 1;
        return bucketWithSalt(salt, userId) < threshold ? 1 : 0;
      },
    };
  },
  describe: (strategy: PercentageStrategy) => `${strategy.percentage}%`,
  cli: {
    options: [{ name: 'percentage', kind: 'number', placeholder: 'P' }],
    help: 'percentage rollout (0-100, up to three decimals)',
    fromOptions: (values) => ({ type: 'percentage', percentage: values.get('percentage') as number }),
  },
});
