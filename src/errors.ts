/**
 * Every error phasegate throws is a {@link PhasegateError} with a stable `code`,
 * so callers can branch on `error.code` instead of parsing messages.
 */

/** Stable machine-readable codes carried by {@link PhasegateError}. */
export type PhasegateErrorCode =
  | 'VALIDATION'
  | 'CONFLICT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'ILLEGAL_TRANSITION'
  | 'STORE'
  | 'CLOSED'
  | 'TYPE_MISMATCH';

// Why a registry symbol: the package ships an ESM and a CJS build, and an app can load both
// (its own code imports one, a dependency requires the other). Each build has its own
// classes, so a plain `instanceof` would fail across them. `Symbol.for` gives both builds the
// same brand, and `Symbol.hasInstance` checks the brand and the code instead of the prototype.
const BRAND: unique symbol = Symbol.for('phasegate.error') as never;

function brandedCode(value: unknown): PhasegateErrorCode | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  try {
    return (value as { [BRAND]?: unknown })[BRAND] === true ? (value as { code: PhasegateErrorCode }).code : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether `value` is an error thrown by phasegate (from either the ESM or the CJS build),
 * optionally with a given `code`. `instanceof` works across builds too; this is the check to
 * use when a value may come from anywhere.
 *
 * @example
 * ```ts
 * import { isPhasegateError } from 'phasegate';
 * try { await gate.flags.create({ key: 'checkout' }); }
 * catch (error) { if (isPhasegateError(error, 'ALREADY_EXISTS')) console.log('taken'); }
 * ```
 */
export function isPhasegateError(value: unknown, code?: PhasegateErrorCode): value is PhasegateError {
  const actual = brandedCode(value);
  return actual !== undefined && (code === undefined || actual === code);
}

/** Base class of all errors thrown by phasegate. */
export class PhasegateError extends Error {
  /** The code every instance of this class carries; `undefined` on the base class (any code). */
  static readonly code: PhasegateErrorCode | undefined = undefined;

  /** Stable code for programmatic handling. */
  readonly code: PhasegateErrorCode;

  constructor(code: PhasegateErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /**
   * `instanceof` by brand and code, so it holds across the ESM and CJS builds: `PhasegateError`
   * matches any phasegate error, a subclass matches errors with its code (or its own instances).
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    const actual = brandedCode(value);
    if (actual === undefined) return false;
    const wanted = (this as unknown as { code?: PhasegateErrorCode }).code;
    return wanted === undefined || actual === wanted;
  }
}

/** One problem found while validating input: where it is and which rule it broke. */
export interface ValidationIssue {
  /** Dotted path to the offending field, e.g. `strategy.percentage`; empty for the whole value. */
  readonly path: string;
  /** What rule was broken, in plain words. */
  readonly message: string;
}

/** Input failed validation. `issues` lists every field and rule that failed. */
export class ValidationError extends PhasegateError {
  static override readonly code = 'VALIDATION' as const;
  /** Every field and rule that failed. */
  readonly issues: readonly ValidationIssue[];

  constructor(subject: string, issues: readonly ValidationIssue[]) {
    const details = issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message));
    super('VALIDATION', `Invalid ${subject}: ${details.join('; ')}`);
    this.issues = issues;
  }

  /** A validation error with a message of its own (a rule about the request, not one field). */
  static because(message: string, path = ''): ValidationError {
    const error = new ValidationError('input', [{ path, message }]);
    error.message = message;
    return error;
  }
}

/** A write was made against a stale version: someone else wrote the record first. Nothing was overwritten. */
export class ConflictError extends PhasegateError {
  static override readonly code = 'CONFLICT' as const;
  /** The collection written to. */
  readonly collection: string;
  /** The record's key. */
  readonly key: string;
  /** The version the writer expected (0 means "expected the record not to exist"). */
  readonly expectedVersion: number;
  /** The version actually stored (0 when the record does not exist). */
  readonly actualVersion: number;

  constructor(collection: string, key: string, expectedVersion: number, actualVersion: number) {
    super(
      'CONFLICT',
      `Version conflict on ${collection}/${key}: expected version ${expectedVersion}, store has ${actualVersion}`,
    );
    this.collection = collection;
    this.key = key;
    this.expectedVersion = expectedVersion;
    this.actualVersion = actualVersion;
  }
}

/** The named thing does not exist. */
export class NotFoundError extends PhasegateError {
  static override readonly code = 'NOT_FOUND' as const;

  constructor(what: string, key: string) {
    super('NOT_FOUND', `${what} '${key}' not found`);
  }
}

/** Creating something whose key is already taken. Nothing was overwritten. */
export class AlreadyExistsError extends PhasegateError {
  static override readonly code = 'ALREADY_EXISTS' as const;

  /** `message`, when given, replaces the standard "<what> '<key>' already exists" (for keys that must not be echoed). */
  constructor(what: string, key: string, message?: string) {
    super('ALREADY_EXISTS', message ?? `${what} '${key}' already exists`);
  }
}

/**
 * A flag belongs to someone else (a running release, the early-access program): one owner per
 * flag. Nothing was written. `owner` names the owner, e.g. `release:2.0.0` or `early-access`.
 * It is an {@link AlreadyExistsError} (code `ALREADY_EXISTS`): the key is taken.
 */
export class FlagOwnedError extends AlreadyExistsError {
  /** The flag's key. */
  readonly key: string;
  /** Who owns it: `release:<version>`, `early-access`, or `nobody` for a plain flag. */
  readonly owner: string;

  constructor(key: string, owner: string, message: string) {
    super('Flag', key, message);
    this.key = key;
    this.owner = owner;
  }

  /** Across the ESM and CJS builds: an `ALREADY_EXISTS` error that names an owner. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    return isPhasegateError(value, 'ALREADY_EXISTS') && (value as { name?: unknown }).name === 'FlagOwnedError' && typeof (value as { owner?: unknown }).owner === 'string';
  }
}

/** A life-cycle transition that the state machine does not allow. */
export class IllegalTransitionError extends PhasegateError {
  static override readonly code = 'ILLEGAL_TRANSITION' as const;
  /** The state it was in. */
  readonly from: string;
  /** The state it was asked to move to. */
  readonly to: string;

  constructor(subject: string, from: string, to: string, detail?: string) {
    super('ILLEGAL_TRANSITION', `Cannot move ${subject} from '${from}' to '${to}'${detail ? `: ${detail}` : ''}`);
    this.from = from;
    this.to = to;
  }
}

/** The store failed (unreachable, corrupt data, I/O error). `cause` holds the underlying error. */
export class StoreError extends PhasegateError {
  static override readonly code = 'STORE' as const;

  constructor(message: string, options?: { cause?: unknown }) {
    super('STORE', message, options);
  }
}

/** The store or client was used after `close()`. */
export class ClosedError extends PhasegateError {
  static override readonly code = 'CLOSED' as const;

  constructor(message: string) {
    super('CLOSED', message);
  }
}

/**
 * A flag was read with a fallback of another type than its values (`getValue` of a string flag
 * with a number fallback). Never thrown by evaluation: reported as `evaluation:error` while the
 * fallback is returned.
 */
export class TypeMismatchError extends PhasegateError {
  static override readonly code = 'TYPE_MISMATCH' as const;
  /** The flag's value type. */
  readonly expected: string;
  /** The type of the fallback given. */
  readonly actual: string;

  constructor(flagKey: string, expected: string, actual: string) {
    super('TYPE_MISMATCH', `flag '${flagKey}' serves ${expected} values, but the fallback given is ${actual === 'json' ? 'an object, array or null' : `a ${actual}`}`);
    this.expected = expected;
    this.actual = actual;
  }
}

/** Turns anything thrown into an Error, so events always carry an Error. */
export function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
