import * as z from 'zod';
import { INVALID_FIELD, readRing, readUserId } from '../context.js';
import { defineStrategy, isListedUser, membershipReasons } from './strategy.js';

/** The ring a context is in when it names none. */
export const DEFAULT_RING = 'production';

const ringSchema = z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(100, 'must be at most 100 characters');

/** Ring: on when the context's ring (default `production`) is one of `rings`. Needs no user id. */
export const ringStrategySchema = z.strictObject({
  type: z.literal('ring'),
  rings: z.array(ringSchema).min(1, 'must name at least one ring'),
});

/** A ring rollout. */
export type RingStrategy = z.infer<typeof ringStrategySchema>;

/** The `ring` strategy: on for deployment rings, no user id needed. */
export const ringStrategy = defineStrategy({
  type: 'ring',
  schema: ringStrategySchema,
  reasons: membershipReasons('ring', { match: 'RING_MATCH', noMatch: 'RING_NO_MATCH' }, "the context's ring", "one of the flag's rings"),
  compile(strategy: RingStrategy, flag) {
    const rings: ReadonlySet<string> = new Set(strategy.rings);
    return {
      decide(_userId, context) {
        const ring = readRing(context);
        if (ring === INVALID_FIELD) return 'INVALID_CONTEXT';
        return rings.has(ring ?? DEFAULT_RING) ? 'RING_MATCH' : 'RING_NO_MATCH';
      },
      quick(context) {
        if (context == null) return rings.has(DEFAULT_RING) ? 1 : 0;
        const userId = readUserId(context);
        const ring = readRing(context);
        if (userId === INVALID_FIELD || ring === INVALID_FIELD) return -1;
        if (isListedUser(flag, userId)) return 1;
        return rings.has(ring ?? DEFAULT_RING) ? 1 : 0;
      },
    };
  },
  describe: (strategy: RingStrategy) => `rings ${strategy.rings.join(',')}`,
  cli: {
    options: [{ name: 'rings', kind: 'list', placeholder: 'canary,internal' }],
    help: 'rings',
    fromOptions: (values) => ({ type: 'ring', rings: values.get('rings') as string[] }),
  },
});
