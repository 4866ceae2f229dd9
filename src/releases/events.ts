import type { Release, ReleaseBreach, ReleaseRollback, ReleaseStatus, RollbackStep } from './model.js';

/** The events of `gate.releases`, each emitted after the change it reports is stored. */
export interface ReleaseEvents {
  /** A release was planned. */
  'release:planned': (event: { readonly release: Release }) => void;
  /** A release started its first phase. */
  'release:started': (event: { readonly release: Release }) => void;
  /** A release moved to another phase (by `tick`, `advance`, ...). */
  'release:phaseChanged': (event: {
    readonly release: Release;
    readonly from: string | null;
    readonly to: string;
    readonly percentage: number;
    readonly by: string;
  }) => void;
  /** A release was held in its phase. */
  'release:held': (event: { readonly release: Release; readonly reason: string; readonly breach?: ReleaseBreach }) => void;
  /** A hold was lifted. */
  'release:resumed': (event: { readonly release: Release }) => void;
  /** A release moved between `in_progress`, `testing` and `staging`. */
  'release:statusChanged': (event: { readonly release: Release; readonly from: ReleaseStatus; readonly to: ReleaseStatus }) => void;
  /** A release reached everyone. */
  'release:completed': (event: { readonly release: Release; readonly previousVersion: string | null }) => void;
  /** A release was rolled back. */
  'release:rolledBack': (event: { readonly release: Release; readonly rollback: ReleaseRollback }) => void;
  /**
   * One step of a rollback plan for the host to carry out (notify people, page on-call, ...),
   * emitted once the rollback is stored. Steps nobody listens for are recorded as `unhandled`.
   */
  'release:rollbackStep': (event: { readonly version: string; readonly step: RollbackStep; readonly index: number; readonly reason: string }) => void;
}
