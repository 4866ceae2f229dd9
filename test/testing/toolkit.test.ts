import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Duration, ManualClock, MemoryStore, ValidationError, bucketOf, createPhasegate, thresholdFor } from '../../src/index.js';
import {
  RolloutAssertionError,
  assertExposureWithinPlan,
  assertFeatureDependency,
  assertMonotonicExposure,
  assertStableAssignment,
  contextArbitrary,
  createTestGate,
  flagArbitrary,
  rolloutPlanArbitrary,
  simulateRollout,
  userIdArbitrary,
  type Simulation,
} from '../../src/testing/index.js';
import { makeFlag, userIds } from '../helpers.js';

const users = userIds(5000);
const healthy = {
  version: '2.0.0',
  features: ['new-search'],
  plan: {
    phases: [
      { name: 'beta', percentage: 5, durationMs: Duration.week },
      { name: 'gradual', percentage: 50, durationMs: Duration.week },
      { name: 'full', percentage: 100, durationMs: 0 },
    ],
  },
};
const broken = {
  version: '2.0.1',
  features: ['new-search'],
  plan: {
    phases: [
      { name: 'beta', percentage: 50, durationMs: Duration.week },
      { name: 'oops', percentage: 10, durationMs: Duration.week }, // goes down
      { name: 'full', percentage: 100, durationMs: 0 },
    ],
  },
};

describe('simulateRollout', () => {
  it('follows the plan step by step with the production evaluator', () => {
    const simulation = simulateRollout({ release: healthy, users, from: 0, to: 3 * Duration.week, step: Duration.day });
    expect(simulation.steps).toHaveLength(22);
    expect(simulation.steps.map((s) => s.phase)).toEqual([...Array(7).fill('beta'), ...Array(7).fill('gradual'), ...Array(8).fill('full')]);
    expect(simulation.completedAt).toBe(2 * Duration.week);
    const beta = simulation.steps[0]!.enabled.get('new-search')!;
    expect([...beta].sort()).toEqual(users.filter((id) => bucketOf('release:2.0.0', id) < thresholdFor(5)).sort());
    expect(simulation.steps[0]!.states.get('new-search')).toBe('rollout, percentage 5%');
    expect(simulation.steps.at(-1)!.enabled.get('new-search')!.size).toBe(users.length);
  });

  it('moves gradual flags with the virtual clock', () => {
    const ramp = makeFlag({ key: 'ramp', state: 'rollout', strategy: { type: 'gradual', startAt: 0, endAt: 10 * Duration.day } });
    const simulation = simulateRollout({ flags: [ramp], users, from: 0, to: 10 * Duration.day, step: Duration.day });
    const sizes = simulation.steps.map((s) => s.enabled.get('ramp')!.size);
    expect(sizes[0]).toBe(0);
    expect(sizes.at(-1)).toBe(users.length);
    expect(Math.abs(sizes[5]! - users.length / 2)).toBeLessThan(200);
  });

  it('rejects a zero step and an inverted window', () => {
    expect(() => simulateRollout({ release: healthy, users, from: 0, to: 10, step: 0 })).toThrow(/step must be greater than 0/);
    expect(() => simulateRollout({ release: healthy, users, from: 10, to: 0, step: 1 })).toThrow(/to must not be before from/);
  });
});

describe('assertMonotonicExposure', () => {
  it('passes for healthy plans, including every plan the arbitrary can make', () => {
    assertMonotonicExposure(simulateRollout({ release: healthy, users, from: 0, to: 3 * Duration.week, step: Duration.day }));
    fc.assert(
      fc.property(rolloutPlanArbitrary(), fc.array(userIdArbitrary(), { minLength: 1, maxLength: 50 }), (plan, ids) => {
        const simulation = simulateRollout({ release: { version: '9.9.9', features: ['f'], plan }, users: ids, from: 0, to: 90 * Duration.day, step: Duration.day });
        assertMonotonicExposure(simulation);
        assertExposureWithinPlan(simulation);
      }),
      { numRuns: 100 },
    );
  });

  it('catches a plan whose percentage goes down, naming user, times and states', () => {
    const simulation = simulateRollout({ release: broken, users, from: 0, to: 3 * Duration.week, step: Duration.day });
    const error = (() => {
      try {
        assertMonotonicExposure(simulation);
      } catch (e) {
        return e as RolloutAssertionError;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(RolloutAssertionError);
    expect(error!.counterexample).toMatchObject({
      feature: 'new-search',
      hadItAt: '1970-01-07T00:00:00.000Z',
      lostItAt: '1970-01-08T00:00:00.000Z',
      stateBefore: 'rollout, percentage 50%',
      stateAfter: 'rollout, percentage 10%',
      phaseBefore: 'beta',
      phaseAfter: 'oops',
    });
    expect(error!.message).toMatch(/^User 'u-\d+' lost 'new-search' during the rollout\n {2}user: u-\d+/);
  });

  it('lets fast-check shrink the failure to a minimal user id', () => {
    const result = fc.check(
      fc.property(userIdArbitrary(), (userId) => {
        assertMonotonicExposure(simulateRollout({ release: broken, users: [userId], from: 0, to: 2 * Duration.week, step: Duration.week }));
      }),
      { seed: 42, numRuns: 500 },
    );
    expect(result.failed).toBe(true);
    const [userId] = result.counterexample!;
    expect(userId.length).toBeLessThanOrEqual(2);
    const bucket = bucketOf('release:2.0.1', userId);
    expect(bucket >= thresholdFor(10) && bucket < thresholdFor(50)).toBe(true);
    expect(String(result.errorInstance)).toContain(`User '${userId}' lost 'new-search'`);
  });
});

describe('assertFeatureDependency', () => {
  const payments = (salt: string) => makeFlag({ key: 'payments-api-v3', salt, state: 'rollout', strategy: { type: 'percentage', percentage: 20 } });
  const checkout = (salt: string) => makeFlag({ key: 'checkout-v2', salt, state: 'rollout', strategy: { type: 'percentage', percentage: 10 } });

  it('holds when both share a salt and the dependent flag is at a lower percentage', () => {
    const simulation = simulateRollout({ flags: [payments('release:3.0.0'), checkout('release:3.0.0')], users, from: 0, to: 0, step: 1 });
    assertFeatureDependency(simulation, { feature: 'checkout-v2', requires: 'payments-api-v3' });
  });

  it('catches users who get checkout-v2 without payments-api-v3, with a shrunk counterexample', () => {
    const simulation = simulateRollout({ flags: [payments('a'), checkout('b')], users, from: 0, to: 0, step: 1 });
    expect(() => assertFeatureDependency(simulation, { feature: 'checkout-v2', requires: 'payments-api-v3' })).toThrow(
      /User 'u-\d+' has 'checkout-v2' without 'payments-api-v3'\n {2}user: u-\d+\n {2}at: 1970-01-01T00:00:00.000Z\n {2}feature: checkout-v2\n {2}featureState: rollout, percentage 10%/,
    );
    const result = fc.check(
      fc.property(userIdArbitrary(), (userId) => {
        assertFeatureDependency(simulateRollout({ flags: [payments('a'), checkout('b')], users: [userId], from: 0, to: 0, step: 1 }), {
          feature: 'checkout-v2',
          requires: 'payments-api-v3',
        });
      }),
      { seed: 7, numRuns: 2000 },
    );
    expect(result.failed).toBe(true);
    const [userId] = result.counterexample!;
    expect(userId.length).toBeLessThanOrEqual(4);
    expect(bucketOf('b', userId) < thresholdFor(10) && bucketOf('a', userId) >= thresholdFor(20)).toBe(true);
  });
});

describe('assertExposureWithinPlan', () => {
  it('catches exposure beyond the plan', () => {
    const step = { at: 0, phase: 'beta', plannedPercentage: 5, states: new Map([['f', 'rollout, percentage 50%']]), enabled: new Map([['f', new Set(users.slice(0, 2500))]]) };
    const simulation: Simulation = { features: ['f'], users, steps: [step], completedAt: null };
    expect(() => assertExposureWithinPlan(simulation)).toThrow(/'f' reached more users than its plan allows[\s\S]*exposedUsers: 2500/);
  });
});

describe('assertStableAssignment', () => {
  const flag = makeFlag({ key: 'f', state: 'rollout', strategy: { type: 'percentage', percentage: 30 } });

  it('accepts changes that should move nobody', () => {
    assertStableAssignment(flag, { ...flag, description: 'now with docs' }, users);
    assertStableAssignment(flag, { ...flag, enabledUsers: ['u-1', 'u-2'] }, users, { allowedToChange: ['u-1', 'u-2'] });
    assertStableAssignment(flag, { ...flag, strategy: { type: 'percentage', percentage: 30.0 } }, users);
  });

  it('catches a change that re-buckets people', () => {
    expect(() => assertStableAssignment(flag, { ...flag, salt: 'oops' }, users)).toThrow(/User 'u-\d+' moved when 'f' changed\n {2}user: u-\d+\n {2}at: [^\n]+\n {2}before: (on|off) \((IN|OUTSIDE)_PERCENTAGE, bucket \d+\)/);
    expect(() => assertStableAssignment(flag, { ...flag, enabledUsers: ['u-1'] }, users)).not.toThrow();
    const outsider = users.find((id) => bucketOf('f', id) >= thresholdFor(30))!;
    expect(() => assertStableAssignment(flag, { ...flag, enabledUsers: [outsider] }, users)).toThrow(new RegExp(`User '${outsider}' moved`));
  });
});

describe('createTestGate', () => {
  it('is resettable between tests', () => {
    const gate = createTestGate({ forced: { a: true } });
    gate.force('b', true);
    gate.force('a', false);
    expect(gate.enabledFlags()).toEqual(['b']);
    gate.reset();
    expect(gate.enabledFlags()).toEqual(['a']);
  });

  it('accepts flags as flags.create takes them (it wanted complete stored records)', () => {
    const gate = createTestGate({
      flags: [
        { key: 'new-checkout', state: 'rollout', strategy: { type: 'percentage', percentage: 12.5 } },
        { key: 'dark-mode', state: 'enabled' },
        { key: 'off-by-default' },
      ],
    });
    expect(gate.evaluate('new-checkout', { userId: 'u-42' })).toMatchObject({ enabled: false, reason: 'OUTSIDE_PERCENTAGE', bucket: 17353 });
    expect(gate.isEnabled('new-checkout', { userId: 'user@example.com' })).toBe(true);
    expect(gate.enabledFlags({ userId: 'u-42' })).toEqual(['dark-mode']);
    // Complete records (as flags.list() returns them) still work.
    // They survive the client's first load and can be changed through the API.
    expect(createTestGate({ flags: [makeFlag({ key: 'x', state: 'enabled' })] }).isEnabled('x')).toBe(true);
  });

  it('keeps the given flags after an await (they vanished once the empty store had loaded)', async () => {
    const gate = createTestGate({ flags: [{ key: 'dark-mode', state: 'enabled' }] });
    await gate.ready;
    expect(gate.isEnabled('dark-mode')).toBe(true);
    await gate.flags.update('dark-mode', { state: 'disabled' });
    expect(gate.isEnabled('dark-mode')).toBe(false);
    expect(() => createTestGate({ flags: [{ key: 'a' }, { key: 'a' }] })).toThrow(/a: is given twice/);
  });

  it('rejects an invalid flag with the field and the rule', () => {
    expect(() => createTestGate({ flags: [{ key: 'x', strategy: { type: 'percentage', percentage: 140 } }] })).toThrow(ValidationError);
    expect(() => createTestGate({ flags: [{ key: 'x', strategy: { type: 'percentage', percentage: 140 } }] })).toThrow(/strategy\.percentage: must be at most 100/);
  });

  it('answers exactly as a real client after flags.create with the same input, for any flag and context', async () => {
    await fc.assert(
      fc.asyncProperty(flagArbitrary(), fc.array(contextArbitrary(), { minLength: 1, maxLength: 10 }), async (flag, contexts) => {
        const { hashVersion: _version, createdAt: _created, updatedAt: _updated, ...input } = flag;
        const clock = new ManualClock(Date.UTC(2026, 0, 1));
        const test = createTestGate({ flags: [input], clock });
        const real = await createPhasegate({ store: new MemoryStore(), clock });
        try {
          await real.flags.create(input);
          for (const context of contexts) expect(test.evaluate(flag.key, context)).toEqual(real.evaluate(flag.key, context));
        } finally {
          await real.close();
          await test.close();
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('binomialUpperBound', () => {
  it('is exact for small samples and close to the normal bound for large ones', async () => {
    const { binomialUpperBound } = await import('../../src/testing/index.js');
    // 3 users at 1%: P(X >= 2) = 2.98e-4 and P(X >= 3) = 1e-6, so at alpha 1e-9 all 3 may be exposed.
    expect(binomialUpperBound(3, 0.01, 1e-9)).toBe(3);
    expect(binomialUpperBound(3, 0.01, 1e-3)).toBe(1);
    expect(binomialUpperBound(10, 0.5, 1e-3)).toBe(10 - 1); // P(X = 10) = 1/1024 < 1e-3
    expect(binomialUpperBound(100, 0, 1e-9)).toBe(0);
    expect(binomialUpperBound(100, 1, 1e-9)).toBe(100);
    const n = 100_000;
    const bound = binomialUpperBound(n, 0.1, 1e-9);
    const sigma = Math.sqrt(n * 0.1 * 0.9);
    expect(bound).toBeGreaterThan(n * 0.1 + 5.5 * sigma);
    expect(bound).toBeLessThan(n * 0.1 + 6.5 * sigma);
  });

  it('never flags an honest rollout, however few users', () => {
    fc.assert(
      fc.property(fc.uniqueArray(userIdArbitrary(), { minLength: 1, maxLength: 5 }), (ids) => {
        assertExposureWithinPlan(simulateRollout({ release: healthy, users: ids, from: 0, to: 3 * Duration.week, step: Duration.week }));
      }),
      { numRuns: 2000 },
    );
  });
});
