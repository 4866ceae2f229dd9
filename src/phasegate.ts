import { z } from 'zod';
import { systemClock, type Clock } from './clock.js';
import { TypeMismatchError, ValidationError, toError } from './errors.js';
import { eventPort } from './event-port.js';
import { createEventEmitter, type PhasegateEventEmitter } from './events.js';
import { lastReadUserId, readUserId } from './flags/context.js';
import { isOnReason, notFoundResult, type EvaluationErrorCode, type EvaluationResult } from './flags/evaluate.js';
import type { FallbackFor, FlagKey, ValueLike, ValueOf, VariantAnswer } from './flags/typed-keys.js';
import { valueTypeOf, type FlagValue, type ValueType } from './flags/variants.js';
import type { FlagEvents } from './flags/events.js';
import type { ExposureCounter } from './flags/exposure.js';
import { Flags } from './flags/flags.js';
import { flagSchema, type EvaluationContext, type Flag } from './flags/model.js';
import { FlagRepository } from './flags/repository.js';
import { Segments, segmentSchema, type Segment } from './flags/segments.js';
import type { SnapshotEntry } from './flags/snapshot.js';
import { Releases, exposureOf } from './releases/releases.js';
import type { Release } from './releases/model.js';
import { currentPhase, isActive } from './releases/transitions.js';
import type { ReleaseControl } from './analytics/ports.js';
import type { ReleaseEvents } from './releases/events.js';
import { EarlyAccess } from './early-access/early-access.js';
import type { EarlyAccessEvents } from './early-access/events.js';
import { Analytics, type AnalyticsOptions, type GuardAction } from './analytics/analytics.js';
import type { AnalyticsEvents } from './analytics/events.js';
import type { DeliveryReport } from './analytics/notifications.js';
import type { TickResult } from './releases/releases.js';
import { Collections, type Store } from './storage/store.js';
import { validatingStore, type RecordValidator } from './storage/validated-store.js';
import { parseStoredRelease, parseStoredReleaseMeta } from './releases/stored.js';
import { parseStoredEmailIndex, parseStoredFeature, parseStoredFeedback, parseStoredMember } from './early-access/stored.js';
import { parseStoredAlert, parseStoredMetricRecord } from './analytics/stored.js';
import { AuditLog, type AuditRetention } from './audit/audit-log.js';
import { AuditedStore } from './audit/audited-store.js';
import { auditMethods, EARLY_ACCESS_WRITES, FLAG_WRITES, RELEASE_WRITES } from './audit/wiring.js';
import { assertNoPollutingKeys, parseWith } from './validation.js';

/** `gate.evaluate` with a fallback: the full result, with `value` typed by the fallback (the fallback itself on any error). */
export type ValueDetails<V> = EvaluationResult & { readonly value: V };

/** A serialisable copy of a client's flags, for starting offline (`bootstrap`). */
export interface FlagSnapshotData {
  readonly flags: readonly Flag[];
  /** The segments the flags' rules name (absent in snapshots taken before segments existed). */
  readonly segments?: readonly Segment[];
}

const snapshotDataSchema = z.strictObject({ flags: z.array(flagSchema), segments: z.array(segmentSchema).optional() });

/** Every domain collection and the validator of its records (flags are validated by the repository). */
const RECORD_VALIDATORS: ReadonlyMap<string, RecordValidator> = new Map<string, RecordValidator>([
  [Collections.releases, parseStoredRelease],
  [Collections.meta, parseStoredReleaseMeta],
  [Collections.earlyAccessUsers, parseStoredMember],
  [Collections.earlyAccessFeatures, parseStoredFeature],
  [Collections.earlyAccessFeedback, parseStoredFeedback],
  [Collections.earlyAccessEmails, parseStoredEmailIndex],
  [Collections.metrics, parseStoredMetricRecord],
  [Collections.alerts, parseStoredAlert],
]);

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
  /**
   * Every client re-reads all flags from the store this often (ms, ±20% jitter), so a missed
   * notification (a dropped pub/sub or LISTEN connection) heals by itself. Default 30,000;
   * `0` disables. Store `status` events still trigger an immediate resync.
   */
  readonly resyncIntervalMs?: number;
  /** Who writes when a write names nobody (`{ by }`): recorded in histories and the audit log. Default `api`. */
  readonly actor?: string;
  /** Retention of the audit log (`gate.audit`), or `false` to record no audit entries. Default: 90 days, 10,000 entries. */
  readonly audit?: AuditRetention | false;
}

/**
 * The flag client: an in-memory snapshot of every flag, kept in step with the store,
 * answered synchronously. Create it with {@link createPhasegate}.
 */
export class Phasegate {
  /** Create, change and read flags. */
  readonly flags: Flags;
  /** Named condition lists that flag rules share. */
  readonly segments: Segments;
  /** Semver releases rolled out in phases. */
  readonly releases: Releases;
  /** The early-access program. */
  readonly earlyAccess: EarlyAccess;
  /** Metrics, alerts, health, adoption, guarded rollouts and reports. */
  readonly analytics: Analytics;
  /** Who changed what, when and why: every write of every module (see docs/console.md). */
  readonly audit: AuditLog;
  /** The event emitter every module reports through. */
  readonly events: PhasegateEventEmitter;
  /** The clock every decision and timestamp uses. */
  readonly clock: Clock;
  /** The store behind this client. */
  readonly store: Store;
  /** Settles when the first full load from the store has finished. */
  readonly ready: Promise<void>;

  private readonly repository: FlagRepository;
  private readonly flagEvents: ReturnType<typeof eventPort<FlagEvents>>;
  private readonly overrides = new Map<string, boolean>();
  /** Mirrors `overrides.size !== 0` as a plain field: `Map#size` is an accessor call on the hot path. */
  private hasOverrides = false;
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
    const bootstrapData = options.bootstrap ? parseWith(snapshotDataSchema, options.bootstrap, 'bootstrap snapshot') : undefined;
    const bootstrap = bootstrapData?.flags;
    // Each module gets a port for its own events only; every emit is isolated from listeners.
    this.flagEvents = eventPort<FlagEvents>(this.events);
    this.audit = new AuditLog(this.store, this.clock, options.audit || {});
    const actor = typeof options.actor === 'string' && options.actor.trim() !== '' ? options.actor.trim() : 'api';
    // Every module writes through the audited store (who, why and what changed, see src/audit);
    // the repository follows the plain one. An audit failure is reported, never a failed write.
    const writes =
      options.audit === false
        ? this.store
        : new AuditedStore(this.store, this.audit, () => actor, (error) => this.flagEvents.emit('store:error', { operation: 'audit', error }));
    this.repository = new FlagRepository({
      store: this.store,
      events: this.flagEvents,
      ...(options.resyncIntervalMs !== undefined ? { resyncIntervalMs: options.resyncIntervalMs } : {}),
      ...(bootstrap ? { bootstrap } : {}),
      ...(bootstrapData?.segments ? { bootstrapSegments: bootstrapData.segments } : {}),
    });
    this.flags = new Flags(writes, this.clock, this.repository);
    this.segments = new Segments(writes, this.clock, this.repository.segmentWrites);
    // Domains read through a view that validates every record of their collections.
    const domainStore = validatingStore(writes, RECORD_VALIDATORS);
    this.releases = new Releases(domainStore, this.clock, eventPort<ReleaseEvents>(this.events), this.flags);
    this.earlyAccess = new EarlyAccess(domainStore, this.clock, eventPort<EarlyAccessEvents>(this.events), this.flags);
    this.analytics = new Analytics(domainStore, this.clock, eventPort<AnalyticsEvents>(this.events), releaseControl(this.releases), this.flags, {
      exposureCounters: () => this.repository.exposureCounters(),
      isOn: (flagKey, userId) => this.isOnWithoutExposure(flagKey, userId),
    }, options.analytics);
    auditMethods(this.flags, FLAG_WRITES, () => actor);
    auditMethods(this.releases, RELEASE_WRITES, () => actor);
    auditMethods(this.earlyAccess, EARLY_ACCESS_WRITES, () => actor);
    this.ready = this.repository.start();
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
      const entry = this.repository.entry(flagKey);
      if (entry === undefined) return false;
      const quick = entry.compiled.quick(context, this.clock);
      // Rare cases (deprecated, beta, ramps, malformed contexts) take the explained path.
      const enabled = quick >= 0 ? quick === 1 : this.decideAndReport(entry, flagKey, context);
      if (this.trackExposure) {
        // Read the id once, defensively: the context may be a Proxy or have throwing getters.
        readUserId(context);
        entry.exposure.record(enabled, lastReadUserId(), this.now);
      }
      return enabled;
    } catch (error) {
      this.reportError(flagKey, error);
      return false;
    }
  }

  private decideAndReport(entry: SnapshotEntry, flagKey: string, context: EvaluationContext | undefined): boolean {
    const reason = entry.compiled.decide(context, this.clock);
    if (reason === 'DEPRECATED' || reason === 'INVALID_CONTEXT') this.report(entry, flagKey, reason);
    return entry.compiled.enabledFor(reason);
  }

  /**
   * The value flag `flagKey` serves `context`, typed by `fallback`: the variant's value, or
   * `fallback` when the flag does not exist, evaluation fails, or the flag's values are not of
   * the fallback's type (`TYPE_MISMATCH`, reported as `evaluation:error`). Synchronous, never
   * throws, and allocation-free on the common paths. Counts an exposure like `isEnabled`.
   *
   * @example
   * ```ts
   * const theme = gate.getValue('checkout-theme', { userId: 'u-42' }, 'blue'); // string
   * ```
   */
  getValue<K extends FlagKey, T extends FallbackFor<K>>(flagKey: K, context: EvaluationContext | undefined, fallback: T): ValueLike<T> {
    try {
      if (this.hasOverrides && typeof fallback === 'boolean') {
        const forced = this.overrides.get(flagKey);
        if (forced !== undefined) return forced as ValueLike<T>;
      }
      const entry = this.repository.entry(flagKey);
      if (entry === undefined) return fallback as ValueLike<T>;
      const compiled = entry.compiled;
      const variants = compiled.variants;
      if (variants.valueType !== valueTypeOf(fallback)) {
        this.reportMismatch(flagKey, variants.valueType, fallback);
        return fallback as ValueLike<T>;
      }
      let answer = compiled.quickVariant(context, this.clock);
      if (answer < 0) answer = this.variantAndReport(entry, flagKey, context);
      if (this.trackExposure) {
        readUserId(context);
        entry.exposure.record((answer & 1) === 1, lastReadUserId(), this.now);
      }
      return answer < 0 ? (fallback as ValueLike<T>) : (variants.values[answer >> 1] as ValueLike<T>);
    } catch (error) {
      this.reportError(flagKey, error);
      return fallback as ValueLike<T>;
    }
  }

  /**
   * The variant flag `flagKey` serves `context`: its name and value (`on`/`off` and
   * `true`/`false` for a boolean flag without declared variants), or `undefined` when the flag
   * does not exist or evaluation fails. Synchronous, never throws; counts an exposure.
   *
   * @example
   * ```ts
   * const served = gate.variant('checkout-theme', { userId: 'u-42' }); // { name: 'red', value: '#f00' }
   * ```
   */
  variant<K extends FlagKey>(flagKey: K, context?: EvaluationContext): VariantAnswer<ValueOf<K>> | undefined {
    try {
      const entry = this.repository.entry(flagKey);
      if (entry === undefined) return undefined;
      const compiled = entry.compiled;
      let answer = compiled.quickVariant(context, this.clock);
      if (answer < 0) answer = this.variantAndReport(entry, flagKey, context);
      if (this.trackExposure) {
        readUserId(context);
        entry.exposure.record(answer >= 0 && (answer & 1) === 1, lastReadUserId(), this.now);
      }
      if (answer < 0) return undefined;
      const index = answer >> 1;
      return { name: compiled.variants.names[index]!, value: compiled.variants.values[index] as ValueOf<K> };
    } catch (error) {
      this.reportError(flagKey, error);
      return undefined;
    }
  }

  /**
   * Every flag's value for one user, by key, for bootstrapping a front end: one pass over the
   * snapshot, cheaper than asking flag by flag. Flags whose evaluation fails (no user id for a
   * split, a malformed context) are left out, so the front end uses its own fallbacks for them.
   * Overrides apply to boolean flags. A null-prototype object, ready for `JSON.stringify`.
   * Counts an exposure per flag served.
   *
   * @example
   * ```ts
   * const values = gate.allValues({ userId: 'u-42' }); // { 'checkout-theme': '#f00', 'new-checkout': true }
   * ```
   */
  allValues(context?: EvaluationContext): Record<string, FlagValue> {
    const values = Object.create(null) as Record<string, FlagValue>;
    const track = this.trackExposure;
    let userId: unknown;
    if (track) {
      readUserId(context);
      userId = lastReadUserId();
    }
    for (const [flagKey, entry] of this.repository.allEntries()) {
      try {
        const compiled = entry.compiled;
        let answer = compiled.quickVariant(context, this.clock);
        if (answer < 0) answer = this.variantAndReport(entry, flagKey, context);
        if (answer < 0) continue;
        if (track) entry.exposure.record((answer & 1) === 1, userId, this.now);
        values[flagKey] = compiled.variants.values[answer >> 1]!;
      } catch (error) {
        this.reportError(flagKey, error);
      }
    }
    if (this.hasOverrides) {
      for (const [flagKey, forced] of this.overrides) {
        const entry = this.repository.entry(flagKey);
        if (entry === undefined || entry.compiled.variants.valueType === 'boolean') values[flagKey] = forced;
      }
    }
    return values;
  }

  /** The slow path of a variant: decides, reports deprecation and bad contexts, and returns `(index << 1) | on`, or -1 for an error. */
  private variantAndReport(entry: SnapshotEntry, flagKey: string, context: EvaluationContext | undefined): number {
    const compiled = entry.compiled;
    const reason = compiled.decide(context, this.clock);
    if (reason === 'DEPRECATED' || reason === 'INVALID_CONTEXT') this.report(entry, flagKey, reason);
    const index = compiled.variantOf(reason);
    return index < 0 ? -1 : (index << 1) | (isOnReason(reason) ? 1 : 0);
  }

  private reportMismatch(flagKey: string, valueType: ValueType, fallback: unknown): TypeMismatchError {
    const error = new TypeMismatchError(flagKey, valueType, valueTypeOf(fallback) ?? typeof fallback);
    this.flagEvents.emit('evaluation:error', { flagKey, error });
    return error;
  }

  /**
   * The explainable answer: `enabled`, `reason`, the variant and value served with how they were
   * chosen (`variantReason`), and the bucket and threshold when bucketing decided. With a
   * `fallback`, `value` is typed by it and is the fallback whenever no value can be served (no
   * such flag, an error, a fallback of another type: `errorCode` says which). Synchronous and
   * never throws (reason `ERROR` on failure).
   *
   * @example
   * ```ts
   * const details = gate.evaluate('checkout-theme', { userId: 'u-42' }, 'blue');
   * details.value;         // '#f00'
   * details.variant;       // 'red'
   * details.variantReason; // 'SPLIT'
   * ```
   */
  evaluate(flagKey: string, context?: EvaluationContext): EvaluationResult;
  evaluate<K extends FlagKey, T extends FallbackFor<K>>(flagKey: K, context: EvaluationContext | undefined, fallback: T): ValueDetails<ValueLike<T>>;
  evaluate(flagKey: string, context?: EvaluationContext, ...rest: [] | [unknown]): EvaluationResult {
    const withFallback = rest.length > 0;
    const fallback = rest[0];
    const failed = (result: EvaluationResult, errorCode: EvaluationErrorCode, errorMessage?: string): EvaluationResult => {
      if (!withFallback) return result;
      const { variant: _variant, value: _value, ...rest } = result;
      return { ...rest, value: fallback as FlagValue, variantReason: 'ERROR', errorCode, ...(errorMessage !== undefined ? { errorMessage } : {}) };
    };
    try {
      const forced = this.overrides.get(flagKey);
      if (forced !== undefined && (!withFallback || typeof fallback === 'boolean')) {
        const result: EvaluationResult = { flagKey, enabled: forced, reason: forced ? 'OVERRIDE_ON' : 'OVERRIDE_OFF' };
        return withFallback ? { ...result, variant: forced ? 'on' : 'off', value: forced, variantReason: 'STATIC' } : result;
      }
      const entry = this.repository.entry(flagKey);
      if (entry === undefined) return failed(notFoundResult(flagKey), 'FLAG_NOT_FOUND', `no flag '${flagKey}'`);
      const compiled = entry.compiled;
      if (withFallback && compiled.variants.valueType !== valueTypeOf(fallback)) {
        const error = this.reportMismatch(flagKey, compiled.variants.valueType, fallback);
        return failed({ ...compiled.resultFor('ERROR', -1, -1), reason: 'ERROR' }, 'TYPE_MISMATCH', error.message);
      }
      const result = compiled.evaluate(context, this.clock);
      if (result.reason === 'DEPRECATED' || result.reason === 'INVALID_CONTEXT') this.report(entry, flagKey, result.reason);
      if (this.trackExposure) {
        readUserId(context);
        entry.exposure.record(result.enabled, lastReadUserId(), this.now);
      }
      if (result.variantReason === 'ERROR') return failed(result, result.errorCode ?? 'GENERAL', result.errorMessage);
      return result;
    } catch (error) {
      this.reportError(flagKey, error);
      return failed({ flagKey, enabled: false, reason: 'ERROR', errorMessage: toError(error).message }, 'GENERAL', toError(error).message);
    }
  }

  /** The keys of every flag that is on for `context`, sorted. */
  enabledFlags(context?: EvaluationContext): string[] {
    const keys = new Set<string>([...this.repository.keys(), ...this.overrides.keys()]);
    return [...keys].filter((key) => this.isEnabled(key, context)).sort();
  }

  /** What `isEnabled` answers, without counting an exposure (for attributing outcomes to arms). */
  private isOnWithoutExposure(flagKey: string, userId: string): boolean {
    try {
      const forced = this.overrides.get(flagKey);
      if (forced !== undefined) return forced;
      const entry = this.repository.entry(flagKey);
      return entry !== undefined && entry.compiled.isEnabled({ userId }, this.clock);
    } catch {
      return false;
    }
  }

  /** @internal Exposure counters by flag key, for the analytics module. */
  exposureCounters(): ReadonlyMap<string, ExposureCounter> {
    return this.repository.exposureCounters();
  }

  /**
   * One scheduling step: guards every active release against its metrics (holding or rolling
   * back), then moves phases along (`releases.tick()`), then folds exposure data into the store,
   * then delivers due notifications (webhooks) from the outbox.
   * Run it from your scheduler, e.g. every minute.
   */
  async tick(): Promise<TickResult & { guarded: readonly GuardAction[]; notifications: DeliveryReport }> {
    const guarded = await this.analytics.checkReleases();
    const moved = await this.releases.tick();
    await this.analytics.flush();
    const notifications = await this.analytics.deliverNotifications();
    return { ...moved, guarded, notifications };
  }

  /** Every flag in this client's snapshot, sorted by key. */
  allFlags(): Flag[] {
    return this.repository.flags();
  }

  /** A copy of the snapshot, to pass as `bootstrap` to another client or save for offline start. */
  snapshotData(): FlagSnapshotData {
    const segments = this.repository.segments();
    return segments.length > 0 ? { flags: this.repository.flags(), segments } : { flags: this.repository.flags() };
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
    return this.repository.storeAvailable;
  }

  /** Re-reads every flag from the store now and replaces the snapshot with it (deletions included). */
  resync(): Promise<void> {
    return this.repository.resync();
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
    this.repository.stop();
  }

  private report(entry: SnapshotEntry, flagKey: string, reason: 'DEPRECATED' | 'INVALID_CONTEXT'): void {
    if (reason === 'DEPRECATED') {
      if (entry.deprecationReported) return;
      entry.deprecationReported = true;
      this.flagEvents.emit('flag:deprecated', { flagKey });
    } else {
      this.flagEvents.emit('evaluation:error', {
        flagKey,
        error: new ValidationError('evaluation context', [{ path: 'context', message: 'fields must be readable, and userId and ring must be strings' }]),
      });
    }
  }

  private reportError(flagKey: string, error: unknown): void {
    // Isolated: a throwing listener must not turn a safe default into an exception.
    this.flagEvents.emit('evaluation:error', { flagKey, error: toError(error) });
  }
}

/** Plugs `gate.releases` into the port analytics guards releases through. */
function releaseControl(releases: Releases): ReleaseControl {
  return {
    get: (version) => releases.get(version),
    list: () => releases.list(),
    hold: (version, reason, options) => releases.hold(version, reason, options),
    rollback: (version, reason, options) => releases.rollback(version, reason, options),
    resume: (version, options) => releases.resume(version, options),
    addGuard: (guard) => releases.addGuard(guard),
    isActive: (status) => isActive(status as Release['status']),
    phaseOf: (release) => currentPhase(release as Release)?.name ?? null,
    exposureOf: (release) => exposureOf(release as Release),
  };
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
