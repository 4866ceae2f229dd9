import { EventEmitter } from 'eventemitter3';
import type { Flag } from './flags/model.js';

/** A flag was created, updated or deleted, here or in another process sharing the store. */
export interface FlagChange {
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
  readonly flagKey: string;
  readonly error: Error;
}

/** The store could not be reached, or failed to give valid data. */
export interface StoreErrorEvent {
  /** What phasegate was doing: `load`, `sync`, `subscribe`. */
  readonly operation: string;
  readonly error: Error;
}

/**
 * Every event phasegate emits, by name. The emitter is the host's: pass your own to
 * `createPhasegate({ events })` to wire modules and monitoring together.
 */
export interface PhasegateEvents {
  'flag:changed': (change: FlagChange) => void;
  /** First evaluation of a deprecated flag by this client (once per flag). */
  'flag:deprecated': (event: { readonly flagKey: string }) => void;
  'evaluation:error': (event: EvaluationErrorEvent) => void;
  'store:error': (event: StoreErrorEvent) => void;
  /** The store went away; evaluation continues on the last snapshot. */
  'store:unavailable': (event: { readonly error?: Error }) => void;
  /** The store is back and the snapshot has been resynchronised. */
  'store:available': () => void;
}

/** The typed event emitter shared by phasegate's modules and the host. */
export type PhasegateEventEmitter = EventEmitter<PhasegateEvents>;

/** A new, empty typed event emitter. */
export function createEventEmitter(): PhasegateEventEmitter {
  return new EventEmitter<PhasegateEvents>();
}
