// Example 1: nobody who gets a feature during the 2.0.0 rollout loses it before completion,
// and exposure never runs ahead of the plan, for any set of user ids.
import fc from 'fast-check';
import { Duration } from 'phasegate';
import { assertExposureWithinPlan, assertMonotonicExposure, simulateRollout, userIdArbitrary } from 'phasegate/testing';
import { it } from 'vitest';

const release = {
  version: '2.0.0',
  features: ['new-search', 'new-nav'],
  plan: {
    phases: [
      { name: 'alpha', percentage: 1, durationMs: Duration.week },
      { name: 'beta', percentage: 5, durationMs: 2 * Duration.week },
      { name: 'gradual', percentage: 50, durationMs: 6 * Duration.week },
      { name: 'full', percentage: 100, durationMs: 0 },
    ],
  },
};

it('no user loses a feature during the 2.0.0 rollout', () => {
  fc.assert(
    fc.property(fc.uniqueArray(userIdArbitrary(), { minLength: 1, maxLength: 200 }), (users) => {
      const simulation = simulateRollout({ release, users, from: 0, to: 12 * Duration.week, step: Duration.day });
      assertMonotonicExposure(simulation);
      assertExposureWithinPlan(simulation);
    }),
  );
});
