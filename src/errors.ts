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
  | 'CLOSED';

/** Base class of all errors thrown by phasegate. */
export class PhasegateError extends Error {
  /** Stable code for programmatic handling. */
  readonly code: PhasegateErrorCode;

  constructor(code: PhasegateErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
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
  readonly issues: readonly ValidationIssue[];

  constructor(subject: string, issues: readonly ValidationIssue[]) {
    const details = issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message));
    super('VALIDATION', `Invalid ${subject}: ${details.join('; ')}`);
    this.issues = issues;
  }
}

/** A write was made against a stale version: someone else wrote the record first. Nothing was overwritten. */
export class ConflictError extends PhasegateError {
  readonly collection: string;
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
  constructor(what: string, key: string) {
    super('NOT_FOUND', `${what} '${key}' not found`);
  }
}

/** Creating something whose key is already taken. Nothing was overwritten. */
export class AlreadyExistsError extends PhasegateError {
  constructor(what: string, key: string) {
    super('ALREADY_EXISTS', `${what} '${key}' already exists`);
  }
}

/** A life-cycle transition that the state machine does not allow. */
export class IllegalTransitionError extends PhasegateError {
  readonly from: string;
  readonly to: string;

  constructor(subject: string, from: string, to: string, detail?: string) {
    super('ILLEGAL_TRANSITION', `Cannot move ${subject} from '${from}' to '${to}'${detail ? `: ${detail}` : ''}`);
    this.from = from;
    this.to = to;
  }
}

/** The store failed (unreachable, corrupt data, I/O error). `cause` holds the underlying error. */
export class StoreError extends PhasegateError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STORE', message, options);
  }
}

/** Turns anything thrown into an Error, so events always carry an Error. */
export function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
