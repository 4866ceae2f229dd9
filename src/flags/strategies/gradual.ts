import * as z from 'zod';
import { BUCKET_COUNT, bucketWithSalt } from '../bucket.js';
import { epochSchema } from '../fields.js';
import { decisionTrace, defineStrategy } from './strategy.js';

/** Gradual: a linear ramp from 0% at `startAt` to 100% at `endAt` (epoch ms), bucketed like percentage. */
export const gradualStrategySchema = z
  .strictObject({
    type: z.literal('gradual'),
    startAt: epochSchema,
    endAt: epochSchema,
  })
  .refine((s) => s.endAt > s.startAt, { message: 'must be after startAt', path: ['endAt'] });

/** A time-gradual rollout. */
export type GradualStrategy = z.infer<typeof gradualStrategySchema>;

/** The bucket threshold of a gradual ramp at `now` (0 at `startAt`, 100,000 at `endAt`); never decreases as `now` grows. */
export function rampThreshold(startAt: number, endAt: number, now: number): number {
  if (now <= startAt) return 0;
  if (now >= endAt) return BUCKET_COUNT;
  return Math.floor(((now - startAt) / (endAt - startAt)) * BUCKET_COUNT);
}

/** The percentage (0–100) a gradual ramp has reached at `now`. */
export function rampPercentage(startAt: number, endAt: number, now: number): number {
  return rampThreshold(startAt, endAt, now) / (BUCKET_COUNT / 100);
}

const day = (epoch: number): string => new Date(epoch).toISOString().slice(0, 10);

/** The `gradual` strategy: a time ramp, so it reads the clock and always takes the explained path. */
export const gradualStrategy = defineStrategy({
  type: 'gradual',
  bucketing: true,
  schema: gradualStrategySchema,
  reasons: {
    RAMP_NOT_STARTED: {
      on: false,
      doc: 'gradual strategy before `startAt`. Off.',
      explain: 'the gradual ramp has not started',
      openFeature: 'DEFAULT',
    },
    IN_RAMP: {
      on: true,
      doc: 'gradual strategy mid-ramp and the bucket is below the current threshold. On.',
      explain: "the user's bucket is inside the ramp's current percentage",
      openFeature: 'SPLIT',
    },
    OUTSIDE_RAMP: {
      on: false,
      doc: 'gradual strategy mid-ramp and the bucket is at or above the current threshold. Off.',
      explain: "the user's bucket is outside the ramp's current percentage",
      openFeature: 'SPLIT',
    },
    RAMP_COMPLETE: {
      on: true,
      doc: 'gradual strategy at or after `endAt`. On for everyone.',
      explain: 'the gradual ramp is complete',
      openFeature: 'STATIC',
    },
  },
  compile(strategy: GradualStrategy, flag) {
    const { startAt, endAt } = strategy;
    const salt = flag.salt;
    return {
      decide(userId, _context, clock) {
        // Only ramps read the clock, so other strategies never pay for it.
        const now = clock.now();
        if (now < startAt) return 'RAMP_NOT_STARTED';
        if (now >= endAt) return 'RAMP_COMPLETE';
        if (userId === undefined) return 'NO_USER_ID';
        const threshold = rampThreshold(startAt, endAt, now);
        const bucket = bucketWithSalt(salt, userId);
        decisionTrace.bucket = bucket;
        decisionTrace.threshold = threshold;
        return bucket < threshold ? 'IN_RAMP' : 'OUTSIDE_RAMP';
      },
      quick: undefined,
    };
  },
  describe: (strategy: GradualStrategy) => `ramp ${day(strategy.startAt)} → ${day(strategy.endAt)}`,
  cli: {
    options: [
      { name: 'ramp-start', kind: 'instant', placeholder: 'ISO' },
      { name: 'ramp-end', kind: 'instant', placeholder: 'ISO' },
    ],
    help: 'gradual ramp between two instants',
    fromOptions: (values, fail) => {
      const startAt = values.get('ramp-start') as number | undefined;
      const endAt = values.get('ramp-end') as number | undefined;
      if (startAt === undefined || endAt === undefined) return fail('--ramp-start and --ramp-end go together');
      return { type: 'gradual', startAt, endAt };
    },
  },
});
