import type { Flag } from './model.js';
import type { SegmentChange } from './segment-sync.js';

/** A flag was created, updated or deleted, here or in another process sharing the store. */
export interface FlagChange {
  /** The flag's key. */
  readonly key: string;
  /** The flag after the change; `undefined` when it was deleted. */
  readonly flag: Flag | undefined;
  /** The flag before the change, when this client knew it. */
  readonly previous: Flag | undefined;
  /** `local` for writes made through this client, `remote` for changes seen through the store. */
  readonly source: 'local' | 'remote';
}

/** Something went wrong while answering `isEnabled`/`evaluate`; the safe default was returned. */
export interface EvaluationErrorEvent {
  /** The flag asked about. */
  readonly flagKey: string;
  /** What went wrong. */
  readonly error: Error;
}

/** The store could not be reached, or failed to give valid data. */
export interface StoreErrorEvent {
  /** What phasegate was doing: `load`, `sync`, `resync`, `subscribe`. */
  readonly operation: string;
  /** What went wrong (a record that failed validation names its key). */
  readonly error: Error;
}

/** The events of the flag client and its repository. */
export interface FlagEvents {
  /** A flag changed (created, updated, deleted), locally or in another process. */
  'flag:changed': (change: FlagChange) => void;
  /** A segment was created, updated or deleted (here or in another process); `flags` lists the flags recompiled with it. */
  'segment:changed': (change: SegmentChange) => void;
  /** First evaluation of a deprecated flag by this client (once per flag). */
  'flag:deprecated': (event: { readonly flagKey: string }) => void;
  /** `isEnabled`/`evaluate` hit a problem and answered the safe default. */
  'evaluation:error': (event: EvaluationErrorEvent) => void;
  /** Loading or following the store failed; evaluation continues on the snapshot. */
  'store:error': (event: StoreErrorEvent) => void;
  /** The store went away; evaluation continues on the last snapshot. */
  'store:unavailable': (event: { readonly error?: Error }) => void;
  /** The store is back and the snapshot has been resynchronised. */
  'store:available': () => void;
}
