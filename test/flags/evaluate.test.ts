import { describe, expect, it } from 'vitest';
import { bucketOf, evaluateFlag, explainEvaluation, type FlagState, type Strategy } from '../../src/index.js';
import { JAN_1, makeFlag, userIds } from '../helpers.js';

const DAY = 86_400_000;

describe('states', () => {
  it.each([
    ['disabled', false, 'DISABLED'],
    ['enabled', true, 'ENABLED'],
    ['deprecated', false, 'DEPRECATED'],
  ] as const)('%s gives %s whatever the strategy says', (state, enabled, reason) => {
    const flag = makeFlag({ key: 'f', state, strategy: { type: 'percentage', percentage: 100 }, enabledUsers: ['u-1'] });
    for (const context of [undefined, {}, { userId: 'u-1' }, { userId: 'u-2', ring: 'canary' }]) {
      const result = evaluateFlag(flag, context, JAN_1);
      expect(result).toMatchObject({ flagKey: 'f', enabled, reason, state });
      expect(result.bucket).toBeUndefined();
    }
  });

  it.each(['rollout', 'beta'] as FlagState[])('%s lets the strategy decide', (state) => {
    const on = makeFlag({ key: 'f', state, strategy: { type: 'percentage', percentage: 100 } });
    const off = makeFlag({ key: 'f', state, strategy: { type: 'percentage', percentage: 0 } });
    expect(evaluateFlag(on, { userId: 'x' }, JAN_1).reason).toBe('IN_PERCENTAGE');
    expect(evaluateFlag(off, { userId: 'x' }, JAN_1).reason).toBe('OUTSIDE_PERCENTAGE');
  });
});

describe('explicitly listed users', () => {
  it('are on in rollout and beta whatever the strategy says', () => {
    for (const state of ['rollout', 'beta'] as const) {
      const strategies: Strategy[] = [
        { type: 'percentage', percentage: 0 },
        { type: 'userList', userIds: [] },
        { type: 'ring', rings: ['nowhere'] },
        { type: 'gradual', startAt: JAN_1 + DAY, endAt: JAN_1 + 2 * DAY },
      ];
      for (const strategy of strategies) {
        const flag = makeFlag({ key: 'f', state, strategy, enabledUsers: ['vip'] });
        expect(evaluateFlag(flag, { userId: 'vip' }, JAN_1)).toMatchObject({ enabled: true, reason: 'LISTED_USER' });
        expect(evaluateFlag(flag, { userId: 'someone-else' }, JAN_1).enabled).toBe(false);
      }
    }
  });
});

describe('percentage strategy', () => {
  it('is on iff bucket < percentage × 1000, with the bucket and threshold reported', () => {
    const flag = makeFlag({ key: 'new-checkout', state: 'rollout', strategy: { type: 'percentage', percentage: 12.5 } });
    for (const userId of userIds(500)) {
      const result = evaluateFlag(flag, { userId }, JAN_1);
      const bucket = bucketOf('new-checkout', userId);
      expect(result.bucket).toBe(bucket);
      expect(result.threshold).toBe(12_500);
      expect(result.enabled).toBe(bucket < 12_500);
      expect(result.reason).toBe(bucket < 12_500 ? 'IN_PERCENTAGE' : 'OUTSIDE_PERCENTAGE');
    }
  });

  it('uses the salt instead of the key when one is set', () => {
    const flag = makeFlag({ key: 'f', salt: 'release-1.0.0', state: 'rollout', strategy: { type: 'percentage', percentage: 50 } });
    expect(evaluateFlag(flag, { userId: 'u-1' }, JAN_1).bucket).toBe(bucketOf('release-1.0.0', 'u-1'));
    expect(bucketOf('release-1.0.0', 'u-1')).not.toBe(bucketOf('f', 'u-1'));
  });

  it('needs a user id', () => {
    const flag = makeFlag({ key: 'f', state: 'rollout', strategy: { type: 'percentage', percentage: 100 } });
    for (const context of [undefined, {}, { userId: '' }, { ring: 'canary' }]) {
      expect(evaluateFlag(flag, context, JAN_1)).toMatchObject({ enabled: false, reason: 'NO_USER_ID' });
    }
  });
});

describe('userList strategy', () => {
  it('is on exactly for listed ids', () => {
    const flag = makeFlag({ key: 'f', state: 'rollout', strategy: { type: 'userList', userIds: ['a', 'b'] } });
    expect(evaluateFlag(flag, { userId: 'a' }, JAN_1)).toMatchObject({ enabled: true, reason: 'USER_LIST_MATCH' });
    expect(evaluateFlag(flag, { userId: 'c' }, JAN_1)).toMatchObject({ enabled: false, reason: 'USER_LIST_NO_MATCH' });
    expect(evaluateFlag(flag, {}, JAN_1).reason).toBe('NO_USER_ID');
  });
});

describe('ring strategy', () => {
  it('needs no user id and defaults the ring to production', () => {
    const flag = makeFlag({ key: 'f', state: 'rollout', strategy: { type: 'ring', rings: ['canary', 'production'] } });
    expect(evaluateFlag(flag, undefined, JAN_1)).toMatchObject({ enabled: true, reason: 'RING_MATCH' });
    expect(evaluateFlag(flag, { ring: 'canary' }, JAN_1)).toMatchObject({ enabled: true, reason: 'RING_MATCH' });
    const canaryOnly = makeFlag({ key: 'f', state: 'rollout', strategy: { type: 'ring', rings: ['canary'] } });
    expect(evaluateFlag(canaryOnly, {}, JAN_1)).toMatchObject({ enabled: false, reason: 'RING_NO_MATCH' });
    expect(evaluateFlag(canaryOnly, { ring: 'canary', userId: 'u' }, JAN_1).enabled).toBe(true);
  });
});

describe('gradual strategy', () => {
  const flag = makeFlag({ key: 'ramp', state: 'rollout', strategy: { type: 'gradual', startAt: JAN_1, endAt: JAN_1 + 10 * DAY } });

  it('is off before start and on for everyone (even without id) after end', () => {
    expect(evaluateFlag(flag, { userId: 'u' }, JAN_1 - 1)).toMatchObject({ enabled: false, reason: 'RAMP_NOT_STARTED' });
    expect(evaluateFlag(flag, {}, JAN_1 + 10 * DAY)).toMatchObject({ enabled: true, reason: 'RAMP_COMPLETE' });
    expect(evaluateFlag(flag, {}, JAN_1 + 20 * DAY).enabled).toBe(true);
  });

  it('ramps linearly with the same bucketing as percentage', () => {
    const at = JAN_1 + 3 * DAY; // 30% of the way
    for (const userId of userIds(300)) {
      const result = evaluateFlag(flag, { userId }, at);
      expect(result.threshold).toBe(30_000);
      expect(result.bucket).toBe(bucketOf('ramp', userId));
      expect(result.enabled).toBe(bucketOf('ramp', userId) < 30_000);
    }
    expect(evaluateFlag(flag, {}, at).reason).toBe('NO_USER_ID');
  });

  it('a one-millisecond ramp does not divide by zero', () => {
    const tiny = makeFlag({ key: 't', state: 'rollout', strategy: { type: 'gradual', startAt: 1000, endAt: 1001 } });
    expect(evaluateFlag(tiny, { userId: 'u' }, 1000)).toMatchObject({ enabled: false, threshold: 0 });
    expect(evaluateFlag(tiny, { userId: 'u' }, 1001).enabled).toBe(true);
  });
});

describe('beta flags and early access', () => {
  it('turn on for members at a qualifying level (levels nest)', () => {
    const flag = makeFlag({ key: 'f', state: 'beta', accessLevel: 'beta', strategy: { type: 'percentage', percentage: 0 } });
    expect(evaluateFlag(flag, { userId: 'a', accessLevel: 'alpha' }, JAN_1)).toMatchObject({ enabled: true, reason: 'EARLY_ACCESS' });
    expect(evaluateFlag(flag, { userId: 'b', accessLevel: 'beta' }, JAN_1).enabled).toBe(true);
    expect(evaluateFlag(flag, { userId: 'c', accessLevel: 'preview' }, JAN_1).enabled).toBe(false);
    expect(evaluateFlag(flag, { userId: 'd' }, JAN_1).enabled).toBe(false);
  });

  it('without an access level, follow the features the program grants, and never apply to rollout flags', () => {
    const beta = makeFlag({ key: 'f', state: 'beta' });
    expect(evaluateFlag(beta, { accessLevel: 'alpha' }, JAN_1).enabled).toBe(false);
    expect(evaluateFlag(beta, { userId: 'u', accessLevel: 'alpha', earlyAccessFeatures: ['f'] }, JAN_1)).toMatchObject({ enabled: true, reason: 'EARLY_ACCESS' });
    expect(evaluateFlag(beta, { userId: 'u', earlyAccessFeatures: ['other'] }, JAN_1).enabled).toBe(false);
    const rollout = makeFlag({ key: 'f', state: 'rollout', accessLevel: 'preview' });
    expect(evaluateFlag(rollout, { userId: 'a', accessLevel: 'alpha', earlyAccessFeatures: ['f'] }, JAN_1).enabled).toBe(false);
  });
});

describe('malformed contexts', () => {
  it('give INVALID_CONTEXT instead of throwing', () => {
    const flag = makeFlag({ key: 'f', state: 'rollout', strategy: { type: 'percentage', percentage: 100 } });
    const result = evaluateFlag(flag, { userId: 42 as unknown as string }, JAN_1);
    expect(result).toMatchObject({ enabled: false, reason: 'INVALID_CONTEXT' });
    expect(result.errorMessage).toMatch(/userId/);
    const ring = makeFlag({ key: 'f', state: 'rollout', strategy: { type: 'ring', rings: ['x'] } });
    expect(evaluateFlag(ring, { ring: {} as unknown as string }, JAN_1).reason).toBe('INVALID_CONTEXT');
  });
});

describe('explainEvaluation', () => {
  it('says on/off, why, and the bucket arithmetic', () => {
    const flag = makeFlag({ key: 'new-checkout', state: 'rollout', strategy: { type: 'percentage', percentage: 12.5 } });
    const text = explainEvaluation(evaluateFlag(flag, { userId: 'u-42' }, JAN_1));
    expect(text).toBe(
      "new-checkout is off: the user's bucket is outside the percentage (bucket 17353 >= threshold 12500 of 100000) [OUTSIDE_PERCENTAGE]",
    );
  });
});
