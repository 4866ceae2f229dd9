import { bucketWithSalt, type BucketSalt } from './bucket.js';
import type { Clock } from '../clock.js';
import { fieldOf, readAttribute } from './conditions/index.js';
import { INVALID_FIELD, readUserId } from './context.js';
import type { EvaluationContext, Flag, Prerequisite } from './model.js';
import { MAX_PREREQUISITE_DEPTH } from './references.js';
import { CompiledRules, type SegmentLookup } from './rules.js';

/** What targeting needs from the client: segments by key, and other flags' answers for prerequisites. */
export interface TargetingEnvironment extends SegmentLookup {
  /** 1 when flag `key` is on for `context`, 0 when off, -1 when there is no such flag. */
  flagState(key: string, context: EvaluationContext | undefined, clock: Clock): number;
}

/** An environment with no segments and no other flags (the pure evaluator's default). */
export const EMPTY_ENVIRONMENT: TargetingEnvironment = {
  segment: () => undefined,
  flagState: () => -1,
};

/** The outcome of the prerequisite step: all hold, or which failed and how. */
export const PrerequisiteOutcome = {
  HOLDS: 0,
  /** The prerequisite flag's answer is not the one required. */
  MISMATCH: 1,
  /** The prerequisite flag does not exist in this client. */
  MISSING: 2,
  /** The chain of prerequisites is deeper than {@link MAX_PREREQUISITE_DEPTH} (a cycle written concurrently). */
  TOO_DEEP: 3,
} as const;

// Evaluation is synchronous, so module slots carry side results without allocating:
// how deep in a prerequisite chain we are, and the details of the last decision.
let depth = 0;
// Set when a chain hits the depth cap, so every flag above it fails too (instead of
// alternating answers up a cycle that was written concurrently past the write-time check).
let tooDeep = false;
/** Index of the prerequisite that failed in the last {@link FlagTargeting.checkPrerequisites}. */
export let failedPrerequisite = -1;
/** The failed prerequisite's answer (1 on, 0 off, -1 none) in the last check. */
export let failedPrerequisiteState = -1;
/** The {@link PrerequisiteOutcome} of the last failed check. */
export let failedPrerequisiteOutcome: number = 0;

const BUCKET_BY_USER_ID = -1;

/**
 * The targeting part of a compiled flag: prerequisites, rules (segments inlined) and the
 * bucketing attribute. Built once per flag version, and again when a segment it names changes.
 */
export class FlagTargeting {
  readonly rules: CompiledRules;
  readonly prerequisites: readonly Prerequisite[];
  /** Whether anything here changes what the plain strategy path would answer. */
  readonly active: boolean;
  /** The attribute bucketing reads (`userId` unless the flag sets `bucketBy`). */
  readonly bucketBy: string;
  /** Whether deciding needs the clock: a condition on `currentTime`, or bucketing by it. */
  readonly readsClock: boolean;
  private readonly bucketField: number;
  private readonly environment: TargetingEnvironment;

  constructor(flag: Flag, environment: TargetingEnvironment) {
    this.environment = environment;
    this.rules = new CompiledRules(flag.rules ?? [], environment);
    this.prerequisites = flag.prerequisites ?? [];
    this.bucketBy = flag.bucketBy ?? 'userId';
    this.bucketField = this.bucketBy === 'userId' ? BUCKET_BY_USER_ID : fieldOf(this.bucketBy);
    this.readsClock = this.rules.usesClock || this.bucketBy === 'currentTime';
    this.active = this.rules.rules.length > 0 || this.prerequisites.length > 0 || this.bucketField !== BUCKET_BY_USER_ID;
  }

  /** Whether bucketing reads the user id (hash version 1 exactly as before targeting existed). */
  get bucketsByUserId(): boolean {
    return this.bucketField === BUCKET_BY_USER_ID;
  }

  /**
   * The value bucketing hashes in place of the user id, or `undefined` when the context has
   * none: a non-empty string, or a finite number as its JavaScript decimal text.
   */
  bucketValue(context: EvaluationContext | undefined, now: number): string | undefined {
    const value = this.bucketField === BUCKET_BY_USER_ID ? readUserId(context) : readAttribute(context, this.bucketField, this.bucketBy, now);
    if (value === INVALID_FIELD) return undefined;
    if (typeof value === 'string') return value.length > 0 ? value : undefined;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    return undefined;
  }

  /** The bucket (0–99,999) of the context under `salt`, or -1 when it has no bucketing value. */
  bucket(salt: BucketSalt, context: EvaluationContext | undefined, now: number): number {
    const value = this.bucketValue(context, now);
    return value === undefined ? -1 : bucketWithSalt(salt, value);
  }

  /**
   * Checks every prerequisite against the other flags' answers for the same context.
   * Returns a {@link PrerequisiteOutcome}; on failure {@link failedPrerequisite} names which.
   */
  checkPrerequisites(context: EvaluationContext | undefined, clock: Clock): number {
    const prerequisites = this.prerequisites;
    if (prerequisites.length === 0) return PrerequisiteOutcome.HOLDS;
    if (depth === 0) tooDeep = false;
    if (depth >= MAX_PREREQUISITE_DEPTH) {
      tooDeep = true;
      failedPrerequisite = 0;
      failedPrerequisiteState = -1;
      failedPrerequisiteOutcome = PrerequisiteOutcome.TOO_DEEP;
      return PrerequisiteOutcome.TOO_DEEP;
    }
    depth++;
    try {
      for (let i = 0; i < prerequisites.length; i++) {
        const prerequisite = prerequisites[i]!;
        const state = this.environment.flagState(prerequisite.flag, context, clock);
        if (tooDeep) {
          failedPrerequisite = i;
          failedPrerequisiteState = -1;
          failedPrerequisiteOutcome = PrerequisiteOutcome.TOO_DEEP;
          return PrerequisiteOutcome.TOO_DEEP;
        }
        if ((state === 1) === prerequisite.enabled && state !== -1) continue;
        failedPrerequisite = i;
        failedPrerequisiteState = state;
        failedPrerequisiteOutcome = state === -1 ? PrerequisiteOutcome.MISSING : PrerequisiteOutcome.MISMATCH;
        return failedPrerequisiteOutcome;
      }
      return PrerequisiteOutcome.HOLDS;
    } finally {
      depth--;
    }
  }

  /** Whether a prerequisite check is running above this one (the chain's depth). */
  static get depth(): number {
    return depth;
  }
}
