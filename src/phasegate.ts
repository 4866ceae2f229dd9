import { z } from 'zod';
import { systemClock, type Clock } from './clock.js';
import { StoreError, ValidationError, toError } from './errors.js';
import { createEventEmitter, type PhasegateEventEmitter } from './events.js';
import { isOnReason, notFoundResult, type CompiledFlag, type EvaluationResult } from './flags/evaluate.js';
import { Flags, parseStoredFlag } from './flags/flags.js';
import { lastReadUserId, readUserId } from './flags/context.js';
import { flagSchema, type EvaluationContext, type Flag } from './flags/model.js';
import { FlagSnapshot } from './flags/snapshot.js';
import { Releases } from './releases/releases.js';
import { EarlyAccess } from './early-access/early-access.js';
import { Analytics, type AnalyticsOptions, type GuardAction } from './analytics/analytics.js';
import type { TickResult } from './releases/releases.js';
import { iterateRecords } from './storage/records.js';
import { Collections, type Store, type StoreEvent, type StoredRecord } from './storage/store.js';
import { assertNoPollutingKeys, parseWith } from './validation.js';

/** A serialisable copy of a client's flags, for starting offline (`bootstrap`). */
export interface FlagSnapshotData {
  readonly flags: readonly Flag[];
}

const snapshotDataSchema = z.strictObject({ flags: z.array(flagSchema) });

/** Options for {@link createPhasegate}. */
export interface PhasegateOptions {
  /** Where flags (and everything else) live. */
  readonly store: Store;
  /** Time source; inject a `ManualClock` to simulate. Default: the system clock. */
  readonly clock?: Clock;
  /** The host's event emitter, to wire phasegate into the app. Default: a new one (`gate.events`). */
  readonly events?: PhasegateEventEmitter;
  /** Windows and sample sizes for analytics. */
  readonly analytics?: AnalyticsOptions;
  /**
   * Count evaluations per flag and outcome, and distinct exposed users per day, for adoption
   * analytics (default `true`). Costs a counter increment per `isEnabled`.
   */
  readonly trackExposure?: boolean;
  /**
   * Start from this snapshot and resolve at once, loading from the store in the background
   * (`gate.ready` settles when that load finishes). Lets an app answer before its store does.
   */
  readonly bootstrap?: FlagSnapshotData;
}

/**
 * The flag client: an in-memory snapshot of every flag, kept in step with the store,
 * answered synchronously. Create it with {@link createPhasegate}.
 */
export class Phasegate {
  /** Create, change and read flags. */
  readonly flags: Flags;
  /** Semver releases rolled out in phases. */
  readonly releases: Releases;
  /** The early-access program. */
  readonly earlyAccess: EarlyAccess;
  /** Metrics, alerts, health, adoption, guarded rollouts and reports. */
  readonly analytics: Analytics;
  /** The event emitter every module reports through. */
  readonly events: PhasegateEventEmitter;
  /** The clock every decision and timestamp uses. */
  readonly clock: Clock;
  /** The store behind this client. */
  readonly store: Store;
  /** Settles when the first full load from the store has finished. */
  readonly ready: Promise<void>;

  private readonly snapshot = new FlagSnapshot();
  private readonly overrides = new Map<string, boolean>();
  /** Mirrors `overrides.size !== 0` as a plain field: `Map#size` is an accessor call on the hot path. */
  private hasOverrides = false;
  private readonly warnedDeprecated = new Set<string>();
  private readonly unsubscribe: () => void;
  /** Keys this client is writing; their notifications wait, so our own write is reported as local. */
  private readonly writesInFlight = new Map<string, number>();
  private readonly deferredChanges = new Set<string>();
  private storeAvailable = true;
  private readonly trackExposure: boolean;
  private readonly now = (): number => this.clock.now();
  private closed = false;

  /** @internal Use {@link createPhasegate}. */
  constructor(options: PhasegateOptions) {
    if (!options || typeof options.store?.get !== 'function') {
      throw ValidationError.because('createPhasegate: options.store must be a Store (for example new MemoryStore())', 'store');
    }
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.events = options.events ?? createEventEmitter();
    this.trackExposure = options.trackExposure ?? true;
    this.flags = new Flags(this.store, this.clock, this.snapshot, {
      begin: (key) => this.writesInFlight.set(key, (this.writesInFlight.get(key) ?? 0) + 1),
      commit: (key, record) => this.applyRecord(key, record, 'local'),
      end: (key) => {
        const left = (this.writesInFlight.get(key) ?? 1) - 1;
        if (left > 0) return void this.writesInFlight.set(key, left);
        this.writesInFlight.delete(key);
        // Catch up on anything that changed while our own write was in flight.
        if (this.deferredChanges.delete(key)) this.syncKey(key);
      },
    });
    this.releases = new Releases(this.store, this.clock, this.events, this.flags);
    this.earlyAccess = new EarlyAccess(this.store, this.clock, this.events, this.flags);
    this.analytics = new Analytics(this.store, this.clock, this.events, this.releases, this.flags, () => this.exposureCounters(), options.analytics);
    if (options.bootstrap) {
      const data = parseWith(snapshotDataSchema, options.bootstrap, 'bootstrap snapshot');
      for (const flag of data.flags) this.snapshot.apply(flag.key, 0, flag);
    }
    // Subscribe before loading so no change can slip between the two.
    this.unsubscribe = this.store.subscribe((event) => this.onStoreEvent(event));
    this.ready = this.load();
    // `ready` is informational when bootstrapped; never let it crash the process unobserved.
    this.ready.catch(() => {});
  }

  /**
   * Whether `flagKey` is on for `context`. Synchronous, allocation-free for ASCII ids,
   * and never throws: on any error it returns `false` and emits `evaluation:error`.
   *
   * @example
   * ```ts
   * if (gate.isEnabled('new-checkout', { userId: req.user.id })) renderNewCheckout();
   * ```
   */
  isEnabled(flagKey: string, context?: EvaluationContext): boolean {
    try {
      if (this.hasOverrides) {
        const forced = this.overrides.get(flagKey);
        if (forced !== undefined) return forced;
      }
      const entry = this.snapshot.entry(flagKey);
      if (entry === undefined) return false;
      const quick = entry.compiled.quick(context, this.clock);
      // Rare cases (deprecated, beta, ramps, malformed contexts) take the explained path.
      const enabled = quick >= 0 ? quick === 1 : this.decideAndReport(entry.compiled, flagKey, context);
      if (this.trackExposure) {
        // Read the id once, defensively: the context may be a Proxy or have throwing getters.
        readUserId(context);
        entry.exposure.record(enabled, lastReadUserId() as string | undefined, this.now);
      }
      return enabled;
    } catch (error) {
      this.reportError(flagKey, error);
      return false;
    }
  }

  private decideAndReport(compiled: CompiledFlag, flagKey: string, context: EvaluationContext | undefined): boolean {
    const reason = compiled.decide(context, this.clock);
    if (reason === 'DEPRECATED' || reason === 'INVALID_CONTEXT') this.report(flagKey, reason);
    return isOnReason(reason);
  }

  /**
   * The explainable answer: `enabled`, `reason`, and the bucket and threshold when
   * bucketing decided. Synchronous and never throws (reason `ERROR` on failure).
   */
  evaluate(flagKey: string, context?: EvaluationContext): EvaluationResult {
    try {
      const forced = this.overrides.get(flagKey);
      if (forced !== undefined) return { flagKey, enabled: forced, reason: forced ? 'OVERRIDE_ON' : 'OVERRIDE_OFF' };
      const entry = this.snapshot.entry(flagKey);
      if (entry === undefined) return notFoundResult(flagKey);
      const result = entry.compiled.evaluate(context, this.clock);
      if (result.reason === 'DEPRECATED' || result.reason === 'INVALID_CONTEXT') this.report(flagKey, result.reason);
      if (this.trackExposure) {
        readUserId(context);
        entry.exposure.record(result.enabled, lastReadUserId() as string | undefined, this.now);
      }
      return result;
    } catch (error) {
      this.reportError(flagKey, error);
      return { flagKey, enabled: false, reason: 'ERROR', errorMessage: toError(error).message };
    }
  }

  /** The keys of every flag that is on for `context`, sorted. */
  enabledFlags(context?: EvaluationContext): string[] {
    const keys = new Set<string>([...this.snapshot.keys(), ...this.overrides.keys()]);
    return [...keys].filter((key) => this.isEnabled(key, context)).sort();
  }

  /** @internal Exposure counters by flag key, for the analytics module. */
  exposureCounters(): Map<string, import('./analytics/exposure.js').ExposureCounter> {
    const counters = new Map<string, import('./analytics/exposure.js').ExposureCounter>();
    for (const [key, entry] of this.snapshot.allEntries()) counters.set(key, entry.exposure);
    return counters;
  }

  /**
   * One scheduling step: guards every active release against its metrics (holding or rolling
   * back), then moves phases along (`releases.tick()`), then folds exposure data into the store.
   * Run it from your scheduler, e.g. every minute.
   */
  async tick(): Promise<TickResult & { guarded: readonly GuardAction[] }> {
    const guarded = await this.analytics.checkReleases();
    const moved = await this.releases.tick();
    await this.analytics.flush();
    return { ...moved, guarded };
  }

  /** Every flag in this client's snapshot, sorted by key. */
  allFlags(): Flag[] {
    return this.snapshot.flags();
  }

  /** A copy of the snapshot, to pass as `bootstrap` to another client or save for offline start. */
  snapshotData(): FlagSnapshotData {
    return { flags: this.snapshot.flags() };
  }

  /**
   * Forces a flag on or off in this client only (no store write); `undefined` removes the
   * override. For tests and local debugging. Works for flags that do not exist too.
   */
  override(flagKey: string, enabled: boolean | undefined): void {
    if (enabled === undefined) this.overrides.delete(flagKey);
    else this.overrides.set(flagKey, enabled);
    this.hasOverrides = this.overrides.size !== 0;
  }

  /** Removes every override. */
  clearOverrides(): void {
    this.overrides.clear();
    this.hasOverrides = false;
  }

  /** Whether the store is currently reachable (as far as this client knows). */
  get storeIsAvailable(): boolean {
    return this.storeAvailable;
  }

  /** Stops following the store and closes it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.detach();
    await this.store.close();
  }

  /** @internal Stops following the store without closing it (the store stays the caller's). */
  detach(): void {
    this.closed = true;
    this.unsubscribe();
  }

  private async load(): Promise<void> {
    const seen = new Set<string>();
    try {
      // Only list once notifications flow, so a write between the two cannot be missed.
      await this.store.subscribed?.();
      for await (const record of iterateRecords(this.store, Collections.flags)) {
        const flag = parseStoredFlag(record, this.store.name);
        seen.add(flag.key);
        this.applyRecord(record.key, { ...record, value: flag }, 'remote');
      }
    } catch (error) {
      const wrapped =
        error instanceof ValidationError || error instanceof StoreError
          ? error
          : new StoreError(`Could not load flags from store ${this.store.name}: ${toError(error).message}`, { cause: error });
      this.emitStoreError('load', wrapped);
      throw wrapped;
    }
    for (const key of [...this.snapshot.keys()]) {
      if (!seen.has(key)) this.applyRecord(key, undefined, 'remote');
    }
  }

  private applyRecord(key: string, record: StoredRecord<Flag> | undefined, source: 'local' | 'remote'): void {
    const applied = this.snapshot.apply(key, record?.version ?? 0, record?.value);
    if (!applied.changed) return;
    if (record === undefined || applied.previous?.state !== record.value.state) this.warnedDeprecated.delete(key);
    this.events.emit('flag:changed', { key, flag: record?.value, previous: applied.previous, source });
  }

  private onStoreEvent(event: StoreEvent): void {
    if (this.closed) return;
    if (event.type === 'status') {
      if (!event.available && this.storeAvailable) {
        this.storeAvailable = false;
        this.events.emit('store:unavailable', event.error ? { error: event.error } : {});
      } else if (event.available && !this.storeAvailable) {
        this.storeAvailable = true;
        this.load().then(
          () => this.events.emit('store:available'),
          () => {},
        );
      }
      return;
    }
    if (event.collection !== Collections.flags) return;
    if (this.writesInFlight.has(event.key)) {
      this.deferredChanges.add(event.key);
      return;
    }
    if (event.version !== 0 && event.version <= this.snapshot.version(event.key)) return;
    if (event.version === 0) {
      this.applyRecord(event.key, undefined, 'remote');
      return;
    }
    this.syncKey(event.key);
  }

  /** Re-reads one flag from the store and applies it if it moved on. */
  private syncKey(key: string): void {
    this.store
      .get(Collections.flags, key)
      .then((record) => {
        if (this.closed) return;
        if (!record) return this.applyRecord(key, undefined, 'remote');
        this.applyRecord(key, { ...record, value: parseStoredFlag(record, this.store.name) }, 'remote');
      })
      .catch((error: unknown) => this.emitStoreError('sync', toError(error)));
  }

  private report(flagKey: string, reason: 'DEPRECATED' | 'INVALID_CONTEXT'): void {
    if (reason === 'DEPRECATED') {
      if (this.warnedDeprecated.has(flagKey)) return;
      this.warnedDeprecated.add(flagKey);
      this.events.emit('flag:deprecated', { flagKey });
    } else {
      this.events.emit('evaluation:error', {
        flagKey,
        error: new ValidationError('evaluation context', [{ path: 'context', message: 'userId and ring must be strings' }]),
      });
    }
  }

  private reportError(flagKey: string, error: unknown): void {
    try {
      this.events.emit('evaluation:error', { flagKey, error: toError(error) });
    } catch {
      // A throwing listener must not turn a safe default into an exception.
    }
  }

  private emitStoreError(operation: string, error: Error): void {
    try {
      this.events.emit('store:error', { operation, error });
    } catch {
      // Listener failures stay with the listener.
    }
  }
}

/**
 * Creates a flag client on `store` and resolves once its flags are loaded (or at once,
 * when a `bootstrap` snapshot is given). A store that fails to load rejects with a clear
 * error rather than leaving an empty flag set.
 *
 * @example
 * ```ts
 * const gate = await createPhasegate({ store: new MemoryStore() });
 * await gate.flags.create({ key: 'new-checkout', state: 'rollout',
 *   strategy: { type: 'percentage', percentage: 12.5 } });
 * gate.isEnabled('new-checkout', { userId: 'u-42' });
 * ```
 */
export async function createPhasegate(options: PhasegateOptions): Promise<Phasegate> {
  const gate = new Phasegate(options);
  if (!options.bootstrap) {
    try {
      await gate.ready;
    } catch (error) {
      gate.detach();
      throw error;
    }
  }
  return gate;
}

/** Validates a snapshot read from outside (a file, an env var) before using it as `bootstrap`. */
export function parseSnapshotData(input: unknown): FlagSnapshotData {
  assertNoPollutingKeys(input, 'bootstrap snapshot');
  return parseWith(snapshotDataSchema, input, 'bootstrap snapshot');
}
