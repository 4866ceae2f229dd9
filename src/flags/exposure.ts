import { HyperLogLog } from '../hyperloglog.js';

/** Ids parked before a fold; the buffer never grows past this. */
export const EXPOSURE_BUFFER_SIZE = 256;
/** Days of distinct-user sketches kept per flag. */
export const EXPOSURE_DAYS_KEPT = 31;

/**
 * Per-flag exposure counters, kept on the flag's snapshot entry so `isEnabled` only bumps a
 * number. Ids that saw the flag on are parked in a fixed buffer and folded into per-day
 * HyperLogLog sketches in batches, off the per-call path.
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
  /** User ids that saw the flag on, waiting to be folded into the sketches. */
  readonly pending: string[] = new Array<string>(EXPOSURE_BUFFER_SIZE);
  /** How many of `pending` are filled. */
  pendingCount = 0;
  /** Distinct exposed users by UTC day number. */
  readonly exposedByDay = new Map<number, HyperLogLog>();

  /** Records an evaluation. Called on the hot path: no allocation unless the buffer fills; never throws for any `userId`. */
  record(enabled: boolean, userId: unknown, now: () => number): void {
    if (!enabled) {
      this.off++;
      return;
    }
    this.on++;
    if (userId === undefined) return;
    if (typeof userId !== 'string' || userId.length === 0) {
      this.invalid++;
      return;
    }
    this.pending[this.pendingCount++] = userId;
    if (this.pendingCount >= EXPOSURE_BUFFER_SIZE) this.fold(now());
  }

  /** Folds the buffered ids into the sketch for `now`'s day. The buffer is empty afterwards, whatever happens. */
  fold(now: number): void {
    if (this.pendingCount === 0) return;
    const count = this.pendingCount;
    this.pendingCount = 0;
    try {
      const day = Math.floor(now / 86_400_000);
      let sketch = this.exposedByDay.get(day);
      if (!sketch) {
        sketch = new HyperLogLog();
        this.exposedByDay.set(day, sketch);
        // Keep a bounded history.
        for (const old of this.exposedByDay.keys()) if (old <= day - EXPOSURE_DAYS_KEPT) this.exposedByDay.delete(old);
      }
      for (let i = 0; i < count; i++) sketch.add(this.pending[i]!);
    } finally {
      this.pending.fill(undefined as unknown as string, 0, count);
    }
  }
}

/** Where analytics reads exposure from: the flag repository implements it. */
export interface ExposureSource {
  /** The counters of every flag in the snapshot, by key. */
  exposureCounters(): ReadonlyMap<string, ExposureCounter>;
}
