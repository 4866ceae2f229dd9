import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bucketOf,
  evaluateFlag,
  explainEvaluation,
  targetingEnvironment,
  thresholdFor,
  type EvaluationContext,
  type Flag,
  type FlagInput,
  type Segment,
} from '../../src/index.js';
import { toOpenFeatureReason } from '../../src/openfeature/index.js';
import { attributesArbitrary, conditionArbitrary, percentageArbitrary, rulesArbitrary, targetingContextArbitrary } from '../../src/testing/index.js';
import { CompiledFlag } from '../../src/flags/evaluate.js';
import { JAN_1, makeFlag } from '../helpers.js';

const flag = (input: Partial<FlagInput>): Flag =>
  makeFlag({ key: 'checkout', state: 'rollout', strategy: { type: 'percentage', percentage: 10 }, ...input } as FlagInput);

const EU = ['DE', 'FR', 'IT', 'ES', 'NL'];
const enterpriseEu: FlagInput['rules'] = [
  {
    id: 'eu-enterprise',
    conditions: [
      { attribute: 'plan', operator: 'IN', values: ['enterprise'] },
      { attribute: 'country', operator: 'IN', values: EU },
      { attribute: 'appVersion', operator: 'SEMVER_GT', values: ['2.3.0'] },
    ],
    serve: { type: 'on' },
  },
  { id: 'free-off', conditions: [{ attribute: 'plan', operator: 'IN', values: ['free'] }], serve: { type: 'off' } },
];

describe('rules', () => {
  it('serves the first matching rule, else the strategy exactly as without rules', () => {
    const targeted = flag({ rules: enterpriseEu });
    const ent = { userId: 'u-1', attributes: { plan: 'enterprise', country: 'DE', appVersion: '2.4.0' } };
    expect(evaluateFlag(targeted, ent, JAN_1)).toMatchObject({ enabled: true, reason: 'RULE_MATCH', ruleId: 'eu-enterprise' });
    const free = { userId: 'user@example.com', attributes: { plan: 'free' } };
    expect(evaluateFlag(targeted, free, JAN_1)).toMatchObject({ enabled: false, reason: 'RULE_MATCH_OFF', ruleId: 'free-off' });
    const other = { userId: 'u-2', attributes: { plan: 'pro' } };
    const plain = evaluateFlag(flag({}), other, JAN_1);
    const withRules = evaluateFlag(targeted, other, JAN_1);
    expect(withRules.enabled).toBe(plain.enabled);
    expect(withRules.reason).toBe(plain.reason);
    expect(withRules.bucket).toBe(plain.bucket);
    expect(withRules.ruleId).toBeUndefined();
  });

  it('reports, per rule, the first condition that failed, and explains it in words', () => {
    const result = evaluateFlag(flag({ rules: enterpriseEu }), { userId: 'u-2', attributes: { plan: 'enterprise', country: 'US' } }, JAN_1);
    expect(result.rules).toEqual([
      {
        ruleId: 'eu-enterprise',
        matched: false,
        failure: expect.objectContaining({ index: 1, attribute: 'country', operator: 'IN', outcome: 'NO_MATCH' }),
      },
      { ruleId: 'free-off', matched: false, failure: expect.objectContaining({ index: 0, attribute: 'plan', outcome: 'NO_MATCH' }) },
    ]);
    const words = explainEvaluation(result);
    expect(words).toContain("no rule matched (rule 'eu-enterprise': country IN [\"DE\", \"FR\", \"IT\", \"ES\", \"NL\"] does not hold");
    const missing = evaluateFlag(flag({ rules: enterpriseEu }), { userId: 'u-2', attributes: { plan: 'enterprise', country: 'DE' } }, JAN_1);
    expect(missing.rules?.[0]?.failure).toMatchObject({ attribute: 'appVersion', outcome: 'MISSING' });
    expect(explainEvaluation(missing)).toContain('appVersion is missing');
    const wrong = evaluateFlag(flag({ rules: enterpriseEu }), { userId: 'u-2', attributes: { plan: 'enterprise', country: 'DE', appVersion: 'v2.4' } }, JAN_1);
    expect(wrong.rules?.[0]?.failure).toMatchObject({ attribute: 'appVersion', outcome: 'WRONG_TYPE' });
    const matched = evaluateFlag(flag({ rules: enterpriseEu }), { userId: 'u-2', attributes: { plan: 'free' } }, JAN_1);
    expect(explainEvaluation(matched)).toBe(
      "checkout is off: a targeting rule matched and serves off (rule 'free-off'); earlier rules did not match (rule 'eu-enterprise': plan IN [\"enterprise\"] does not hold) [RULE_MATCH_OFF]",
    );
  });

  it('serves a percentage of the matching users by the flag bucket', () => {
    const rules: FlagInput['rules'] = [{ id: 'pro-half', conditions: [{ attribute: 'plan', operator: 'IN', values: ['pro'] }], serve: { type: 'percentage', percentage: 50 } }];
    const targeted = flag({ rules });
    for (let i = 0; i < 200; i++) {
      const userId = `u-${i}`;
      const result = evaluateFlag(targeted, { userId, attributes: { plan: 'pro' } }, JAN_1);
      const bucket = bucketOf('checkout', userId);
      expect(result).toMatchObject({ bucket, threshold: thresholdFor(50), ruleId: 'pro-half', enabled: bucket < thresholdFor(50) });
      expect(result.reason).toBe(bucket < 50_000 ? 'RULE_IN_PERCENTAGE' : 'RULE_OUTSIDE_PERCENTAGE');
    }
    expect(evaluateFlag(targeted, { attributes: { plan: 'pro' } }, JAN_1).reason).toBe('NO_USER_ID');
  });

  it('apply in rollout and beta only; enabled and disabled flags ignore them', () => {
    const rules: FlagInput['rules'] = [{ id: 'all-de', conditions: [{ attribute: 'country', operator: 'IN', values: ['DE'] }], serve: { type: 'off' } }];
    const de = { userId: 'u', attributes: { country: 'DE' } };
    expect(evaluateFlag(flag({ state: 'enabled', rules }), de, JAN_1).reason).toBe('ENABLED');
    expect(evaluateFlag(flag({ state: 'disabled', rules }), de, JAN_1).reason).toBe('DISABLED');
    expect(evaluateFlag(flag({ state: 'beta', rules }), de, JAN_1).reason).toBe('RULE_MATCH_OFF');
    // Listed users come before rules (individual targets first, as in LaunchDarkly).
    expect(evaluateFlag(flag({ rules, enabledUsers: ['u'] }), de, JAN_1).reason).toBe('LISTED_USER');
  });

  it('map onto OpenFeature reasons consistently', () => {
    expect(toOpenFeatureReason('RULE_MATCH').reason).toBe('TARGETING_MATCH');
    expect(toOpenFeatureReason('RULE_MATCH_OFF').reason).toBe('TARGETING_MATCH');
    expect(toOpenFeatureReason('RULE_IN_PERCENTAGE').reason).toBe('SPLIT');
    expect(toOpenFeatureReason('RULE_OUTSIDE_PERCENTAGE').reason).toBe('SPLIT');
    expect(toOpenFeatureReason('PREREQUISITE_FAILED').reason).toBe('TARGETING_MATCH');
    expect(toOpenFeatureReason('NO_BUCKET_VALUE')).toEqual({ reason: 'ERROR', errorCode: 'TARGETING_KEY_MISSING' });
  });
});

describe('prerequisites', () => {
  const killSwitch = makeFlag({ key: 'payments-up', state: 'enabled' });
  const dependent = flag({ prerequisites: [{ flag: 'payments-up', enabled: true }], strategy: { type: 'percentage', percentage: 100 } });

  it('run before everything else in rollout: a failed one turns the flag off and says which', () => {
    const on = targetingEnvironment({ flags: [killSwitch] });
    expect(evaluateFlag(dependent, { userId: 'u' }, JAN_1, on).reason).toBe('IN_PERCENTAGE');
    const off = targetingEnvironment({ flags: [{ ...killSwitch, state: 'disabled' }] });
    const failed = evaluateFlag({ ...dependent, enabledUsers: ['u'] }, { userId: 'u' }, JAN_1, off);
    expect(failed).toMatchObject({ enabled: false, reason: 'PREREQUISITE_FAILED', prerequisite: { flag: 'payments-up', required: true, actual: 'off' } });
    expect(explainEvaluation(failed)).toContain("('payments-up' must be on and is off)");
    expect(evaluateFlag(dependent, { userId: 'u' }, JAN_1).prerequisite).toEqual({ flag: 'payments-up', required: true, actual: 'missing' });
  });

  it('can require a flag to be off, evaluated for the same context', () => {
    const legacy = makeFlag({ key: 'legacy', state: 'rollout', strategy: { type: 'userList', userIds: ['old'] } });
    const modern = flag({ prerequisites: [{ flag: 'legacy', enabled: false }], strategy: { type: 'percentage', percentage: 100 } });
    const environment = targetingEnvironment({ flags: [legacy] });
    expect(evaluateFlag(modern, { userId: 'old' }, JAN_1, environment).enabled).toBe(false);
    expect(evaluateFlag(modern, { userId: 'new' }, JAN_1, environment).enabled).toBe(true);
  });

  it('are guarded at evaluation: a cycle written behind the write check fails closed, never overflows', () => {
    const a = flag({ key: 'a', prerequisites: [{ flag: 'b', enabled: false }], strategy: { type: 'percentage', percentage: 100 } });
    const b = flag({ key: 'b', prerequisites: [{ flag: 'a', enabled: false }], strategy: { type: 'percentage', percentage: 100 } });
    const environment = targetingEnvironment({ flags: [a, b] });
    const result = evaluateFlag(a, { userId: 'u' }, JAN_1, environment);
    expect(result).toMatchObject({ enabled: false, reason: 'PREREQUISITE_FAILED', prerequisite: { flag: 'b', actual: 'too deep' } });
    const self = flag({ key: 's', prerequisites: [{ flag: 's', enabled: true }] });
    expect(evaluateFlag(self, { userId: 'u' }, JAN_1, targetingEnvironment({ flags: [self] })).reason).toBe('PREREQUISITE_FAILED');
  });

  it('leave the flag its own bucket in the result', () => {
    const pre = makeFlag({ key: 'pre', state: 'rollout', strategy: { type: 'percentage', percentage: 100 }, salt: 'other' });
    const main = flag({ prerequisites: [{ flag: 'pre', enabled: true }], enabledUsers: ['listed'] });
    const result = evaluateFlag(main, { userId: 'listed' }, JAN_1, targetingEnvironment({ flags: [pre] }));
    expect(result.reason).toBe('LISTED_USER');
    expect(result.bucket).toBeUndefined();
  });
});

describe('segments in rules', () => {
  const segment = (conditions: Segment['conditions']): Segment => ({ key: 'eu', description: '', conditions, createdAt: 0, updatedAt: 0 });
  const rules: FlagInput['rules'] = [{ id: 'eu-pro', segments: ['eu'], conditions: [{ attribute: 'plan', operator: 'IN', values: ['pro'] }], serve: { type: 'on' } }];

  it('match when the rule conditions and every segment condition hold; a missing segment never matches', () => {
    const eu = segment([{ attribute: 'country', operator: 'IN', values: EU }]);
    const environment = targetingEnvironment({ segments: [eu] });
    const ctx = { userId: 'u-7', attributes: { plan: 'pro', country: 'FR' } };
    expect(evaluateFlag(flag({ rules }), ctx, JAN_1, environment).reason).toBe('RULE_MATCH');
    const us = evaluateFlag(flag({ rules }), { ...ctx, attributes: { plan: 'pro', country: 'US' } }, JAN_1, environment);
    expect(us.rules?.[0]?.failure).toMatchObject({ segment: 'eu', index: 0, attribute: 'country', outcome: 'NO_MATCH' });
    expect(explainEvaluation(us)).toContain("rule 'eu-pro': segment 'eu': country IN");
    const none = evaluateFlag(flag({ rules }), ctx, JAN_1);
    expect(none.rules?.[0]?.failure).toMatchObject({ segment: 'eu', outcome: 'SEGMENT_MISSING' });
  });

  it('property: a segment edit reaches every flag that names it', () => {
    fc.assert(
      fc.property(fc.array(conditionArbitrary(), { minLength: 1, maxLength: 3 }), fc.array(conditionArbitrary(), { minLength: 1, maxLength: 3 }), attributesArbitrary(), (before, after, attributes) => {
        const flags = ['one', 'two', 'three'].map((key) => flag({ key, rules: [{ id: 'r', segments: ['eu'], serve: { type: 'on' } }], strategy: { type: 'percentage', percentage: 0 } }));
        const expected = evaluateFlag(flag({ key: 'direct', rules: [{ id: 'r', conditions: after, serve: { type: 'on' } }], strategy: { type: 'percentage', percentage: 0 } }), { userId: 'u', attributes }, JAN_1).enabled;
        const environment = { segments: new Map([['eu', segment(before)]]) };
        const lookup = { segment: (key: string) => environment.segments.get(key), flagState: () => -1 };
        // Compile against the old segment, then edit it and recompile as the snapshot does.
        flags.map((f) => new CompiledFlag(f, lookup));
        environment.segments.set('eu', segment(after));
        for (const f of flags) expect(new CompiledFlag(f, lookup).evaluate({ userId: 'u', attributes }, { now: () => JAN_1 }).enabled).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe('bucketBy', () => {
  it('buckets by an attribute so every member of an account gets the same answer', () => {
    fc.assert(
      fc.property(percentageArbitrary(), fc.constantFrom('acme', 'globex', 'initech'), fc.array(fc.string({ minLength: 1, maxLength: 10 }), { minLength: 2, maxLength: 8 }), (percentage, account, users) => {
        const byAccount = flag({ bucketBy: 'accountId', strategy: { type: 'percentage', percentage } });
        const answers = users.map((userId) => evaluateFlag(byAccount, { userId, attributes: { accountId: account } }, JAN_1));
        for (const answer of answers) {
          expect(answer.enabled).toBe(answers[0]!.enabled);
          expect(answer.bucket).toBe(bucketOf('checkout', account));
          expect(answer.bucketBy).toBe('accountId');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps hash version 1 for user ids: bucketBy userId answers exactly as no bucketBy', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 20 }), percentageArbitrary(), (userId, percentage) => {
        const plain = evaluateFlag(flag({ strategy: { type: 'percentage', percentage } }), { userId }, JAN_1);
        const explicit = evaluateFlag(flag({ bucketBy: 'userId', strategy: { type: 'percentage', percentage } }), { userId }, JAN_1);
        expect(explicit).toEqual(plain);
      }),
      { numRuns: 500 },
    );
  });

  it('says NO_BUCKET_VALUE when the attribute is missing or neither text nor a number; numbers bucket as their text', () => {
    const byAccount = flag({ bucketBy: 'accountId', strategy: { type: 'percentage', percentage: 50 } });
    expect(evaluateFlag(byAccount, { userId: 'u' }, JAN_1).reason).toBe('NO_BUCKET_VALUE');
    expect(evaluateFlag(byAccount, { userId: 'u', attributes: { accountId: {} } }, JAN_1).reason).toBe('NO_BUCKET_VALUE');
    expect(evaluateFlag(byAccount, { userId: 'u', attributes: { accountId: '' } }, JAN_1).reason).toBe('NO_BUCKET_VALUE');
    expect(evaluateFlag(byAccount, { attributes: { accountId: 42 } }, JAN_1).bucket).toBe(bucketOf('checkout', '42'));
    // userList strategies still match user ids, whatever the flag buckets by.
    const listed = flag({ bucketBy: 'accountId', strategy: { type: 'userList', userIds: ['u'] } });
    expect(evaluateFlag(listed, { userId: 'u' }, JAN_1).reason).toBe('USER_LIST_MATCH');
  });

  it('drives gradual ramps and rule percentages too', () => {
    const ramp = flag({ bucketBy: 'accountId', strategy: { type: 'gradual', startAt: JAN_1, endAt: JAN_1 + 1000 } });
    expect(evaluateFlag(ramp, { userId: 'x', attributes: { accountId: 'acme' } }, JAN_1 + 500).bucket).toBe(bucketOf('checkout', 'acme'));
    const rule = flag({ bucketBy: 'accountId', rules: [{ id: 'r', conditions: [{ attribute: 'plan', operator: 'IN', values: ['pro'] }], serve: { type: 'percentage', percentage: 30 } }] });
    expect(evaluateFlag(rule, { attributes: { plan: 'pro', accountId: 'acme' } }, JAN_1).bucket).toBe(bucketOf('checkout', 'acme'));
    expect(evaluateFlag(rule, { attributes: { plan: 'pro' } }, JAN_1).reason).toBe('NO_BUCKET_VALUE');
  });
});

describe('targeting invariants (properties)', () => {
  it('rules are evaluated in order: the answer is the first matching rule’s, else the strategy’s', () => {
    fc.assert(
      fc.property(rulesArbitrary(), targetingContextArbitrary(), percentageArbitrary(), (rules, context, percentage) => {
        const targeted = flag({ rules, strategy: { type: 'percentage', percentage } });
        const result = evaluateFlag(targeted, context, JAN_1);
        const first = rules.findIndex((rule) => evaluateFlag(flag({ rules: [rule], strategy: { type: 'percentage', percentage: 0 } }), context, JAN_1).ruleId !== undefined);
        if (first < 0) {
          expect(result.ruleId).toBeUndefined();
          const plain = evaluateFlag(flag({ strategy: { type: 'percentage', percentage } }), context, JAN_1);
          expect(result.enabled).toBe(plain.enabled);
          expect(result.reason).toBe(plain.reason);
        } else {
          expect(result.ruleId).toBe(rules[first]!.id);
          expect(result.rules?.map((t) => t.matched)).toEqual([...Array(first).fill(false), true]);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('raising a rule’s percentage never turns a user off', () => {
    fc.assert(
      fc.property(fc.array(conditionArbitrary(), { minLength: 1, maxLength: 3 }), percentageArbitrary(), percentageArbitrary(), targetingContextArbitrary(), (conditions, a, b, context) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        const at = (percentage: number) => flag({ rules: [{ id: 'r', conditions, serve: { type: 'percentage', percentage } }] });
        if (evaluateFlag(at(low), context, JAN_1).enabled) expect(evaluateFlag(at(high), context, JAN_1).enabled).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws, whatever the context', () => {
    const hostile = fc.constant(new Proxy({}, { get: () => { throw new Error('boom'); } }));
    const contexts = fc.oneof(targetingContextArbitrary(), fc.anything(), fc.record({ attributes: fc.anything() }), fc.record({ userId: fc.anything(), attributes: fc.dictionary(fc.string(), fc.anything()) }), hostile, fc.record({ attributes: hostile }));
    fc.assert(
      fc.property(rulesArbitrary(), contexts, fc.constantFrom(undefined, 'accountId', 'plan'), (rules, context, bucketBy) => {
        const targeted = flag({ rules, ...(bucketBy ? { bucketBy } : {}), prerequisites: [{ flag: 'missing', enabled: false }] });
        const result = evaluateFlag(targeted, context as EvaluationContext, JAN_1);
        expect(typeof result.enabled).toBe('boolean');
        expect(typeof explainEvaluation(result)).toBe('string');
        const free = flag({ rules, ...(bucketBy ? { bucketBy } : {}) });
        expect(typeof evaluateFlag(free, context as EvaluationContext, JAN_1).enabled).toBe('boolean');
      }),
      { numRuns: 1000 },
    );
  });

  it('isEnabled and evaluate agree on targeted flags', () => {
    fc.assert(
      fc.property(rulesArbitrary(), targetingContextArbitrary(), (rules, context) => {
        const compiled = new CompiledFlag(flag({ rules }));
        const clock = { now: () => JAN_1 };
        expect(compiled.isEnabled(context, clock)).toBe(compiled.evaluate(context, clock).enabled);
      }),
      { numRuns: 500 },
    );
  });

  it('the isEnabled fast path of a targeted flag answers what the explained path decides', async () => {
    const { isOnReason } = await import('../../src/flags/evaluate.js');
    const { strategyArbitrary, userIdArbitrary } = await import('../../src/testing/index.js');
    const hostile = fc.constant(new Proxy({}, { get: () => { throw new Error('boom'); } }));
    const contexts = fc.oneof(
      targetingContextArbitrary(),
      fc.record({ userId: fc.constantFrom('u-1', 'u-2', ''), attributes: attributesArbitrary() }),
      fc.anything(),
      fc.record({ userId: fc.anything(), attributes: fc.anything() }),
      hostile,
      fc.record({ attributes: hostile }),
    );
    fc.assert(
      fc.property(
        rulesArbitrary(),
        strategyArbitrary(),
        fc.array(fc.oneof(userIdArbitrary(), fc.constantFrom('u-1', 'u-2')), { maxLength: 3 }),
        fc.constantFrom(undefined, 'accountId', 'plan', 'seats'),
        contexts,
        (rules, strategy, enabledUsers, bucketBy, context) => {
          const compiled = new CompiledFlag(flag({ rules, strategy, enabledUsers, ...(bucketBy ? { bucketBy } : {}) }));
          const clock = { now: () => JAN_1 + 86_400_000 };
          const quick = compiled.quick(context as EvaluationContext, clock);
          const reason = compiled.decide(context as EvaluationContext, clock);
          if (reason === 'INVALID_CONTEXT') expect(quick).toBe(-1);
          // Only conditions on the clock skip the fast path (and a plain ramp, as without targeting).
          else if (quick === -1) expect(JSON.stringify(rules).includes('currentTime') || (rules.length === 0 && !bucketBy && strategy.type === 'gradual')).toBe(true);
          else expect(quick === 1).toBe(isOnReason(reason));
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('simulateRollout over a population with attributes', () => {
  it('shows a phase audience and segment rules reaching the people they name', async () => {
    const { simulateRollout } = await import('../../src/testing/index.js');
    const users = Array.from({ length: 400 }, (_, i) => ({ userId: `u-${i}`, attributes: { company: i % 4 === 0 ? 'acme' : 'other' } }));
    const partners: Segment = { key: 'partners', description: '', conditions: [{ attribute: 'company', operator: 'IN', values: ['acme'] }], createdAt: 0, updatedAt: 0 };
    const simulation = simulateRollout({
      users,
      segments: [partners],
      release: {
        version: '2.0.0',
        features: ['editor'],
        plan: { phases: [{ name: 'partners', percentage: 0, durationMs: 10, audience: { segments: ['partners'] } }, { name: 'full', percentage: 100, durationMs: 0 }] },
      },
      from: 0,
      to: 10,
      step: 10,
    });
    expect(simulation.steps[0]!.enabled.get('editor')).toEqual(new Set(users.filter((u) => u.attributes.company === 'acme').map((u) => u.userId)));
    expect(simulation.steps[1]!.enabled.get('editor')!.size).toBe(400);
  });
});
