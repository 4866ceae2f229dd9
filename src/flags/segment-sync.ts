import { toError } from '../errors.js';
import type { EventPort } from '../event-port.js';
import { iterateRecords } from '../storage/records.js';
import { Collections, type Store, type StoreChange, type StoredRecord } from '../storage/store.js';
import type { FlagEvents } from './events.js';
import { parseStoredSegment, type Segment, type SegmentWriteHooks } from './segments.js';
import type { FlagSnapshot } from './snapshot.js';

/** A segment changed in the snapshot, and with it the flags whose rules name it. */
export interface SegmentChange {
  /** The segment's key. */
  readonly key: string;
  /** The segment after the change; `undefined` when it was deleted. */
  readonly segment: Segment | undefined;
  /** The segment before the change, when this client knew it. */
  readonly previous: Segment | undefined;
  /** The flags recompiled because their rules name this segment. */
  readonly flags: readonly string[];
  /** `local` for writes made through this client, `remote` for changes seen through the store. */
  readonly source: 'local' | 'remote';
}

/**
 * Keeps the snapshot's segments in step with the store, for the flag repository: loaded (and
 * replaced) on every full resync before the flags, re-read on each change notification, and
 * applied at once when this client writes one. Like flags, a full load replaces what is held
 * (versions restart when a segment is deleted and re-created), and a read that started before
 * a newer apply never overwrites it.
 */
export class SegmentSync {
  private readonly writesInFlight = new Map<string, number>();
  private readonly deferred = new Set<string>();
  /** When (in apply sequence) each key last changed. */
  private readonly touched = new Map<string, number>();
  private sequence = 0;

  /** Passed to {@link Segments} so its writes reach the snapshot at once. */
  readonly hooks: SegmentWriteHooks = {
    begin: (key) => this.writesInFlight.set(key, (this.writesInFlight.get(key) ?? 0) + 1),
    commit: (key, record) => this.apply(key, record, 'local'),
    end: (key) => {
      const left = (this.writesInFlight.get(key) ?? 1) - 1;
      if (left > 0) return void this.writesInFlight.set(key, left);
      this.writesInFlight.delete(key);
      if (this.deferred.delete(key)) this.sync(key);
    },
  };

  constructor(
    private readonly store: Store,
    private readonly snapshot: FlagSnapshot,
    private readonly events: EventPort<FlagEvents>,
    private readonly closed: () => boolean,
  ) {}

  /** Applies segments held in a bootstrap snapshot (version 0: any stored version replaces them). */
  bootstrap(segments: readonly Segment[]): void {
    for (const segment of segments) this.snapshot.applySegment(segment.key, 0, segment, true);
  }

  /** Loads every segment (validated), replacing what is held, and drops the ones the store no longer has. */
  async load(): Promise<void> {
    const startedAt = this.sequence;
    const seen = new Map<string, StoredRecord<Segment>>();
    for await (const record of iterateRecords(this.store, Collections.segments)) {
      seen.set(record.key, { ...record, value: parseStoredSegment(record, this.store.name) });
    }
    if (this.closed()) return;
    const untouched = (key: string): boolean => (this.touched.get(key) ?? 0) <= startedAt && !this.writesInFlight.has(key);
    for (const [key, record] of seen) if (untouched(key)) this.apply(key, record, 'remote');
    for (const segment of this.snapshot.segmentList()) if (!seen.has(segment.key) && untouched(segment.key)) this.apply(segment.key, undefined, 'remote');
    for (const [key, at] of this.touched) if (at <= startedAt && this.snapshot.segment(key) === undefined) this.touched.delete(key);
  }

  /** Handles a store notification for the segments collection. */
  handle(event: StoreChange): void {
    if (this.closed()) return;
    if (this.writesInFlight.has(event.key)) {
      this.deferred.add(event.key);
      return;
    }
    if (event.version === 0) return this.apply(event.key, undefined, 'remote');
    if (event.version === this.snapshot.segmentVersion(event.key)) return;
    this.sync(event.key);
  }

  private apply(key: string, record: StoredRecord<Segment> | undefined, source: 'local' | 'remote'): void {
    const applied = this.snapshot.applySegment(key, record?.version ?? 0, record?.value, true);
    if (!applied.changed) return;
    this.touched.set(key, ++this.sequence);
    this.events.emit('segment:changed', { key, segment: record?.value, previous: applied.previous, flags: applied.flags, source });
  }

  private sync(key: string): void {
    const startedAt = this.sequence;
    this.store
      .get(Collections.segments, key)
      .then((record) => {
        if (this.closed() || (this.touched.get(key) ?? 0) > startedAt || this.writesInFlight.has(key)) return;
        this.apply(key, record && { ...record, value: parseStoredSegment(record, this.store.name) }, 'remote');
      })
      .catch((error: unknown) => this.events.emit('store:error', { operation: 'sync', error: toError(error) }));
  }
}
