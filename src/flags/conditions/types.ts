/**
 * The contract every condition operator family implements. A family owns a few operators of one
 * value type (strings, numbers, dates, semver, regex, CIDR): it checks the values a condition is
 * written with, and compiles them once into a matcher that runs on every evaluation.
 */

/** The closed set of condition operators, with the semantics Unleash documents for its constraints. */
export const CONDITION_OPERATORS = [
  'IN',
  'NOT_IN',
  'STR_STARTS_WITH',
  'STR_ENDS_WITH',
  'STR_CONTAINS',
  'NUM_EQ',
  'NUM_GT',
  'NUM_GTE',
  'NUM_LT',
  'NUM_LTE',
  'DATE_AFTER',
  'DATE_BEFORE',
  'SEMVER_EQ',
  'SEMVER_GT',
  'SEMVER_LT',
  'REGEX',
  'IN_CIDR',
] as const;

/** One of {@link CONDITION_OPERATORS}. */
export type ConditionOperator = (typeof CONDITION_OPERATORS)[number];

/** A value a condition compares against: text, or a number for the numeric and date operators. */
export type ConditionValue = string | number;

/**
 * What a matcher or a compiled condition found. Plain numbers, so the hot path never allocates.
 * `MISSING` and `WRONG_TYPE` are failures that `negate` never turns into a match.
 */
export const ConditionOutcome = {
  /** The condition holds. */
  MATCH: 1,
  /** The attribute was read and did not satisfy the condition. */
  NO_MATCH: 0,
  /** The context has no such attribute (or it is `null`). */
  MISSING: -1,
  /** The attribute has a type (or a form) the operator cannot read, e.g. `'abc'` for `NUM_GT`. */
  WRONG_TYPE: -2,
} as const;

/** One of the {@link ConditionOutcome} codes. */
export type ConditionOutcomeCode = (typeof ConditionOutcome)[keyof typeof ConditionOutcome];

/** Tests one present (non-null) attribute value: `MATCH`, `NO_MATCH` or `WRONG_TYPE`. Must not throw or allocate for strings and numbers. */
export type ValueMatcher = (value: unknown) => number;

/** A problem with a condition's values, found at write time. */
export interface ValueIssue {
  /** Index into `values`, or `undefined` when the problem is the list itself. */
  readonly index?: number;
  readonly message: string;
}

/** A family of operators over one value type. */
export interface OperatorFamily {
  /** The operators this family implements. */
  readonly operators: readonly ConditionOperator[];
  /** Whether `caseInsensitive` means anything for this family (else setting it is rejected). */
  readonly caseInsensitive: boolean;
  /** Everything wrong with `values` for `operator` (compared case-insensitively or not); empty when they are fine. */
  check(operator: ConditionOperator, values: readonly ConditionValue[], caseInsensitive: boolean): ValueIssue[];
  /** The matcher for values that passed {@link OperatorFamily.check}. Called once per flag version. */
  compile(operator: ConditionOperator, values: readonly ConditionValue[], caseInsensitive: boolean): ValueMatcher;
}

/** The issues for a family whose operators take exactly one value. */
export function expectOneValue(values: readonly ConditionValue[]): ValueIssue[] {
  return values.length === 1 ? [] : [{ message: `must hold exactly one value (got ${values.length})` }];
}
