import { ConditionOutcome, expectOneValue, type OperatorFamily, type ValueMatcher } from './types.js';

const { MATCH, NO_MATCH, WRONG_TYPE } = ConditionOutcome;

const HAS_DIGIT = /\d/;

/**
 * The number an attribute or condition value stands for, or `NaN`. Numbers must be finite;
 * strings are read like Unleash reads them (`Number(text)`, so `' 42 '`, `'1e3'` and `'0x10'`
 * count), except that text without a digit (`''`, `'  '`) is not zero but no number at all.
 */
export function toFiniteNumber(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? value : Number.NaN;
  if (typeof value !== 'string') return Number.NaN;
  const number = Number(value);
  if (!Number.isFinite(number)) return Number.NaN;
  return number === 0 && !HAS_DIGIT.test(value) ? Number.NaN : number;
}

/** `NUM_EQ`, `NUM_GT`, `NUM_GTE`, `NUM_LT`, `NUM_LTE`: the attribute (a finite number or numeric text) against one number. */
export const numberOperators: OperatorFamily = {
  operators: ['NUM_EQ', 'NUM_GT', 'NUM_GTE', 'NUM_LT', 'NUM_LTE'],
  caseInsensitive: false,
  check(_operator, values) {
    const issues = expectOneValue(values);
    values.forEach((value, index) => {
      if (Number.isNaN(toFiniteNumber(value))) issues.push({ index, message: `must be a finite number (got ${JSON.stringify(value)})` });
    });
    return issues;
  },
  compile(operator, values): ValueMatcher {
    const bound = toFiniteNumber(values[0]);
    const read = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : toFiniteNumber(value));
    switch (operator) {
      case 'NUM_EQ':
        return (value) => {
          const n = read(value);
          return n !== n ? WRONG_TYPE : n === bound ? MATCH : NO_MATCH;
        };
      case 'NUM_GT':
        return (value) => {
          const n = read(value);
          return n !== n ? WRONG_TYPE : n > bound ? MATCH : NO_MATCH;
        };
      case 'NUM_GTE':
        return (value) => {
          const n = read(value);
          return n !== n ? WRONG_TYPE : n >= bound ? MATCH : NO_MATCH;
        };
      case 'NUM_LT':
        return (value) => {
          const n = read(value);
          return n !== n ? WRONG_TYPE : n < bound ? MATCH : NO_MATCH;
        };
      default:
        return (value) => {
          const n = read(value);
          return n !== n ? WRONG_TYPE : n <= bound ? MATCH : NO_MATCH;
        };
    }
  },
};
