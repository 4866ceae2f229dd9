import { StoreError, ValidationError, toError } from '../errors.js';
import type { EventPort } from '../event-port.js';
import { iterateRecords } from '../storage/records.js';
import { Collections, type Store, type StoreEvent, type StoredRecord } from '../storage/store.js';
import type { FlagEvents } from './events.js';
import type { ExposureCounter, ExposureSource } from './exposure.js';
import { parseStoredFlag } from './parse.js';
import type { Flag } from './model.js';
import { SegmentSync } from './segment-sync.js';
import type { Segment, SegmentWriteHooks } from './segments.js';
import { FlagSnapshot, type FlagStats, type SnapshotEntry } from './snapshot.js';

/** How often every client re-reads all flags by default, so a missed notification heals by itself. */
export const DEFAULT_RESYNC_INTERVAL_MS = 30_000;

/** Deleted keys remembered beyond the flags held before `touched` is pruned. */
const TOUCHED_SLACK = 1000;

/** Options for {@link FlagRepository}. */
export interface FlagRepositoryOptions {
  /** Where the flags live. */
  readonly store: Store;
  /** Where `flag:changed` and `store:*` go. */
  readonly events: EventPort<FlagEvents>;
  /** Full resync period in ms (±20% jitter); 0 disables. Default {@link DEFAULT_RESYNC_INTERVAL_MS}. */
  readonly resyncIntervalMs?: number;
  /** Flags to answer from before the first load. */
  readonly bootstrap?: readonly Flag[];
  /** Segments to answer from before the first load (the bootstrap flags' rules name them). */
  readonly bootstrapSegments?: readonly Segment[];
}

/**
 * The flag snapshot and its synchronisation with the store (a repository in the sense of
 * Unleash's `repository/`): the first load, bootstrap, store notifications, periodic full
 * resyncs, and matching this client's own writes to their notifications. The client only reads
 * from it; `gate.flags` writes through it.
 *
 * Why versions are not enough: a store's versions restart at 1 when a flag is deleted and
 * re-created, so "lower" can be newer. A full resync therefore replaces state (the store is
 * the truth, and absence means deleted), and every apply remembers when it happened so an
 * older read that lands late never overwrites a newer one.
 */
export class FlagRepository implements ExposureSource {
  private readonly store: Store;
  private readonly events: EventPort<FlagEvents>;
  private readonly snapshot = new FlagSnapshot();
  /** Segments live in the same snapshot: rules compile against them, and a change recompiles the flags naming one. */
  private readonly segmentSync: SegmentSync;
  private readonly resyncIntervalMs: number;
  /** Writes in flight by key: their notifications wait, so our own write is reported as local. */
  private readonly writesInFlight = new Map<string, number>();
  /** Notifications that arrived for a key while we were writing it. */
  private readonly deferred = new Map<string, { maxVersion: number; deleted: boolean }>();
  /** When (in apply sequence) each key last changed; lets a late read know it is stale. */
  private readonly touched = new Map<string, number>();
  private sequence = 0;
  /** Reads (single-key syncs, full resyncs) in progress: while any runs, `touched` is kept whole. */
  private readsInFlight = 0;
  private unsubscribe: (() => void) | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private resyncing: Promise<void> | undefined;
  private available = true;
  private closed = false;

  constructor(options: FlagRepositoryOptions) {
    this.store = options.store;
    this.events = options.events;
    const interval = options.resyncIntervalMs ?? DEFAULT_RESYNC_INTERVAL_MS;
    if (!Number.isFinite(interval) || interval < 0) {
      throw new ValidationError('createPhasegate options', [{ path: 'resyncIntervalMs', message: 'must be a non-negative number of milliseconds (0 disables)' }]);
    }
    this.resyncIntervalMs = interval;
    this.segmentSync = new SegmentSync(this.store, this.snapshot, this.events, () => this.closed);
    this.segmentSync.bootstrap(options.bootstrapSegments ?? []);
    for (const flag of options.bootstrap ?? []) this.snapshot.apply(flag.key, 0, flag);
  }

  /**
   * Follows the store: subscribes, then loads every flag. Resolves when the first load is done;
   * rejects (after emitting `store:error`) when it fails. Periodic resyncs start either way.
   */
  start(): Promise<void> {
    // Subscribe before loading so no change can slip between the two.
    this.unsubscribe = this.store.subscribe((event) => this.onStoreEvent(event));
    const loaded = this.resync('load');
    loaded.then(
      () => this.schedule(),
      () => this.schedule(),
    );
    return loaded;
  }

  // ---- reads (the hot path reads `entry`) ----

  /** The entry for `key`, if present. The hot path of `isEnabled`. */
  entry(key: string): SnapshotEntry | undefined {
    return this.snapshot.entry(key);
  }

  /** Every key and entry held, in no particular order (for `gate.allValues`). */
  allEntries(): IterableIterator<[string, SnapshotEntry]> {
    return this.snapshot.allEntries();
  }

  /** The store version held for `key` (0 when absent or bootstrapped). */
  version(key: string): number {
    return this.snapshot.version(key);
  }

  /** Whether a flag with this key is held. */
  has(key: string): boolean {
    return this.snapshot.entry(key) !== undefined;
  }

  /** Every flag held, sorted by key. */
  flags(): Flag[] {
    return this.snapshot.flags();
  }

  /** Every key held. */
  keys(): IterableIterator<string> {
    return this.snapshot.keys();
  }

  /** Counts by state. */
  stats(): FlagStats {
    return this.snapshot.stats();
  }

  /** Every segment held, sorted by key. */
  segments(): Segment[] {
    return this.snapshot.segmentList();
  }

  /** For `gate.segments`: its writes reach the snapshot (and the flags using them) as soon as they land. */
  get segmentWrites(): SegmentWriteHooks {
    return this.segmentSync.hooks;
  }

  /** The exposure counters of every flag held, by key. */
  exposureCounters(): ReadonlyMap<string, ExposureCounter> {
    const counters = new Map<string, ExposureCounter>();
    for (const [key, entry] of this.snapshot.allEntries()) counters.set(key, entry.exposure);
    return counters;
  }

  /** Whether the store is reachable, as far as this repository knows. */
  get storeAvailable(): boolean {
    return this.available;
  }

  // ---- local writes ----

  /**
   * Runs a write to `key` from this client. Notifications for the key wait until it finishes,
   * then are matched to the written version: our own notification costs no extra read, so a
   * local write is two store round trips (get + put), not three.
   */
  async write<T>(key: string, run: () => Promise<T>): Promise<T> {
    this.writesInFlight.set(key, (this.writesInFlight.get(key) ?? 0) + 1);
    const startedAt = this.sequence;
    try {
      return await run();
    } finally {
      this.finishWrite(key, startedAt);
    }
  }

  /**
   * A write to `key` landed: `record` is the stored version, `undefined` after a delete. Applied
   * whatever the version held (the store just accepted it against the version it had), unless
   * something newer was applied since.
   */
  committed(key: string, record: StoredRecord<Flag> | undefined): void {
    this.apply(key, record, 'local', true);
  }

  private finishWrite(key: string, startedAt: number): void {
    const left = (this.writesInFlight.get(key) ?? 1) - 1;
    if (left > 0) {
      this.writesInFlight.set(key, left);
      return;
    }
    this.writesInFlight.delete(key);
    const missed = this.deferred.get(key);
    if (!missed) return;
    this.deferred.delete(key);
    const held = this.snapshot.version(key);
    // Our own notification carries the version we applied: nothing to read. Anything newer, or a
    // deletion we did not make (the key is still held), means someone else wrote meanwhile.
    if (missed.maxVersion > held || (missed.deleted && held !== 0) || (this.touched.get(key) ?? 0) <= startedAt) this.syncKey(key);
  }

  // ---- store notifications ----

  private onStoreEvent(event: StoreEvent): void {
    if (this.closed) return;
    if (event.type === 'status') {
      if (!event.available && this.available) {
        this.available = false;
        this.events.emit('store:unavailable', event.error ? { error: event.error } : {});
      } else if (event.available && !this.available) {
        this.available = true;
        this.resync('resync').then(
          () => this.events.emit('store:available'),
          () => {},
        );
      }
      return;
    }
    if (event.collection === Collections.segments) return this.segmentSync.handle(event);
    if (event.collection !== Collections.flags) return;
    if (this.writesInFlight.has(event.key)) {
      const missed = this.deferred.get(event.key) ?? { maxVersion: 0, deleted: false };
      this.deferred.set(event.key, { maxVersion: Math.max(missed.maxVersion, event.version), deleted: missed.deleted || event.version === 0 });
      return;
    }
    if (event.version === 0) {
      this.apply(event.key, undefined, 'remote', true);
      return;
    }
    // The same version: already applied (our own write, or seen before). Anything else, higher
    // or lower (a re-created flag starts again at 1), is read from the store.
    if (event.version === this.snapshot.version(event.key)) return;
    this.syncKey(event.key);
  }

  /** Re-reads one flag and applies what the store holds, unless something newer landed meanwhile. */
  private syncKey(key: string): void {
    const startedAt = this.sequence;
    this.readsInFlight++;
    this.store
      .get(Collections.flags, key)
      .finally(() => this.readsInFlight--)
      .then((record) => {
        if (this.closed || (this.touched.get(key) ?? 0) > startedAt || this.writesInFlight.has(key)) return;
        this.apply(key, record && { ...record, value: parseStoredFlag(record, this.store.name) }, 'remote', true);
      })
      .catch((error: unknown) => this.events.emit('store:error', { operation: 'sync', error: toError(error) }));
  }

  // ---- full resync ----

  /**
   * Re-reads every flag and replaces the snapshot with what the store holds: changed flags are
   * applied whatever their version, and flags the store no longer has are deleted. Keys written
   * or notified while it ran keep their newer state. Concurrent calls share one run.
   */
  resync(operation: 'load' | 'resync' = 'resync'): Promise<void> {
    this.resyncing ??= this.fullResync(operation).finally(() => {
      this.resyncing = undefined;
    });
    return this.resyncing;
  }

  private async fullResync(operation: 'load' | 'resync'): Promise<void> {
    const startedAt = this.sequence;
    const seen = new Map<string, StoredRecord<Flag>>();
    this.readsInFlight++;
    try {
      // Only list once notifications flow, so a write between the two cannot be missed.
      await this.store.subscribed?.();
      // Segments first, so flags compile against the segments their rules name.
      await this.segmentSync.load();
      for await (const record of iterateRecords(this.store, Collections.flags)) {
        seen.set(record.key, { ...record, value: parseStoredFlag(record, this.store.name) });
      }
    } catch (error) {
      const wrapped =
        error instanceof ValidationError || error instanceof StoreError
          ? error
          : new StoreError(`Could not load flags from store ${this.store.name}: ${toError(error).message}`, { cause: error });
      if (!this.closed) this.events.emit('store:error', { operation, error: wrapped });
      throw wrapped;
    } finally {
      this.readsInFlight--;
    }
    if (this.closed) return;
    const untouched = (key: string): boolean => (this.touched.get(key) ?? 0) <= startedAt && !this.writesInFlight.has(key);
    for (const [key, record] of seen) if (untouched(key)) this.apply(key, record, 'remote', true);
    for (const key of [...this.snapshot.keys()]) if (!seen.has(key) && untouched(key)) this.apply(key, undefined, 'remote', true);
    // Forget when keys that no longer exist changed: bounded by the flags the store holds.
    for (const [key, at] of this.touched) if (at <= startedAt && this.snapshot.entry(key) === undefined) this.touched.delete(key);
  }

  private schedule(): void {
    if (this.closed || this.resyncIntervalMs === 0) return;
    // Jitter spreads the re-reads of many processes sharing one store.
    const delay = this.resyncIntervalMs * (0.8 + Math.random() * 0.4);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.closed) return;
      this.resync('resync').then(
        () => this.schedule(),
        () => this.schedule(),
      );
    }, delay);
    this.timer.unref?.();
  }

  // ---- applying ----

  private apply(key: string, record: StoredRecord<Flag> | undefined, source: 'local' | 'remote', replace: boolean): void {
    const applied = this.snapshot.apply(key, record?.version ?? 0, record?.value, replace);
    if (!applied.changed) return;
    this.touched.set(key, ++this.sequence);
    if (record === undefined) this.forgetDeletedKeys();
    this.events.emit('flag:changed', { key, flag: record?.value, previous: applied.previous, source });
  }

  /**
   * Keeps `touched` bounded when flags come and go (with periodic resync off, nothing else
   * would prune it): once it holds many more keys than the snapshot, keys no longer held are
   * forgotten, unless a read that could land late is in flight.
   */
  private forgetDeletedKeys(): void {
    if (this.readsInFlight > 0 || this.touched.size <= this.snapshot.size + TOUCHED_SLACK) return;
    for (const key of this.touched.keys()) {
      if (this.snapshot.entry(key) === undefined && !this.writesInFlight.has(key)) this.touched.delete(key);
    }
  }

  /** Stops following the store (the store itself stays open) and clears the resync timer. */
  stop(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.unsubscribe?.();
  }
}
