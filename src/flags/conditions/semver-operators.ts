import semver from '../../semver.js';
import { ConditionOutcome, expectOneValue, type OperatorFamily } from './types.js';

const { MATCH, NO_MATCH, WRONG_TYPE } = ConditionOutcome;

/** Longest version text read, as in the `semver` package. */
const MAX_VERSION_LENGTH = 256;

/** A version parsed once at flag load, ready for {@link compareVersionText}. */
export interface CompiledVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** Pre-release identifiers; numeric ones also carry their value. */
  readonly pre: readonly { readonly text: string; readonly numeric: boolean; readonly value: number }[];
}

/**
 * The strict SemVer 2.0.0 versions phasegate reads (`1.2.3`, `1.2.3-rc.1`, `1.2.3+build.5`):
 * what `semver.valid` accepts, minus a leading `v` (as Unleash refuses it). `1.2`, `v1.2.3` and
 * `01.2.3` are not versions.
 */
export function isStrictVersion(text: string): boolean {
  return text.length <= MAX_VERSION_LENGTH && semver.valid(text) !== null && !text.trim().startsWith('v');
}

/** Parses a version written in a condition (validated by {@link isStrictVersion}). */
export function compileVersion(text: string): CompiledVersion {
  const parsed = semver.parse(text);
  if (parsed === null) throw new TypeError(`not a version: ${text}`);
  return {
    major: parsed.major,
    minor: parsed.minor,
    patch: parsed.patch,
    pre: parsed.prerelease.map((id) => {
      const text = String(id);
      const numeric = /^[0-9]+$/.test(text);
      return { text, numeric, value: numeric ? Number(text) : Number.NaN };
    }),
  };
}

function isWhitespace(c: number): boolean {
  // The characters String.prototype.trim removes, which `semver` applies before matching.
  return (
    (c >= 9 && c <= 13) ||
    c === 32 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isIdentChar = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45;

// Scanner state in module slots: evaluation is synchronous, and this keeps the scan allocation-free.
let pos = 0;
let numberValue = 0;

/** Reads a numeric identifier (`0` or no leading zero) at `pos` into `numberValue`; false if there is none. */
function readNumber(text: string, end: number): boolean {
  const start = pos;
  let value = 0;
  while (pos < end && isDigit(text.charCodeAt(pos))) value = value * 10 + (text.charCodeAt(pos++) - 48);
  const length = pos - start;
  if (length === 0 || (length > 1 && text.charCodeAt(start) === 48)) return false;
  // Above 2^53 the running sum can round differently from `+text`: take the slow, exact path.
  numberValue = length > 15 ? Number(text.slice(start, pos)) : value;
  return numberValue <= Number.MAX_SAFE_INTEGER;
}

const compareNumbers = (a: number, b: number): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Compares the version written in `text` with `target` without allocating: -1, 0 or 1 as
 * `semver.compare(text, target)` would, or `NaN` when `text` is not a strict version (see
 * {@link isStrictVersion}). Build metadata is checked for form and ignored, as SemVer says.
 * A property test holds this equal to the `semver` package on arbitrary text.
 */
export function compareVersionText(text: string, target: CompiledVersion): number {
  if (text.length > MAX_VERSION_LENGTH) return Number.NaN;
  let end = text.length;
  pos = 0;
  while (pos < end && isWhitespace(text.charCodeAt(pos))) pos++;
  while (end > pos && isWhitespace(text.charCodeAt(end - 1))) end--;
  if (!readNumber(text, end)) return Number.NaN;
  let result = compareNumbers(numberValue, target.major);
  if (pos >= end || text.charCodeAt(pos++) !== 46 || !readNumber(text, end)) return Number.NaN;
  if (result === 0) result = compareNumbers(numberValue, target.minor);
  if (pos >= end || text.charCodeAt(pos++) !== 46 || !readNumber(text, end)) return Number.NaN;
  if (result === 0) result = compareNumbers(numberValue, target.patch);
  let preCount = 0;
  if (pos < end && text.charCodeAt(pos) === 45) {
    pos++;
    for (;;) {
      const start = pos;
      let allDigits = true;
      while (pos < end && isIdentChar(text.charCodeAt(pos))) {
        if (!isDigit(text.charCodeAt(pos))) allDigits = false;
        pos++;
      }
      const length = pos - start;
      if (length === 0) return Number.NaN;
      if (allDigits && length > 1 && text.charCodeAt(start) === 48) return Number.NaN;
      if (result === 0 && target.pre.length > 0) {
        const other = target.pre[preCount];
        if (other === undefined) result = 1; // more identifiers rank higher
        else if (allDigits && other.numeric) {
          pos = start;
          readNumber(text, end);
          result = compareNumbers(numberValue, other.value);
        } else if (allDigits !== other.numeric) result = allDigits ? -1 : 1; // numeric ranks below alphanumeric
        else {
          const otherText = other.text;
          const shorter = Math.min(length, otherText.length);
          for (let i = 0; i < shorter && result === 0; i++) result = compareNumbers(text.charCodeAt(start + i), otherText.charCodeAt(i));
          if (result === 0) result = compareNumbers(length, otherText.length);
        }
      }
      preCount++;
      if (pos < end && text.charCodeAt(pos) === 46) {
        pos++;
        continue;
      }
      break;
    }
  }
  if (pos < end && text.charCodeAt(pos) === 43) {
    pos++;
    for (;;) {
      const start = pos;
      while (pos < end && isIdentChar(text.charCodeAt(pos))) pos++;
      if (pos === start) return Number.NaN;
      if (pos < end && text.charCodeAt(pos) === 46) {
        pos++;
        continue;
      }
      break;
    }
  }
  if (pos !== end) return Number.NaN;
  if (result === 0) {
    // A pre-release ranks below its release; fewer identifiers rank below more.
    if (preCount === 0 && target.pre.length > 0) result = 1;
    else if (preCount > 0 && target.pre.length === 0) result = -1;
    else if (preCount < target.pre.length) result = -1;
  }
  return result;
}

/** Most version texts one condition remembers the outcome of (see {@link VersionOutcomeCache}). */
export const VERSION_CACHE_SIZE = 256;
/** Longest version text remembered; longer ones are compared every time. */
const MAX_CACHED_VERSION_LENGTH = 64;

/**
 * The outcomes one compiled semver condition has already worked out, by version text.
 *
 * Why: the versions a fleet reports are few (the app versions in use), while a flag is asked
 * millions of times. Scanning the text costs tens of nanoseconds; a `Map` lookup of a short
 * string costs a few (V8 keeps a string's hash on the string). The outcome is a small integer, so
 * a hit allocates nothing. Bounded: at {@link VERSION_CACHE_SIZE} entries it starts over, so a
 * stream of distinct versions (or an attacker sending random ones) costs at most a rebuild per
 * 256 new texts and never grows memory.
 */
class VersionOutcomeCache {
  private readonly outcomes = new Map<string, number>();

  get(text: string): number | undefined {
    return this.outcomes.get(text);
  }

  remember(text: string, outcome: number): void {
    if (text.length > MAX_CACHED_VERSION_LENGTH) return;
    if (this.outcomes.size >= VERSION_CACHE_SIZE) this.outcomes.clear();
    this.outcomes.set(text, outcome);
  }
}

/** `SEMVER_EQ` / `SEMVER_GT` / `SEMVER_LT`: the attribute, a strict SemVer text, against one version. */
export const semverOperators: OperatorFamily = {
  operators: ['SEMVER_EQ', 'SEMVER_GT', 'SEMVER_LT'],
  caseInsensitive: false,
  check(_operator, values) {
    const issues = expectOneValue(values);
    values.forEach((value, index) => {
      if (typeof value !== 'string' || !isStrictVersion(value)) {
        issues.push({ index, message: `must be a semantic version such as '2.3.0' or '2.3.0-beta.1' (no 'v' prefix; got ${JSON.stringify(value)})` });
      }
    });
    return issues;
  },
  compile(operator, values) {
    const target = compileVersion(values[0] as string);
    const wanted = operator === 'SEMVER_EQ' ? 0 : operator === 'SEMVER_GT' ? 1 : -1;
    const outcomes = new VersionOutcomeCache();
    return (value) => {
      if (typeof value !== 'string') return WRONG_TYPE;
      const known = outcomes.get(value);
      if (known !== undefined) return known;
      const order = compareVersionText(value, target);
      const outcome = order !== order ? WRONG_TYPE : order === wanted ? MATCH : NO_MATCH;
      outcomes.remember(value, outcome);
      return outcome;
    };
  },
};
