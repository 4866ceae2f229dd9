/**
 * Types that cross domain boundaries, kept in the core so no domain imports another: who acts,
 * and the breach analytics reports when it holds or rolls back a release.
 */

/**
 * Who is acting and why: the last argument of every write API. `by` is recorded in histories
 * (releases, early-access members) and, with `reason`, in the audit log. Default `by`: the
 * client's `actor` option, else `api`.
 */
export interface ActorOptions {
  /** The person or system acting. */
  readonly by?: string;
  /** Why, in a few words (the audit log). */
  readonly reason?: string;
}

/** The `{ by, reason }` every write API takes (another name for {@link ActorOptions}). */
export type WriteOptions = ActorOptions;

/** The metric breach that caused an automatic hold or rollback. */
export interface ReleaseBreach {
  /** The metric that breached. */
  readonly metric: string;
  /** Its windowed mean. */
  readonly value: number;
  /** The limit it crossed. */
  readonly limit: number;
  /** Which side of the limit is bad. */
  readonly bad: 'above' | 'below';
  /** The phase the release was in. */
  readonly phase: string | null;
  /** How far it crossed. */
  readonly severity: 'warning' | 'critical';
  /** The critical limit in force. */
  readonly critical?: number;
  /** Set when the breach came from the comparison against control: treatment minus control, its interval and the arms' sizes. */
  readonly comparison?: { readonly difference: number; readonly interval: readonly [number, number]; readonly treatmentCount: number; readonly controlCount: number };
}
