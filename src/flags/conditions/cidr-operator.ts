import { ConditionOutcome, type OperatorFamily } from './types.js';

const { MATCH, NO_MATCH, WRONG_TYPE } = ConditionOutcome;

/** Most ranges an `IN_CIDR` condition may list. */
export const MAX_CIDR_VALUES = 1000;

/** A parsed range: the network's 16-bit groups (IPv4 uses 2 groups), masked, and the prefix length. */
export interface CidrRange {
  readonly family: 4 | 6;
  readonly groups: readonly number[];
  readonly prefix: number;
}

// The address being parsed, in a reused buffer: matching allocates nothing.
const scratch = new Uint16Array(8);

const hexValue = (c: number): number =>
  c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;

/**
 * Reads a dotted-quad IPv4 address from `text[start, end)` into `scratch[at]`, `scratch[at+1]`.
 * Octets are decimal 0–255 without leading zeros (`010` is ambiguous: octal to some parsers).
 */
function parseIPv4(text: string, start: number, end: number, at: number): boolean {
  let octets = 0;
  let value = 0;
  let digits = 0;
  let high = 0;
  for (let i = start; i <= end; i++) {
    const c = i < end ? text.charCodeAt(i) : 46;
    if (c >= 48 && c <= 57) {
      if (digits === 1 && value === 0) return false;
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return false;
    } else if (c === 46) {
      if (digits === 0) return false;
      if (octets === 0) high = value << 8;
      else if (octets === 1) scratch[at] = high | value;
      else if (octets === 2) high = value << 8;
      else if (octets === 3) scratch[at + 1] = high | value;
      octets++;
      value = 0;
      digits = 0;
      if (octets > 4) return false;
    } else return false;
  }
  return octets === 4;
}

/**
 * Reads an IPv6 address (RFC 4291 text: up to 8 hex groups, one `::`, optionally a trailing
 * dotted quad) from `text[start, end)` into `scratch`. Zone ids (`%eth0`) are not addresses.
 */
function parseIPv6(text: string, start: number, end: number): boolean {
  let count = 0;
  let gap = -1;
  let i = start;
  if (end - start < 2) return false;
  if (text.charCodeAt(i) === 58) {
    if (text.charCodeAt(i + 1) !== 58) return false;
    gap = 0;
    i += 2;
    if (i === end) {
      scratch.fill(0);
      return true;
    }
  }
  for (;;) {
    if (count >= 8) return false;
    const groupStart = i;
    let value = 0;
    while (i < end) {
      const h = hexValue(text.charCodeAt(i));
      if (h < 0) break;
      value = (value << 4) | h;
      i++;
    }
    const digits = i - groupStart;
    if (i < end && text.charCodeAt(i) === 46) {
      // An embedded IPv4 address fills the last two groups.
      if (count > 6 || !parseIPv4(text, groupStart, end, count)) return false;
      count += 2;
      i = end;
      break;
    }
    if (digits === 0 || digits > 4) return false;
    scratch[count++] = value;
    if (i === end) break;
    if (text.charCodeAt(i) !== 58) return false;
    i++;
    if (i < end && text.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = count;
      i++;
      if (i === end) break;
    } else if (i === end) return false;
  }
  if (gap < 0) return count === 8;
  if (count === 8) return false;
  // Move the groups after the gap to the end and zero the gap.
  const tail = count - gap;
  for (let k = 0; k < tail; k++) scratch[7 - k] = scratch[count - 1 - k]!;
  for (let k = gap; k < 8 - tail; k++) scratch[k] = 0;
  return true;
}

/** Parses `text` as an address into `scratch`: 4, 6, or 0 when it is neither. */
function parseAddress(text: string, start: number, end: number): 0 | 4 | 6 {
  for (let i = start; i < end; i++) if (text.charCodeAt(i) === 58) return parseIPv6(text, start, end) ? 6 : 0;
  return parseIPv4(text, start, end, 0) ? 4 : 0;
}

/** Parses a range such as `10.0.0.0/8`, `2001:db8::/32` or a single address; `undefined` when malformed. */
export function parseCidr(text: string): CidrRange | undefined {
  const slash = text.indexOf('/');
  const end = slash < 0 ? text.length : slash;
  const family = parseAddress(text, 0, end);
  if (family === 0) return undefined;
  const bits = family === 4 ? 32 : 128;
  let prefix = bits;
  if (slash >= 0) {
    const suffix = text.slice(slash + 1);
    if (!/^(0|[1-9]\d{0,2})$/.test(suffix) || Number(suffix) > bits) return undefined;
    prefix = Number(suffix);
  }
  const groups = Array.from(scratch.subarray(0, family === 4 ? 2 : 8));
  return { family, groups: groups.map((g, i) => g & groupMask(prefix, i)), prefix };
}

/** The mask of 16-bit group `index` under a prefix length. */
function groupMask(prefix: number, index: number): number {
  const bits = Math.max(0, Math.min(16, prefix - index * 16));
  return bits === 0 ? 0 : (0xffff << (16 - bits)) & 0xffff;
}

/**
 * `IN_CIDR`: the attribute is an IPv4 or IPv6 address inside any of the ranges. Families do not
 * mix (an IPv4 address is not in an IPv6 range, `::ffff:10.0.0.1` is not in `10.0.0.0/8`), as
 * in Unleash.
 */
export const cidrOperator: OperatorFamily = {
  operators: ['IN_CIDR'],
  caseInsensitive: false,
  check(_operator, values) {
    const issues: { index?: number; message: string }[] = [];
    if (values.length === 0) issues.push({ message: 'must hold at least one range' });
    if (values.length > MAX_CIDR_VALUES) issues.push({ message: `may hold at most ${MAX_CIDR_VALUES} ranges` });
    values.forEach((value, index) => {
      if (typeof value !== 'string' || parseCidr(value) === undefined) {
        issues.push({ index, message: `must be an IPv4 or IPv6 address or range such as '10.0.0.0/8' or '2001:db8::/32' (got ${JSON.stringify(value)})` });
      }
    });
    return issues;
  },
  compile(_operator, values) {
    const ranges = values.map((value) => parseCidr(value as string)!);
    const v4 = ranges.filter((r) => r.family === 4);
    const v6 = ranges.filter((r) => r.family === 6);
    const masks4 = v4.map((r) => [groupMask(r.prefix, 0), groupMask(r.prefix, 1)] as const);
    const masks6 = v6.map((r) => Array.from({ length: 8 }, (_, i) => groupMask(r.prefix, i)));
    return (value) => {
      if (typeof value !== 'string' || value.length > 64) return WRONG_TYPE;
      const family = parseAddress(value, 0, value.length);
      if (family === 0) return WRONG_TYPE;
      if (family === 4) {
        for (let r = 0; r < v4.length; r++) {
          const mask = masks4[r]!;
          const net = v4[r]!.groups;
          if ((scratch[0]! & mask[0]) === net[0] && (scratch[1]! & mask[1]) === net[1]) return MATCH;
        }
        return NO_MATCH;
      }
      for (let r = 0; r < v6.length; r++) {
        const mask = masks6[r]!;
        const net = v6[r]!.groups;
        let inside = true;
        for (let g = 0; g < 8 && inside; g++) inside = (scratch[g]! & mask[g]!) === net[g];
        if (inside) return MATCH;
      }
      return NO_MATCH;
    };
  },
};
