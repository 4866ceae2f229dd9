// Example 2: checkout-v2 calls payments-api-v3, so no user may ever have checkout-v2 without it.
// Sharing a salt and keeping checkout-v2's percentage at or below payments' guarantees it.
import fc from 'fast-check';
import { Duration, type Flag } from 'phasegate';
import { assertFeatureDependency, simulateRollout, userIdArbitrary } from 'phasegate/testing';
import { it } from 'vitest';

const flag = (key: string, startAt: number, endAt: number): Flag => ({
  key,
  description: '',
  state: 'rollout',
  strategy: { type: 'gradual', startAt, endAt },
  enabledUsers: [],
  salt: 'checkout-migration',
  tags: [],
  metadata: {},
  hashVersion: 1,
  createdAt: 0,
  updatedAt: 0,
});

it('no user ever has checkout-v2 without payments-api-v3', () => {
  // payments ramps over 4 weeks; checkout starts a week later and ramps more slowly.
  const flags = [flag('payments-api-v3', 0, 4 * Duration.week), flag('checkout-v2', Duration.week, 8 * Duration.week)];
  fc.assert(
    fc.property(fc.uniqueArray(userIdArbitrary(), { minLength: 1, maxLength: 200 }), (users) => {
      const simulation = simulateRollout({ flags, users, from: 0, to: 9 * Duration.week, step: Duration.day });
      assertFeatureDependency(simulation, { feature: 'checkout-v2', requires: 'payments-api-v3' });
    }),
  );
});
