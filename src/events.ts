import { EventEmitter } from 'eventemitter3';
import type { AccessLevel, Flag } from './flags/model.js';
import type { MemberStatus } from './early-access/model.js';
import type { Alert } from './analytics/model.js';
import type { Release, ReleaseBreach, ReleaseRollback, ReleaseStatus, RollbackStep } from './releases/model.js';

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

  'earlyAccess:enrolled': (event: { readonly userId: string; readonly level: AccessLevel }) => void;
  'earlyAccess:approved': (event: { readonly userId: string; readonly level: AccessLevel }) => void;
  'earlyAccess:activated': (event: { readonly userId: string; readonly level: AccessLevel }) => void;
  'earlyAccess:suspended': (event: { readonly userId: string; readonly reason: string }) => void;
  'earlyAccess:reinstated': (event: { readonly userId: string; readonly status: MemberStatus }) => void;
  'earlyAccess:graduated': (event: { readonly userId: string }) => void;
  'earlyAccess:deleted': (event: { readonly userId: string }) => void;
  'earlyAccess:feedback': (event: { readonly userId: string; readonly feature: string; readonly rating: number | null }) => void;

  /** A metric's windowed mean crossed its threshold, or crossed it further (warning → critical). */
  'analytics:alert': (alert: Alert) => void;
  /** A metric that had alerted is back within its limit. */
  'analytics:recovered': (event: { readonly metric: string; readonly release: string | null; readonly feature: string | null; readonly value: number }) => void;

  'release:planned': (event: { readonly release: Release }) => void;
  'release:started': (event: { readonly release: Release }) => void;
  /** A release moved to another phase (by `tick`, `advance`, ...). */
  'release:phaseChanged': (event: {
    readonly release: Release;
    readonly from: string | null;
    readonly to: string;
    readonly percentage: number;
    readonly by: string;
  }) => void;
  'release:held': (event: { readonly release: Release; readonly reason: string; readonly breach?: ReleaseBreach }) => void;
  'release:resumed': (event: { readonly release: Release }) => void;
  'release:statusChanged': (event: { readonly release: Release; readonly from: ReleaseStatus; readonly to: ReleaseStatus }) => void;
  'release:completed': (event: { readonly release: Release; readonly previousVersion: string | null }) => void;
  'release:rolledBack': (event: { readonly release: Release; readonly rollback: ReleaseRollback }) => void;
  /**
   * One step of a rollback plan for the host to carry out (notify people, page on-call, ...).
   * Steps nobody listens for are recorded as `unhandled` in the rollback record.
   */
  'release:rollbackStep': (event: { readonly version: string; readonly step: RollbackStep; readonly index: number; readonly reason: string }) => void;
}

/** The typed event emitter shared by phasegate's modules and the host. */
export type PhasegateEventEmitter = EventEmitter<PhasegateEvents>;

/** A new, empty typed event emitter. */
export function createEventEmitter(): PhasegateEventEmitter {
  return new EventEmitter<PhasegateEvents>();
}
