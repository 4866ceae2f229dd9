/**
 * The storage adapter contract (docs/storage.md). Every adapter — memory, file,
 * Redis, PostgreSQL, or your own — implements {@link Store} and passes
 * `runStorageConformance` from `phasegate/testing`.
 *
 * Records are JSON values stored per collection and key, each with a version that
 * grows by one on every write. Writes name the version they expect, so a stale writer
 * gets a {@link ConflictError} instead of overwriting someone else.
 *
 * **Versions never go backwards.** A key's version is never reused, not even after the
 * record is deleted: creating a key (`put` with `expectedVersion` 0) gives it a version
 * greater than any version that key had before in that collection (the first record of a
 * new collection gets 1). Clients compare versions to ignore stale notifications and reads; if a
 * re-created record restarted at 1, a client that missed the delete would keep the old
 * record forever. The built-in adapters keep one number per collection for this, the
 * *deleted-version floor* (the highest version of any record deleted from it), and create
 * records at floor + 1: bounded, and it keeps no trace of the deleted key itself.
 */

/** One stored value and its version. */
export interface StoredRecord<T = unknown> {
  readonly key: string;
  /**
   * +1 for each write. A create starts above every version the key had before it was
   * deleted (at 1 in a collection nothing was ever deleted from): versions of a key never
   * go backwards.
   */
  readonly version: number;
  readonly value: T;
}

/** Paging for {@link Store.list}: records come sorted by key, ascending. */
export interface ListOptions {
  /** Only keys strictly greater than this one (the last key of the previous page). */
  readonly after?: string;
  /** At most this many records (adapters may cap it; default 1000). */
  readonly limit?: number;
  /** Only keys starting with this prefix. */
  readonly prefix?: string;
}

/** A record changed, in this process or another. Carries no value: re-read it if you need it. */
export interface StoreChange {
  readonly type: 'change';
  readonly collection: string;
  readonly key: string;
  /** The version after the change; 0 when the record was deleted. */
  readonly version: number;
}

/**
 * The store became unreachable or reachable again. An adapter also reports
 * `available: false` when only its notification channel drops (a killed pub/sub or LISTEN
 * connection), and `available: true` once notifications flow again, so clients reload
 * and pick up whatever changed while they could not hear about it.
 */
export interface StoreStatus {
  readonly type: 'status';
  readonly available: boolean;
  /** Why it became unavailable. */
  readonly error?: Error;
}

/** What {@link Store.subscribe} listeners receive. */
export type StoreEvent = StoreChange | StoreStatus;

/** The adapter contract. */
export interface Store {
  /** A short name for messages, e.g. `memory`, `file:/srv/flags`. */
  readonly name: string;
  /** The record, or `undefined` when there is none. */
  get<T = unknown>(collection: string, key: string): Promise<StoredRecord<T> | undefined>;
  /** A page of records sorted by key (see {@link ListOptions}). */
  list<T = unknown>(collection: string, options?: ListOptions): Promise<StoredRecord<T>[]>;
  /**
   * Writes `value` if the stored version equals `expectedVersion` (0: the record must not
   * exist) and returns the new record. Otherwise throws {@link ConflictError} and changes nothing.
   * An update stores `expectedVersion + 1`; a create stores a version greater than any the key
   * had before (see "Versions never go backwards" above).
   * `value` must be JSON-serialisable; the store keeps its own copy.
   */
  put<T>(collection: string, key: string, value: T, expectedVersion: number): Promise<StoredRecord<T>>;
  /**
   * Deletes the record. With `expectedVersion`, only if the stored version matches (else
   * {@link ConflictError}). Resolves `false` when there was nothing to delete. The store
   * remembers enough (e.g. a per-collection floor) that re-creating the key later gives it a
   * higher version than the deleted record had.
   */
  delete(collection: string, key: string, expectedVersion?: number): Promise<boolean>;
  /** Number of records in a collection. */
  count(collection: string): Promise<number>;
  /**
   * Listens for changes made by anyone (this process included) and for availability.
   * Returns a function that stops listening.
   */
  subscribe(listener: (event: StoreEvent) => void): () => void;
  /**
   * Optional: resolves once notifications are actually flowing after `subscribe` (a LISTEN or
   * SUBSCRIBE acknowledged, a watcher started). Clients await it before their first load, so
   * no write can fall between the load and the subscription. Should not reject.
   */
  subscribed?(): Promise<void>;
  /** Releases connections and timers. The store is unusable afterwards. */
  close(): Promise<void>;
}

/** The collections phasegate itself uses. */
export const Collections = {
  flags: 'flags',
  segments: 'segments',
  earlyAccessUsers: 'early-access-users',
  earlyAccessEmails: 'early-access-emails',
  earlyAccessFeatures: 'early-access-features',
  earlyAccessFeedback: 'early-access-feedback',
  releases: 'releases',
  metrics: 'metrics',
  alerts: 'alerts',
  meta: 'meta',
} as const;

/** One of phasegate's own collection names. */
export type CollectionName = (typeof Collections)[keyof typeof Collections];

/** Default and maximum page size for {@link Store.list}. */
export const DEFAULT_PAGE_SIZE = 1000;
