import { isPollutingKey } from '../validation.js';
import { ACCESS_LEVELS, FLAG_STATES, type Flag } from './model.js';

// Why a second validator: loading 100,000 flags spent most of its time in the zod schema
// (several times the cost of reading and parsing the records), and a user list of 1,000,000
// ids took a second to check. Most stored flags are simple: a percentage or user-list strategy,
// a few listed users, tags and metadata, no rules. This checks exactly that shape by hand, with
// exactly the schema's limits, and answers `undefined` for anything else (rules, other
// strategies, unknown fields, any doubt), which then goes through the schema as before. So it
// is never less strict: it accepts a subset of what `flagSchema` accepts, and for those gives
// the same value, key order included. A property test holds the two together on generated and
// mutated flags (test/flags/simple-flag.test.ts).

const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const STATES: ReadonlySet<unknown> = new Set(FLAG_STATES);
const LEVELS: ReadonlySet<unknown> = new Set(ACCESS_LEVELS);
const TOP_KEYS: ReadonlySet<string> = new Set(['key', 'description', 'state', 'strategy', 'enabledUsers', 'salt', 'accessLevel', 'tags', 'metadata', 'hashVersion', 'createdAt', 'updatedAt']);
const REQUIRED_KEYS = 10; // all of TOP_KEYS but salt and accessLevel

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

function isText(value: unknown, min: number, max: number): value is string {
  return typeof value === 'string' && value.length >= min && value.length <= max;
}

function isEpoch(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Strings of `min`..`max` characters, at most `limit` of them, copied; `undefined` if anything differs. */
function textList(value: unknown, limit: number, min: number, max: number): string[] | undefined {
  if (!Array.isArray(value) || Object.getPrototypeOf(value) !== Array.prototype || value.length > limit) return undefined;
  const copy = new Array<string>(value.length);
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    if (!isText(item, min, max)) return undefined;
    copy[i] = item;
  }
  return copy;
}

/** A percentage or user-list strategy exactly as the schema gives it, else `undefined`. */
function simpleStrategy(value: unknown): Flag['strategy'] | undefined {
  if (!isPlainRecord(value)) return undefined;
  if (value.type === 'userList') {
    if (Object.keys(value).length !== 2 || !('userIds' in value)) return undefined;
    const userIds = textList(value.userIds, 1_000_000, 1, 256);
    return userIds === undefined ? undefined : ({ type: 'userList', userIds } as Flag['strategy']);
  }
  return percentageStrategy(value);
}

function percentageStrategy(value: Record<string, unknown>): { type: 'percentage'; percentage: number } | undefined {
  const keys = Object.keys(value);
  if (keys.length !== 2 || value.type !== 'percentage' || !('percentage' in value)) return undefined;
  const percentage = value.percentage;
  if (typeof percentage !== 'number' || !Number.isFinite(percentage) || percentage < 0 || percentage > 100) return undefined;
  if (!(Math.abs(percentage * 1000 - Math.round(percentage * 1000)) < 1e-6)) return undefined;
  return { type: 'percentage', percentage };
}

function metadata(value: unknown): Record<string, string | number | boolean> | undefined {
  // A record's symbol keys are the schema's to judge (objects ignore them; records may not).
  if (!isPlainRecord(value) || Object.getOwnPropertySymbols(value).length > 0) return undefined;
  const keys = Object.keys(value);
  if (keys.length > 100) return undefined;
  const copy: Record<string, string | number | boolean> = {};
  for (const key of keys) {
    if (isPollutingKey(key)) return undefined;
    const item = value[key];
    if (typeof item === 'string') {
      if (item.length > 2000) return undefined;
    } else if (typeof item === 'number') {
      if (!Number.isFinite(item)) return undefined;
    } else if (typeof item !== 'boolean') return undefined;
    copy[key] = item;
  }
  return copy;
}

/**
 * The flag in `value` when it is a simple flag (percentage or user-list strategy, no rules, prerequisites,
 * `bucketBy` or anything else) that `flagSchema` accepts, as the schema would give it; otherwise
 * `undefined` (not necessarily invalid: ask the schema).
 */
export function parseSimpleFlag(value: unknown): Flag | undefined {
  if (!isPlainRecord(value)) return undefined;
  let required = 0;
  for (const key of Object.keys(value)) {
    if (!TOP_KEYS.has(key)) return undefined;
    if (key !== 'salt' && key !== 'accessLevel') required++;
  }
  if (required !== REQUIRED_KEYS) return undefined;
  const { key, description, state } = value;
  if (!isText(key, 1, 200) || !KEY_PATTERN.test(key) || isPollutingKey(key)) return undefined;
  if (typeof description !== 'string' || description.length > 2000) return undefined;
  if (!STATES.has(state)) return undefined;
  const strategy = simpleStrategy(value.strategy);
  if (strategy === undefined) return undefined;
  const enabledUsers = textList(value.enabledUsers, 100_000, 1, 256);
  if (enabledUsers === undefined) return undefined;
  const hasSalt = 'salt' in value;
  if (hasSalt && !isText(value.salt, 1, 200)) return undefined;
  const hasLevel = 'accessLevel' in value;
  if (hasLevel && !LEVELS.has(value.accessLevel)) return undefined;
  const tags = textList(value.tags, 50, 1, 100);
  if (tags === undefined) return undefined;
  const meta = metadata(value.metadata);
  if (meta === undefined) return undefined;
  if (value.hashVersion !== 1 || !isEpoch(value.createdAt) || !isEpoch(value.updatedAt)) return undefined;
  // The schema's key order, so a flag read either way serialises the same.
  return {
    key,
    description,
    state: state as Flag['state'],
    strategy,
    enabledUsers,
    ...(hasSalt ? { salt: value.salt as string } : {}),
    ...(hasLevel ? { accessLevel: value.accessLevel as Flag['accessLevel'] & string } : {}),
    tags,
    metadata: meta,
    hashVersion: 1,
    createdAt: value.createdAt,
    updatedAt: value.updatedAt,
  } as Flag;
}
