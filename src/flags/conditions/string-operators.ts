import { ConditionOutcome, type ConditionOperator, type ConditionValue, type OperatorFamily, type ValueIssue, type ValueMatcher } from './types.js';

const { MATCH, NO_MATCH, WRONG_TYPE } = ConditionOutcome;

/** Longest value a string condition may hold. */
export const MAX_STRING_VALUE_LENGTH = 1000;
/** Most values an `IN` / `NOT_IN` condition may list (a Set, so size does not slow evaluation). */
export const MAX_IN_VALUES = 10_000;
/** Most values a `STR_*` condition may list (each is scanned). */
export const MAX_STR_VALUES = 100;

/**
 * Whether lower-casing `text` could change it. Case-insensitive conditions compare lower-cased
 * text; most attribute values are already lower case, and this check lets them skip the
 * allocation of a lower-cased copy.
 */
function mayChangeCase(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c > 0x7f) return true;
  }
  return false;
}

/** `text` lower-cased (locale-independent, so every machine agrees), copying only when needed. */
export function foldCase(text: string): string {
  return mayChangeCase(text) ? text.toLowerCase() : text;
}

function checkStrings(operator: ConditionOperator, values: readonly ConditionValue[]): ValueIssue[] {
  const membership = operator === 'IN' || operator === 'NOT_IN';
  const max = membership ? MAX_IN_VALUES : MAX_STR_VALUES;
  const issues: ValueIssue[] = [];
  if (values.length === 0) issues.push({ message: 'must hold at least one value' });
  if (values.length > max) issues.push({ message: `may hold at most ${max.toLocaleString('en-US')} values (got ${values.length})` });
  values.forEach((value, index) => {
    if (typeof value !== 'string') issues.push({ index, message: `must be a string (write numbers as text, e.g. '${String(value)}')` });
    else if (value.length > MAX_STRING_VALUE_LENGTH) issues.push({ index, message: `must be at most ${MAX_STRING_VALUE_LENGTH} characters` });
    else if (!membership && value.length === 0) issues.push({ index, message: 'must not be empty (it would match every value)' });
  });
  return issues;
}

/**
 * `IN` / `NOT_IN`: the attribute equals one of the values. Strings compare exactly (or folded
 * with `caseInsensitive`); a number matches a value that is its canonical decimal text (`42`
 * matches `'42'`, not `'42.0'`) and a boolean matches `'true'` / `'false'`, as Unleash compares
 * `String(attribute)`. Any other type is the wrong type.
 */
function compileMembership(operator: ConditionOperator, values: readonly string[], caseInsensitive: boolean): ValueMatcher {
  const strings = new Set(caseInsensitive ? values.map((v) => v.toLowerCase()) : values);
  const numbers = new Set<number>();
  for (const value of values) {
    const number = Number(value);
    if (value !== '' && String(number) === value) numbers.add(number);
  }
  const hasTrue = strings.has('true');
  const hasFalse = strings.has('false');
  const hit = operator === 'IN' ? MATCH : NO_MATCH;
  const miss = operator === 'IN' ? NO_MATCH : MATCH;
  return (value) => {
    if (typeof value === 'string') return strings.has(caseInsensitive ? foldCase(value) : value) ? hit : miss;
    if (typeof value === 'number') return numbers.has(value) ? hit : miss;
    if (typeof value === 'boolean') return (value ? hasTrue : hasFalse) ? hit : miss;
    return WRONG_TYPE;
  };
}

/** `STR_STARTS_WITH` / `STR_ENDS_WITH` / `STR_CONTAINS`: any value is a prefix / suffix / part of the attribute, which must be a string. */
function compileSubstring(operator: ConditionOperator, values: readonly string[], caseInsensitive: boolean): ValueMatcher {
  const needles = caseInsensitive ? values.map((v) => v.toLowerCase()) : [...values];
  const count = needles.length;
  const read = (value: string): string => (caseInsensitive ? foldCase(value) : value);
  switch (operator) {
    case 'STR_STARTS_WITH':
      return (value) => {
        if (typeof value !== 'string') return WRONG_TYPE;
        const text = read(value);
        for (let i = 0; i < count; i++) if (text.startsWith(needles[i]!)) return MATCH;
        return NO_MATCH;
      };
    case 'STR_ENDS_WITH':
      return (value) => {
        if (typeof value !== 'string') return WRONG_TYPE;
        const text = read(value);
        for (let i = 0; i < count; i++) if (text.endsWith(needles[i]!)) return MATCH;
        return NO_MATCH;
      };
    default:
      return (value) => {
        if (typeof value !== 'string') return WRONG_TYPE;
        const text = read(value);
        for (let i = 0; i < count; i++) if (text.includes(needles[i]!)) return MATCH;
        return NO_MATCH;
      };
  }
}

/** `IN`, `NOT_IN` and the `STR_*` operators. */
export const stringOperators: OperatorFamily = {
  operators: ['IN', 'NOT_IN', 'STR_STARTS_WITH', 'STR_ENDS_WITH', 'STR_CONTAINS'],
  caseInsensitive: true,
  check: checkStrings,
  compile(operator, values, caseInsensitive) {
    const strings = values as readonly string[];
    return operator === 'IN' || operator === 'NOT_IN'
      ? compileMembership(operator, strings, caseInsensitive)
      : compileSubstring(operator, strings, caseInsensitive);
  },
};
