import { ConditionOutcome, expectOneValue, type OperatorFamily } from './types.js';

const { MATCH, NO_MATCH, WRONG_TYPE } = ConditionOutcome;

/**
 * ISO 8601 dates phasegate accepts: a calendar date (`2026-03-01`, midnight UTC) or a date and
 * time with an explicit offset (`2026-03-01T09:30:00Z`, `…+01:00`). A time without an offset is
 * refused, because JavaScript would read it in the machine's local time zone and two servers
 * could disagree.
 */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/;

/**
 * The epoch milliseconds a date value stands for, or `NaN`: a finite number (epoch ms), a valid
 * `Date`, or an ISO 8601 text as described at {@link ISO_DATE}.
 */
export function toEpochMillis(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? value : Number.NaN;
  if (typeof value === 'string') return ISO_DATE.test(value) ? Date.parse(value) : Number.NaN;
  try {
    // `instanceof` consults the prototype, which a hostile Proxy can make throw.
    return value instanceof Date ? value.getTime() : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/**
 * `DATE_AFTER` / `DATE_BEFORE`: the attribute (usually `currentTime`, the evaluation clock) is
 * strictly after / before one date.
 */
export const dateOperators: OperatorFamily = {
  operators: ['DATE_AFTER', 'DATE_BEFORE'],
  caseInsensitive: false,
  check(_operator, values) {
    const issues = expectOneValue(values);
    values.forEach((value, index) => {
      if (Number.isNaN(toEpochMillis(value))) {
        issues.push({ index, message: `must be epoch milliseconds or an ISO 8601 date such as '2026-03-01' or '2026-03-01T09:30:00Z' (got ${JSON.stringify(value)})` });
      }
    });
    return issues;
  },
  compile(operator, values) {
    const bound = toEpochMillis(values[0]);
    return operator === 'DATE_AFTER'
      ? (value) => {
          const at = toEpochMillis(value);
          return at !== at ? WRONG_TYPE : at > bound ? MATCH : NO_MATCH;
        }
      : (value) => {
          const at = toEpochMillis(value);
          return at !== at ? WRONG_TYPE : at < bound ? MATCH : NO_MATCH;
        };
  },
};
