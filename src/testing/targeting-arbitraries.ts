import fc from 'fast-check';
import type { Condition } from '../flags/conditions/index.js';
import type { EvaluationContext, Rule, RuleServe } from '../flags/model.js';

/** The attributes {@link conditionArbitrary} and {@link attributesArbitrary} talk about, with their value pools. */
const POOLS = {
  plan: ['free', 'pro', 'enterprise', 'Enterprise'],
  country: ['DE', 'FR', 'US', 'de', 'JP'],
  email: ['ann@example.com', 'bob@corp.example', 'CAROL@EXAMPLE.COM'],
  appVersion: ['1.0.0', '2.3.0', '2.3.1', '2.4.0-beta.1', '10.0.0'],
  ip: ['10.1.2.3', '192.168.0.9', '2001:db8::1', '8.8.8.8'],
  signup: ['2025-06-01', '2026-01-15T10:00:00Z'],
} as const;

// Built on call, never at import: phasegate/testing must load without fast-check installed.
const percentage = () => fc.integer({ min: 0, max: 100_000 }).map((thousandths) => thousandths / 1000);

/**
 * Valid conditions over a handful of attributes (`plan`, `country`, `email`, `age`,
 * `appVersion`, `ip`, `signup`, `currentTime`), every operator included, `negate` and
 * `caseInsensitive` mixed in, with values drawn from the same pools as
 * {@link attributesArbitrary} so contexts often match.
 */
export function conditionArbitrary(): fc.Arbitrary<Condition> {
  const flags = fc.record({ negate: fc.boolean() }, { requiredKeys: [] });
  const strings = (attribute: keyof typeof POOLS) =>
    fc
      .tuple(
        fc.constantFrom('IN', 'NOT_IN', 'STR_STARTS_WITH', 'STR_ENDS_WITH', 'STR_CONTAINS') as fc.Arbitrary<Condition['operator']>,
        fc.array(fc.constantFrom(...POOLS[attribute].map((v) => v.slice(0, 3))), { minLength: 1, maxLength: 3 }),
        fc.array(fc.constantFrom(...POOLS[attribute]), { minLength: 1, maxLength: 3 }),
        flags,
        fc.boolean(),
      )
      .map(([operator, parts, whole, extra, caseInsensitive]): Condition => ({
        attribute,
        operator,
        values: operator === 'IN' || operator === 'NOT_IN' ? whole : parts,
        ...extra,
        ...(caseInsensitive ? { caseInsensitive } : {}),
      }));
  return fc.oneof(
    strings('plan'),
    strings('country'),
    strings('email'),
    fc
      .tuple(fc.constantFrom('NUM_EQ', 'NUM_GT', 'NUM_GTE', 'NUM_LT', 'NUM_LTE') as fc.Arbitrary<Condition['operator']>, fc.integer({ min: 0, max: 100 }), flags)
      .map(([operator, bound, extra]): Condition => ({ attribute: 'age', operator, values: [bound], ...extra })),
    fc
      .tuple(fc.constantFrom('SEMVER_EQ', 'SEMVER_GT', 'SEMVER_LT') as fc.Arbitrary<Condition['operator']>, fc.constantFrom(...POOLS.appVersion), flags)
      .map(([operator, version, extra]): Condition => ({ attribute: 'appVersion', operator, values: [version], ...extra })),
    fc
      .tuple(fc.constantFrom('10.0.0.0/8', '192.168.0.0/16', '2001:db8::/32', '8.8.8.8'), flags)
      .map(([range, extra]): Condition => ({ attribute: 'ip', operator: 'IN_CIDR', values: [range], ...extra })),
    fc
      .tuple(fc.constantFrom('DATE_AFTER', 'DATE_BEFORE') as fc.Arbitrary<Condition['operator']>, fc.constantFrom('signup', 'currentTime'), fc.constantFrom('2025-12-01', '2026-01-01T00:00:00Z'), flags)
      .map(([operator, attribute, date, extra]): Condition => ({ attribute, operator, values: [date], ...extra })),
    fc
      .tuple(fc.constantFrom('@example\\.com$', '^[a-z]+@', 'corp'), flags, fc.boolean())
      .map(([pattern, extra, caseInsensitive]): Condition => ({ attribute: 'email', operator: 'REGEX', values: [pattern], ...extra, ...(caseInsensitive ? { caseInsensitive } : {}) })),
  );
}

/** What a rule serves: on, off, or a percentage. */
export function ruleServeArbitrary(): fc.Arbitrary<RuleServe> {
  return fc.oneof(
    fc.constant({ type: 'on' as const }),
    fc.constant({ type: 'off' as const }),
    percentage().map((p) => ({ type: 'percentage' as const, percentage: p })),
  );
}

/** Ordered rules with unique ids (`r0`, `r1`, ...), each with 1–3 conditions from {@link conditionArbitrary}. */
export function rulesArbitrary(options: { readonly maxRules?: number } = {}): fc.Arbitrary<Rule[]> {
  return fc
    .array(fc.tuple(fc.array(conditionArbitrary(), { minLength: 1, maxLength: 3 }), ruleServeArbitrary()), { maxLength: options.maxRules ?? 4 })
    .map((rules) => rules.map(([conditions, serve], index) => ({ id: `r${index}`, conditions, serve })));
}

/**
 * Attribute bags for the attributes {@link conditionArbitrary} uses: each key present or not,
 * usually with a value from the pool, sometimes with the wrong type (a number for text, text
 * for a number, `null`, an object).
 */
export function attributesArbitrary(): fc.Arbitrary<Record<string, unknown>> {
  const wrong = fc.oneof(fc.constant(null), fc.integer(), fc.string({ maxLength: 4 }), fc.constant({}), fc.boolean());
  const pick = (values: readonly string[]) => fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...values) }, { weight: 1, arbitrary: wrong });
  return fc.record(
    {
      plan: pick(POOLS.plan),
      country: pick(POOLS.country),
      email: pick(POOLS.email),
      appVersion: pick(POOLS.appVersion),
      ip: pick(POOLS.ip),
      signup: pick(POOLS.signup),
      age: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 100 }) }, { weight: 1, arbitrary: wrong }),
      accountId: fc.constantFrom('acme', 'globex', 'initech', 'umbrella'),
    },
    { requiredKeys: [] },
  );
}

/** Contexts with a user id and attributes from {@link attributesArbitrary}. */
export function targetingContextArbitrary(): fc.Arbitrary<EvaluationContext> {
  return fc.record({ userId: fc.string({ minLength: 1, maxLength: 12 }), attributes: attributesArbitrary() });
}
