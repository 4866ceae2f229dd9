import { MAX_REGEX_INPUT_LENGTH, unsafePatternReason } from './regex-safety.js';
import { ConditionOutcome, expectOneValue, type OperatorFamily } from './types.js';

const { MATCH, NO_MATCH, WRONG_TYPE } = ConditionOutcome;

/** Longest pattern a `REGEX` condition may hold. */
export const MAX_PATTERN_LENGTH = 256;
export { MAX_REGEX_INPUT_LENGTH, MAX_REGEX_STEPS, unsafePatternReason } from './regex-safety.js';

/** Compiles a pattern as phasegate does: with the `u` flag (strict syntax), plus `i` for `caseInsensitive`. */
export function compilePattern(pattern: string, caseInsensitive: boolean): RegExp {
  return new RegExp(pattern, caseInsensitive ? 'iu' : 'u');
}

/**
 * `REGEX`: one pattern, searched for anywhere in the attribute (anchor it with `^…$` for a full
 * match). Patterns that could take long to match are refused when written (see
 * {@link unsafePatternReason}); values longer than {@link MAX_REGEX_INPUT_LENGTH} are not read.
 */
export const regexOperator: OperatorFamily = {
  operators: ['REGEX'],
  caseInsensitive: true,
  check(_operator, values, caseInsensitive) {
    const issues = expectOneValue(values);
    values.forEach((value, index) => {
      if (typeof value !== 'string') return void issues.push({ index, message: 'must be a regular expression as text' });
      if (value.length > MAX_PATTERN_LENGTH) return void issues.push({ index, message: `must be at most ${MAX_PATTERN_LENGTH} characters` });
      try {
        compilePattern(value, false);
      } catch (error) {
        return void issues.push({ index, message: `is not a valid regular expression: ${(error as Error).message}` });
      }
      const reason = unsafePatternReason(value, caseInsensitive);
      if (reason) issues.push({ index, message: `is refused: ${reason}` });
    });
    return issues;
  },
  compile(_operator, values, caseInsensitive) {
    const regex = compilePattern(values[0] as string, caseInsensitive);
    return (value) => {
      if (typeof value !== 'string' || value.length > MAX_REGEX_INPUT_LENGTH) return WRONG_TYPE;
      return regex.test(value) ? MATCH : NO_MATCH;
    };
  },
};
