/**
 * The storage adapter contract (docs/storage.md). Every adapter — memory, file,
 * Redis, PostgreSQL, or your own — implements {@link Store} and passes
 * `runStorageConformance` from `phasegate/testing`.
 *
 * Records are JSON values stored per collection and key, each with a version that
 * starts at 1 and grows by one on every write. Writes name the version they expect,
 * so a stale writer gets a {@link ConflictError} instead of overwriting someone else.
 */

/** One stored value and its version. */
export interface StoredRecord<T = unknown> {
  readonly key: string;
  /** 1 after the first write, +1 for each write since. */
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

/** The store became unreachable or reachable again. */
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
   * `value` must be JSON-serialisable; the store keeps its own copy.
   */
  put<T>(collection: string, key: string, value: T, expectedVersion: number): Promise<StoredRecord<T>>;
  /**
   * Deletes the record. With `expectedVersion`, only if the stored version matches (else
   * {@link ConflictError}). Resolves `false` when there was nothing to delete.
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
