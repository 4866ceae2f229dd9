import { HyperLogLog } from '../hyperloglog.js';

/** Ids parked before a fold; the buffer never grows past this. */
export const EXPOSURE_BUFFER_SIZE = 256;
/** Days of distinct-user sketches kept per flag while they wait for a flush (a flushed day is handed over and dropped). */
export const EXPOSURE_DAYS_KEPT = 31;

/** The buffer of a counter that has not parked an id yet: shared, empty, never written. */
const NO_IDS: string[] = [];
/** The sketches of a counter that holds none: shared, empty, never written. */
const NO_DAYS: ReadonlyMap<number, HyperLogLog> = new Map();

/**
 * Per-flag exposure counters, kept on the flag's snapshot entry so `isEnabled` only bumps a
 * number. Ids that saw the flag on are parked in a fixed buffer and folded into per-day
 * HyperLogLog sketches in batches, off the per-call path.
 *
 * Why everything is allocated late: a client may hold 100,000 flags of which a few hundred are
 * evaluated with exposure on. The buffer (256 slots) is allocated when the first id is parked
 * and the sketches when the first id is folded, so a flag never evaluated costs a few numbers.
 * Why sketches are handed over: `flush()` takes the days that changed since the last flush
 * ({@link ExposureCounter.takeUnflushed}) and merges them into the store, so its work follows
 * what changed and the memory held here is what is not stored yet.
 */
export class ExposureCounter {
  /** Evaluations that answered on. */
  on = 0;
  /** Evaluations that answered off. */
  off = 0;
  /**
   * Evaluations whose context had a user id that is not a string (`null`, a number, ...).
   * Counted here and never buffered: one bad id must not poison the sketches of everyone else.
   */
  invalid = 0;
  /** User ids that saw the flag on, waiting to be folded into the sketches (allocated on the first). */
  pending: string[] = NO_IDS;
  /** How many of `pending` are filled. */
  pendingCount = 0;
  private days: Map<number, HyperLogLog> | undefined;

  /** Distinct exposed users by UTC day number, for the days not yet handed to a flush. */
  get exposedByDay(): ReadonlyMap<number, HyperLogLog> {
    return this.days ?? NO_DAYS;
  }

  /** Records an evaluation. Called on the hot path: no allocation unless the buffer fills; never throws for any `userId`. */
  record(enabled: boolean, userId: unknown, now: () => number): void {
    if (!enabled) {
      this.off++;
      return;
    }
    this.recordOn(userId, now);
  }

  /** Records an evaluation that answered on (the off case is just `off++`). Never throws. */
  recordOn(userId: unknown, now: () => number): void {
    this.on++;
    if (userId === undefined) return;
    if (typeof userId !== 'string' || userId.length === 0) {
      this.invalid++;
      return;
    }
    if (this.pendingCount === this.pending.length) this.makeRoom(now());
    this.pending[this.pendingCount++] = userId;
  }

  /** Allocates the buffer on the first id, or folds a full one. */
  private makeRoom(now: number): void {
    if (this.pending === NO_IDS) this.pending = new Array<string>(EXPOSURE_BUFFER_SIZE);
    else this.fold(now);
  }

  /** Folds the buffered ids into the sketch for `now`'s day. The buffer is empty afterwards, whatever happens. */
  fold(now: number): void {
    if (this.pendingCount === 0) return;
    const count = this.pendingCount;
    this.pendingCount = 0;
    try {
      const day = Math.floor(now / 86_400_000);
      const days = (this.days ??= new Map());
      let sketch = days.get(day);
      if (!sketch) {
        sketch = new HyperLogLog();
        days.set(day, sketch);
        // Keep a bounded history.
        for (const old of days.keys()) if (old <= day - EXPOSURE_DAYS_KEPT) days.delete(old);
      }
      for (let i = 0; i < count; i++) sketch.add(this.pending[i]!);
    } finally {
      this.pending.fill(undefined as unknown as string, 0, count);
    }
  }

  /** Whether anything was recorded that a flush has not taken yet. */
  get dirty(): boolean {
    return this.pendingCount > 0 || (this.days !== undefined && this.days.size > 0);
  }

  /**
   * Folds the buffer and hands over every day's sketch that changed since the last call: the
   * caller stores them, and gives back with {@link ExposureCounter.restore} any it could not.
   */
  takeUnflushed(now: number): Map<number, HyperLogLog> {
    this.fold(now);
    const days = this.days ?? new Map<number, HyperLogLog>();
    this.days = undefined;
    return days;
  }

  /** Takes back a sketch a flush could not store: merged with whatever arrived meanwhile. */
  restore(day: number, sketch: HyperLogLog): void {
    const days = (this.days ??= new Map());
    const current = days.get(day);
    if (current) current.merge(sketch);
    else days.set(day, sketch);
  }
}

/** Where analytics reads exposure from: the flag repository implements it. */
export interface ExposureSource {
  /** The counters of every flag evaluated with exposure counting on, by key. */
  exposureCounters(): ReadonlyMap<string, ExposureCounter>;
}
