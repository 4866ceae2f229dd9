import { HyperLogLog } from './hyperloglog.js';

const PENDING = 256;

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
  /** User ids that saw the flag on, waiting to be folded into the sketches. */
  readonly pending: string[] = new Array<string>(PENDING);
  pendingCount = 0;
  /** Distinct exposed users by UTC day number. */
  readonly exposedByDay = new Map<number, HyperLogLog>();

  /** Records an evaluation. Called on the hot path: no allocation unless the buffer fills. */
  record(enabled: boolean, userId: string | undefined, now: () => number): void {
    if (!enabled) {
      this.off++;
      return;
    }
    this.on++;
    if (userId === undefined) return;
    this.pending[this.pendingCount++] = userId;
    if (this.pendingCount === PENDING) this.fold(now());
  }

  /** Folds the buffered ids into the sketch for `now`'s day. */
  fold(now: number): void {
    if (this.pendingCount === 0) return;
    const day = Math.floor(now / 86_400_000);
    let sketch = this.exposedByDay.get(day);
    if (!sketch) {
      sketch = new HyperLogLog();
      this.exposedByDay.set(day, sketch);
      // Keep a bounded history: the last 31 days.
      for (const old of this.exposedByDay.keys()) if (old < day - 30) this.exposedByDay.delete(old);
    }
    for (let i = 0; i < this.pendingCount; i++) sketch.add(this.pending[i]!);
    this.pending.fill(undefined as unknown as string, 0, this.pendingCount);
    this.pendingCount = 0;
  }
}
