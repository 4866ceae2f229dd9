import { ExposureCounter } from './exposure.js';
import { CompiledFlag } from './evaluate.js';
import { FLAG_STATES, type Flag, type FlagState } from './model.js';

/** What the snapshot holds per flag: the compiled flag and its exposure counters. */
export interface SnapshotEntry {
  readonly version: number;
  readonly compiled: CompiledFlag;
  /** Survives updates of the flag; dropped when the flag is deleted. */
  readonly exposure: ExposureCounter;
  /** Whether `flag:deprecated` was reported for this flag; survives updates that keep the state. */
  deprecationReported: boolean;
}

/** Counts of flags by state. */
export interface FlagStats {
  readonly total: number;
  readonly byState: Readonly<Record<FlagState, number>>;
}

/** What changed when a record was applied to the snapshot. */
export interface AppliedChange {
  readonly changed: boolean;
  readonly previous: Flag | undefined;
}

/**
 * The in-memory copy of every flag that `isEnabled` reads. It only moves forward:
 * a record older than what it holds is ignored, so notifications and local writes
 * can arrive in any order.
 */
export class FlagSnapshot {
  private readonly entries = new Map<string, SnapshotEntry>();

  /** The entry for `key`, if present. The hot path. */
  entry(key: string): SnapshotEntry | undefined {
    return this.entries.get(key);
  }

  /** The compiled flag for `key`, if present. */
  compiled(key: string): CompiledFlag | undefined {
    return this.entries.get(key)?.compiled;
  }

  /** Every entry held. */
  allEntries(): IterableIterator<[string, SnapshotEntry]> {
    return this.entries.entries();
  }

  /** The store version held for `key` (0 when absent). */
  version(key: string): number {
    return this.entries.get(key)?.version ?? 0;
  }

  /**
   * Applies a stored version of a flag, or its deletion (`flag` undefined). By default older
   * versions are ignored, so notifications and local writes can arrive in any order; `replace`
   * applies it whatever the version (a full resync, or a write the store just confirmed: versions
   * restart at 1 after a delete, so "lower" can be newer).
   */
  apply(key: string, version: number, flag: Flag | undefined, replace = false): AppliedChange {
    const current = this.entries.get(key);
    const previous = current?.compiled.flag;
    if (flag === undefined) {
      if (!current) return { changed: false, previous };
      this.entries.delete(key);
      return { changed: true, previous };
    }
    if (current && !replace && version !== 0 && current.version !== 0 && version <= current.version) return { changed: false, previous };
    if (current && current.version === version && version !== 0 && current.compiled.flag.updatedAt === flag.updatedAt && current.compiled.flag.createdAt === flag.createdAt) {
      return { changed: false, previous };
    }
    this.entries.set(key, {
      version,
      compiled: new CompiledFlag(flag),
      exposure: current?.exposure ?? new ExposureCounter(),
      deprecationReported: current !== undefined && current.deprecationReported && previous?.state === flag.state,
    });
    return { changed: true, previous };
  }

  /** Every flag held, sorted by key. */
  flags(): Flag[] {
    return [...this.entries.values()].map((entry) => entry.compiled.flag).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Every key held. */
  keys(): IterableIterator<string> {
    return this.entries.keys();
  }

  /** Every compiled flag held. */
  compiledFlags(): IterableIterator<CompiledFlag> {
    const values = this.entries.values();
    return (function* () {
      for (const entry of values) yield entry.compiled;
    })();
  }

  /** Number of flags held. */
  get size(): number {
    return this.entries.size;
  }

  /** Counts by state. */
  stats(): FlagStats {
    const byState = Object.fromEntries(FLAG_STATES.map((state) => [state, 0])) as Record<FlagState, number>;
    for (const entry of this.entries.values()) byState[entry.compiled.flag.state]++;
    return { total: this.entries.size, byState };
  }
}
