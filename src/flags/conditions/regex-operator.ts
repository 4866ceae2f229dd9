import { ConditionOutcome, expectOneValue, type OperatorFamily } from './types.js';

const { MATCH, NO_MATCH, WRONG_TYPE } = ConditionOutcome;

/** Longest pattern a `REGEX` condition may hold. */
export const MAX_PATTERN_LENGTH = 256;
/** Longest attribute value a `REGEX` condition reads; longer text is the wrong type (never matched). */
export const MAX_REGEX_INPUT_LENGTH = 1024;

/**
 * Why `pattern` could take exponential time to match, or `undefined`. JavaScript's regex engine
 * backtracks (Unleash uses RE2, which does not; phasegate keeps to its four runtime dependencies),
 * so the patterns that blow up are refused when written. The heuristic is the classic one: a
 * group that repeats (`*`, `+`, `{n,}`, `{n,m}` with m > 1) and itself contains a repeat or an
 * alternation, as in `(a+)+`, `(a|aa)*` or `(\w*\s?)*`; and back-references. Together with the
 * input cap ({@link MAX_REGEX_INPUT_LENGTH}) this bounds the work per evaluation.
 */
export function catastrophicPatternReason(pattern: string): string | undefined {
  // One entry per open group: whether it holds a repeat or an alternation so far.
  const groups: { risky: boolean }[] = [{ risky: false }];
  let closedRisky = false; // the atom just closed is a risky group
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next) || next === 'k') return 'back-references are not allowed';
      i++;
      closedRisky = false;
      continue;
    }
    if (c === '[') {
      // Skip a character class; it is a single atom.
      for (i++; i < pattern.length && pattern[i] !== ']'; i++) if (pattern[i] === '\\') i++;
      closedRisky = false;
      continue;
    }
    if (c === '(') {
      groups.push({ risky: false });
      closedRisky = false;
      continue;
    }
    if (c === ')') {
      const group = groups.pop();
      closedRisky = group?.risky ?? false;
      if (closedRisky && groups.length > 0) groups[groups.length - 1]!.risky = true;
      continue;
    }
    const top = groups[groups.length - 1]!;
    if (c === '|') {
      top.risky = true;
      closedRisky = false;
      continue;
    }
    let repeats = false;
    if (c === '*' || c === '+') repeats = true;
    else if (c === '{') {
      const bound = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
      if (bound) {
        repeats = bound[2] !== undefined && (bound[3] === '' || Number(bound[3]) > 1);
        if (!bound[2]) repeats = Number(bound[1]) > 1;
        i += bound[0].length - 1;
      }
    }
    if (repeats) {
      if (closedRisky) return 'a repeated group contains another repeat or an alternation (nested quantifiers can take exponential time)';
      top.risky = true;
    }
    if (c !== '?') closedRisky = false;
  }
  return undefined;
}

/** Compiles a pattern as phasegate does: with the `u` flag (strict syntax), plus `i` for `caseInsensitive`. */
export function compilePattern(pattern: string, caseInsensitive: boolean): RegExp {
  return new RegExp(pattern, caseInsensitive ? 'iu' : 'u');
}

/** `REGEX`: one pattern, searched for anywhere in the attribute (anchor it with `^…$` for a full match). */
export const regexOperator: OperatorFamily = {
  operators: ['REGEX'],
  caseInsensitive: true,
  check(_operator, values) {
    const issues = expectOneValue(values);
    values.forEach((value, index) => {
      if (typeof value !== 'string') return void issues.push({ index, message: 'must be a regular expression as text' });
      if (value.length > MAX_PATTERN_LENGTH) return void issues.push({ index, message: `must be at most ${MAX_PATTERN_LENGTH} characters` });
      try {
        compilePattern(value, false);
      } catch (error) {
        return void issues.push({ index, message: `is not a valid regular expression: ${(error as Error).message}` });
      }
      const reason = catastrophicPatternReason(value);
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
