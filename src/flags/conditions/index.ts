/**
 * Conditions: typed tests on the evaluation context, one file per operator family behind
 * {@link OperatorFamily}, compiled once per flag version.
 */
export { CONDITION_OPERATORS, ConditionOutcome } from './types.js';
export type { ConditionOperator, ConditionOutcomeCode, ConditionValue, OperatorFamily, ValueIssue, ValueMatcher } from './types.js';
export {
  CONTEXT_FIELDS,
  CompiledCondition,
  MAX_CONDITION_VALUES,
  attributeNameSchema,
  compileCondition,
  conditionSchema,
  describeFailure,
  fieldOf,
  outcomeName,
  readAttribute,
  readAttributes,
  UNREADABLE,
} from './condition.js';
export type { Condition } from './condition.js';
export { operatorFamily } from './registry.js';
export { compareVersionText, compileVersion, isStrictVersion } from './semver-operators.js';
export { parseCidr } from './cidr-operator.js';
export { MAX_PATTERN_LENGTH, MAX_REGEX_INPUT_LENGTH, MAX_REGEX_STEPS, unsafePatternReason } from './regex-operator.js';
export { toEpochMillis } from './date-operators.js';
export { toFiniteNumber } from './number-operators.js';
