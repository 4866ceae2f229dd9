import type { ActorOptions, ReleaseBreach } from '../contracts.js';
import type { Badness } from './model.js';

/** A rollback trigger as analytics reads it: hold past `limit`, roll back past `critical`. */
export interface TriggerView {
  readonly metric: string;
  readonly limit: number;
  readonly bad: Badness;
  /** Default: half the limit further on the bad side (`defaultCriticalLimit`). */
  readonly critical?: number | undefined;
}

/** What analytics reads of a release (a stored release has all of it). */
export interface ReleaseView {
  /** The release's semver version. */
  readonly version: string;
  /** Its life-cycle status. */
  readonly status: string;
  /** Its feature flags' keys: a user with any of them on is in the release's arm (treatment). */
  readonly features: readonly string[];
  /** Its rollback triggers (they override the shared thresholds for its metrics). */
  readonly rollbackPlan: { readonly triggers: readonly TriggerView[] };
  /** Set while held: when, by whom, why, and the breach when analytics held it. */
  readonly hold: { readonly at: number; readonly by: string; readonly reason: string; readonly breach?: ReleaseBreach | undefined } | null;
  /** Set once rolled back, with when, why, by whom, and how each step went. */
  readonly rollback: {
    readonly at: number;
    readonly reason: string;
    readonly by: string;
    readonly phase: string | null;
    readonly breach?: ReleaseBreach | undefined;
    readonly steps: ReadonlyArray<{ readonly step: { readonly action: string; readonly params: Readonly<Record<string, string | number | boolean>> }; readonly outcome: string }>;
  } | null;
}

/** Consulted before the scheduler advances a release: `true` to allow, or a reason to wait. */
export type AdvanceGuard = (release: ReleaseView) => true | string;

/**
 * How analytics reads and guards releases, without importing the releases module: the client
 * plugs `gate.releases` in (see `phasegate.ts`).
 */
export interface ReleaseControl {
  /** The release, or `undefined`. */
  get(version: string): Promise<ReleaseView | undefined>;
  /** Every release. */
  list(): Promise<ReleaseView[]>;
  /** Holds a release in its phase. */
  hold(version: string, reason: string, options: ActorOptions & { breach?: ReleaseBreach }): Promise<ReleaseView>;
  /** Rolls a release back. */
  rollback(version: string, reason: string, options: ActorOptions & { breach?: ReleaseBreach }): Promise<ReleaseView>;
  /** Lifts a hold. */
  resume(version: string, options: ActorOptions): Promise<unknown>;
  /** Registers a guard the scheduler consults before advancing a release; returns its remover. */
  addGuard(guard: AdvanceGuard): () => void;
  /** Whether a release in this status is rolling out (phases move, guards apply). */
  isActive(status: string): boolean;
  /** The name of the release's current phase, if any. */
  phaseOf(release: ReleaseView): string | null;
  /** The percentage of users the release exposes now. */
  exposureOf(release: ReleaseView): number;
}
