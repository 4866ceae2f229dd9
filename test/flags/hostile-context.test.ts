import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryStore, createPhasegate, evaluateFlag, type EvaluationContext } from '../../src/index.js';
import { flagArbitrary, timeArbitrary } from '../../src/testing/index.js';
import { JAN_1, makeFlag } from '../helpers.js';

/** Contexts a host could pass by mistake or malice: throwing getters, Proxies, revoked Proxies. */
function hostileContexts(): unknown[] {
  const throwing = Object.defineProperty({}, 'userId', {
    get() {
      throw new Error('getter exploded');
    },
  });
  const throwingRing = Object.defineProperty({ userId: 'u-1' }, 'ring', {
    get() {
      throw new Error('ring getter exploded');
    },
  });
  const throwingFeatures = Object.defineProperty({ userId: 'u-1' }, 'earlyAccessFeatures', {
    get() {
      throw new Error('features getter exploded');
    },
  });
  const throwingLevel = Object.defineProperty({ userId: 'u-1' }, 'accessLevel', {
    get() {
      throw new Error('level getter exploded');
    },
  });
  const trapEverything = new Proxy(
    {},
    {
      get() {
        throw new Error('proxy get trap');
      },
      has() {
        throw new Error('proxy has trap');
      },
    },
  );
  let reads = 0;
  // Answers a string on the first read and a number afterwards: code that reads twice sees both.
  const shapeShifter = new Proxy({}, { get: (_target, field) => (field === 'userId' ? (reads++ === 0 ? 'u-1' : 42) : undefined) });
  const { proxy: revoked, revoke } = Proxy.revocable({}, {});
  revoke();
  const featuresProxy = {
    userId: 'u-1',
    earlyAccessFeatures: new Proxy([], {
      get() {
        throw new Error('array trap');
      },
    }),
  };
  const badLevel = { userId: 'u-1', accessLevel: { toString: () => { throw new Error('toString'); } } };
  return [throwing, throwingRing, throwingFeatures, throwingLevel, trapEverything, shapeShifter, revoked, featuresProxy, badLevel, { userId: '__proto__', accessLevel: '__proto__' }];
}

const flags = [
  makeFlag({ key: 'pct', state: 'rollout', strategy: { type: 'percentage', percentage: 50 } }),
  makeFlag({ key: 'list', state: 'rollout', strategy: { type: 'userList', userIds: ['u-1'] }, enabledUsers: ['u-2'] }),
  makeFlag({ key: 'rings', state: 'rollout', strategy: { type: 'ring', rings: ['canary'] } }),
  makeFlag({ key: 'ramp', state: 'rollout', strategy: { type: 'gradual', startAt: JAN_1, endAt: JAN_1 + 86_400_000 } }),
  makeFlag({ key: 'beta', state: 'beta', accessLevel: 'beta', strategy: { type: 'percentage', percentage: 0 } }),
  makeFlag({ key: 'on', state: 'enabled' }),
  makeFlag({ key: 'old', state: 'deprecated' }),
];

describe('contexts with throwing getters or Proxies', () => {
  it('evaluateFlag answers off with INVALID_CONTEXT instead of throwing when a context getter throws', () => {
    const result = evaluateFlag(flags[0]!, hostileContexts()[0] as EvaluationContext, JAN_1);
    expect(result).toMatchObject({ enabled: false, reason: 'INVALID_CONTEXT' });
    for (const flag of flags) {
      for (const context of hostileContexts()) {
        expect(() => evaluateFlag(flag, context as EvaluationContext, JAN_1 + 3_600_000)).not.toThrow();
      }
    }
  });

  it('isEnabled and evaluate never throw on a Proxy context, report it, and the next call still answers', async () => {
    const store = new MemoryStore();
    const gate = await createPhasegate({ store });
    try {
      for (const flag of flags) {
        const { key, hashVersion: _h, createdAt: _c, updatedAt: _u, ...input } = flag;
        await gate.flags.create({ key, ...input });
      }
      const errors: string[] = [];
      gate.events.on('evaluation:error', ({ flagKey }) => errors.push(flagKey));
      for (const flag of flags) {
        for (const context of hostileContexts()) {
          expect(typeof gate.isEnabled(flag.key, context as EvaluationContext)).toBe('boolean');
          expect(gate.evaluate(flag.key, context as EvaluationContext).enabled).toBeTypeOf('boolean');
        }
        expect(gate.isEnabled('on', { userId: 'u-1' })).toBe(true);
      }
      expect(gate.evaluate('pct', hostileContexts()[0] as EvaluationContext).reason).toBe('INVALID_CONTEXT');
      expect(errors).toContain('pct');
      expect(gate.enabledFlags(hostileContexts()[4] as EvaluationContext)).toContain('on');
      await gate.analytics.flush();
    } finally {
      await gate.close();
    }
  });

  it('a context read once: a getter that changes its answer cannot make the decision inconsistent', () => {
    let reads = 0;
    const context = {
      get userId() {
        reads++;
        return 'u-1';
      },
    };
    const result = evaluateFlag(flags[0]!, context, JAN_1);
    expect(reads).toBe(1);
    expect(['IN_PERCENTAGE', 'OUTSIDE_PERCENTAGE']).toContain(result.reason);
  });

  it('a targeted flag reads the user id and the attributes once per isEnabled, however many conditions', async () => {
    const reads = { userId: 0, attributes: 0 };
    const context = {
      get userId() {
        reads.userId++;
        return 'u-1';
      },
      get attributes() {
        reads.attributes++;
        return { country: 'DE', version: '2.4.0', seats: 12 };
      },
    };
    const gate = await createPhasegate({ store: new MemoryStore(), trackExposure: false });
    try {
      await gate.flags.create({
        key: 'targeted',
        state: 'rollout',
        strategy: { type: 'percentage', percentage: 0 },
        rules: [
          { id: 'none', conditions: [{ attribute: 'country', operator: 'IN', values: ['FR'] }], serve: { type: 'on' } },
          {
            id: 'audience',
            conditions: [
              { attribute: 'country', operator: 'IN', values: ['DE'] },
              { attribute: 'version', operator: 'SEMVER_GT', values: ['2.0.0'] },
              { attribute: 'seats', operator: 'NUM_GTE', values: [10] },
            ],
            serve: { type: 'percentage', percentage: 100 },
          },
        ],
      });
      expect(gate.isEnabled('targeted', context)).toBe(true);
      expect(reads).toEqual({ userId: 1, attributes: 1 });
    } finally {
      await gate.close();
    }
  });

  it('property: evaluation never throws on any context', () => {
    const hostile = hostileContexts();
    // Hostile objects are picked by index inside the property: fast-check itself probes the
    // values it generates, and a trap-everything Proxy would throw there.
    const contextArb = fc.oneof(
      fc.anything().map((value) => ({ pick: -1, value })),
      fc.nat({ max: hostile.length - 1 }).map((pick) => ({ pick, value: undefined })),
      fc
        .record({ userId: fc.anything(), ring: fc.anything(), accessLevel: fc.anything(), earlyAccessFeatures: fc.anything() }, { requiredKeys: [] })
        .map((value) => ({ pick: -1, value })),
    );
    fc.assert(
      fc.property(flagArbitrary(), contextArb, timeArbitrary(), (flag, { pick, value }, now) => {
        const context = pick >= 0 ? hostile[pick] : value;
        const result = evaluateFlag(flag, context as EvaluationContext, now);
        expect(typeof result.enabled).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });
});
