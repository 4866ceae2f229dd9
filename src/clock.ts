/**
 * Time is injected everywhere so that rollouts can be simulated and tested:
 * nothing in phasegate reads the system clock except {@link systemClock}.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** The real wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to: for tests, simulations and demos. */
export class ManualClock implements Clock {
  private current: number;

  /** @param start epoch milliseconds to start at (default: 2026-01-01T00:00:00Z, so runs are reproducible). */
  constructor(start: number = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  /** Moves the clock forward by `ms` milliseconds (negative values are rejected). */
  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`ManualClock.advance: ms must be a finite number >= 0, got ${ms}`);
    this.current += ms;
    return this.current;
  }

  /** Sets the clock to `epochMs`; it may not move backwards. */
  set(epochMs: number): void {
    if (!Number.isFinite(epochMs) || epochMs < this.current) {
      throw new RangeError(`ManualClock.set: time may not move backwards (now ${this.current}, got ${epochMs})`);
    }
    this.current = epochMs;
  }
}

/** Handy durations in milliseconds. */
export const Duration = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
} as const;
