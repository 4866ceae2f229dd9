import type { ActorOptions, ReleaseBreach } from '../contracts.js';
import type { Threshold } from './model.js';

/** What analytics reads of a release (a stored release has all of it). */
export interface ReleaseView {
  /** The release's semver version. */
  readonly version: string;
  /** Its life-cycle status. */
  readonly status: string;
  /** Its rollback triggers (they override the default thresholds for its metrics). */
  readonly rollbackPlan: { readonly triggers: readonly Threshold[] };
  /** Set while held, with who held it. */
  readonly hold: { readonly by: string } | null;
  /** Set once rolled back, with why. */
  readonly rollback: { readonly reason: string } | null;
}

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
  hold(version: string, reason: string, options: ActorOptions & { breach?: ReleaseBreach }): Promise<unknown>;
  /** Rolls a release back. */
  rollback(version: string, reason: string, options: ActorOptions & { breach?: ReleaseBreach }): Promise<unknown>;
  /** Lifts a hold. */
  resume(version: string, options: ActorOptions): Promise<unknown>;
  /** Whether a release in this status is rolling out (phases move, guards apply). */
  isActive(status: string): boolean;
  /** The name of the release's current phase, if any. */
  phaseOf(release: ReleaseView): string | null;
  /** The percentage of users the release exposes now. */
  exposureOf(release: ReleaseView): number;
}
