import type { Clock } from '../clock.js';
import { ExposureCounter } from './exposure.js';
import { CompiledFlag } from './evaluate.js';
import { FLAG_STATES, type EvaluationContext, type Flag, type FlagState } from './model.js';
import type { Segment } from './segments.js';
import type { TargetingEnvironment } from './targeting.js';

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
export class FlagSnapshot implements TargetingEnvironment {
  private readonly entries = new Map<string, SnapshotEntry>();
  private readonly segments = new Map<string, { readonly version: number; readonly segment: Segment }>();

  /** The segment `key` as this snapshot holds it (rules read it when compiled). */
  segment(key: string): Segment | undefined {
    return this.segments.get(key)?.segment;
  }

  /** For prerequisites: 1 when flag `key` is on for `context`, 0 when off, -1 when absent. */
  flagState(key: string, context: EvaluationContext | undefined, clock: Clock): number {
    const entry = this.entries.get(key);
    if (entry === undefined) return -1;
    return entry.compiled.isEnabled(context, clock) ? 1 : 0;
  }

  /** The store version held for segment `key` (0 when absent). */
  segmentVersion(key: string): number {
    return this.segments.get(key)?.version ?? 0;
  }

  /** Every segment held, sorted by key. */
  segmentList(): Segment[] {
    return [...this.segments.values()].map((held) => held.segment).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /**
   * Applies a stored version of a segment, or its deletion, and recompiles every flag whose
   * rules name it, so the change reaches them at once. Older versions are ignored unless
   * `replace` (a full resync: the store is the truth); the same version and timestamps is no change.
   * Returns whether it changed and the keys of the flags recompiled.
   */
  applySegment(key: string, version: number, segment: Segment | undefined, replace = false): { readonly changed: boolean; readonly previous: Segment | undefined; readonly flags: readonly string[] } {
    const current = this.segments.get(key);
    const previous = current?.segment;
    if (segment === undefined) {
      if (!current) return { changed: false, previous, flags: [] };
      this.segments.delete(key);
    } else {
      if (current && !replace && version !== 0 && current.version !== 0 && version <= current.version) return { changed: false, previous, flags: [] };
      if (current && current.version === version && version !== 0 && current.segment.updatedAt === segment.updatedAt && current.segment.createdAt === segment.createdAt) {
        return { changed: false, previous, flags: [] };
      }
      this.segments.set(key, { version, segment });
    }
    const flags: string[] = [];
    for (const [flagKey, entry] of this.entries) {
      if (!entry.compiled.targeting?.rules.segmentKeys.has(key)) continue;
      this.entries.set(flagKey, { ...entry, compiled: new CompiledFlag(entry.compiled.flag, this) });
      flags.push(flagKey);
    }
    return { changed: true, previous, flags: flags.sort() };
  }

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
      compiled: new CompiledFlag(flag, this),
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
