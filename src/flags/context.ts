import type { AccessLevel } from './model.js';

/**
 * Who is asking. Everything is optional: a ring check needs no user id,
 * and a missing user id on a strategy that needs one gives `NO_USER_ID`.
 */
export interface EvaluationContext {
  /** Stable id of the user; bucketing hashes it with the flag's salt. */
  userId?: string;
  /** Deployment ring (for example `canary`, `internal`); defaults to `production`. */
  ring?: string;
  /** Early-access level of the user, when they are an active member of the program. */
  accessLevel?: AccessLevel;
  /** Early-access features the program grants this user (from `gate.earlyAccess.contextFor`). */
  earlyAccessFeatures?: readonly string[];
  /** Anything else the host wants to pass along (OpenFeature context fields land here). */
  attributes?: Readonly<Record<string, unknown>>;
}

/** Returned by the readers below for a field that is not a string, or whose getter threw. */
export const INVALID_FIELD: unique symbol = Symbol('invalid context field');

// Why readers: a context comes from the host and may be anything: a Proxy, an object with
// throwing getters, a getter that answers differently on every read. Evaluation promises never
// to throw, so each field is read exactly once, inside a try, and the value read is the value
// used. The last user id read is kept in a slot (no allocation) so exposure counting sees the
// same value the decision saw.
let lastUserId: unknown;

/** Reads `context.userId` once: a string, `undefined`, or {@link INVALID_FIELD}. Never throws. */
export function readUserId(context: unknown): string | undefined | typeof INVALID_FIELD {
  lastUserId = undefined;
  if (context == null) return undefined;
  let value: unknown;
  try {
    value = (context as EvaluationContext).userId;
  } catch {
    return INVALID_FIELD;
  }
  lastUserId = value;
  return value === undefined || typeof value === 'string' ? value : INVALID_FIELD;
}

/** The raw `userId` value the last {@link readUserId} call read (undefined after a throw). */
export function lastReadUserId(): unknown {
  return lastUserId;
}

/** Reads `context.ring` once: a string, `undefined`, or {@link INVALID_FIELD}. Never throws. */
export function readRing(context: unknown): string | undefined | typeof INVALID_FIELD {
  if (context == null) return undefined;
  let value: unknown;
  try {
    value = (context as EvaluationContext).ring;
  } catch {
    return INVALID_FIELD;
  }
  return value === undefined || typeof value === 'string' ? value : INVALID_FIELD;
}

/** Reads any other field once; {@link INVALID_FIELD} when its getter throws. Never throws. */
export function readField(context: unknown, field: 'accessLevel' | 'earlyAccessFeatures' | 'attributes'): unknown {
  if (context == null) return undefined;
  try {
    return (context as EvaluationContext)[field];
  } catch {
    return INVALID_FIELD;
  }
}
