import type { Clock } from '../clock.js';
import { ConflictError, IllegalTransitionError, NotFoundError, ValidationError, toError } from '../errors.js';
import type { EventPort } from '../event-port.js';
import type { Flags } from '../flags/flags.js';
import type { ReleaseBreach } from '../contracts.js';
import { updateRecord } from '../storage/records.js';
import { Collections, type Store, type StoredRecord } from '../storage/store.js';
import { parseWith } from '../validation.js';
import type { ExposureSource } from '../flags/exposure.js';
import { HyperLogLog } from '../hyperloglog.js';
import type { AnalyticsEvents } from './events.js';
import { recommend, round, scoreHealth, signed, type MetricComparison, type MetricHealth, type ReleaseHealth } from './health.js';
import { parseStructuredKey, recordsWithPrefix, seriesKey, sketchKey, structuredKey, structuredPrefix } from './keys.js';
import {
  DEFAULT_RETENTION,
  DEFAULT_THRESHOLDS,
  breachOf,
  guardConfigSchema,
  metricSampleSchema,
  outcomeSchema,
  thresholdSchema,
  withCritical,
  type Alert,
  type GuardConfig,
  type GuardConfigInput,
  type MetricSample,
  type OutcomeInput,
  type RetentionPolicy,
  type Threshold,
  type ThresholdInput,
} from './model.js';
import {
  OUTBOX_COLLECTION,
  deliverNotifications,
  enqueueNotification,
  idempotencyKey,
  parseOutboxEntry,
  storedWebhookSchema,
  webhookInputSchema,
  type DeliveryOptions,
  type DeliveryReport,
  type NotificationEvent,
  type OutboxEntry,
  type Webhook,
  type WebhookInput,
} from './notifications.js';
import type { ReleaseControl, ReleaseView } from './ports.js';
import { applyRetention, dayKey, pruneAlertsToLimit } from './retention.js';
import { addObservation, compareArms, EMPTY_ARM, type ArmAggregate } from './sequential.js';
import {
  ANALYTICS_STATE_COLLECTION,
  SERIES_WINDOW,
  alertSchema,
  alertStateSchema,
  armsSchema,
  decisionSchema,
  seriesSchema,
  sketchSchema,
  storedGuardSchema,
  storedThresholdSchema,
  type AlertState,
  type Arms,
  type GuardDecision,
  type MetricSeries,
} from './state.js';
import { summarize, type MetricStatistics, type Observation } from './statistics.js';

export { ANALYTICS_STATE_COLLECTION, SERIES_WINDOW } from './state.js';
export type { GuardDecision, MetricSeries } from './state.js';
export type { HealthStatus, MetricComparison, MetricHealth, ReleaseHealth } from './health.js';

/** Alerts kept in the persisted history (the default of `retention.alertLimit`). */
export const ALERT_HISTORY_LIMIT = DEFAULT_RETENTION.alertLimit;

const DAY = 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;
/** Store writes a flush keeps in flight at once (a pipelining store answers them together). */
const FLUSH_CONCURRENCY = 16;

/**
 * Runs every task, at most `limit` at a time, and waits for all of them; then rethrows the
 * first failure, if any (so one failed write does not stop the others).
 */
async function settleAll(tasks: ReadonlyArray<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const task = tasks[next++]!;
      try {
        await task();
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  if (failure) throw failure.error;
}



/** What the host lends analytics (a port, not the client itself). */
export interface AnalyticsPort extends ExposureSource {
  /** Whether a flag is on for a user now, as `isEnabled` would answer, without counting an exposure. */
  isOn(flagKey: string, userId: string): boolean;
}

/** Options for {@link Analytics}. */
export interface AnalyticsOptions {
  /** Observations count toward breaches, health and guards only within this window. Default 1 hour. */
  readonly evaluationWindowMs?: number;
  /** Fewer observations than this in the window never raise alerts or move releases. Default 5. */
  readonly minimumSamples?: number;
  /** How long observations, sketches, alerts and notifications are kept (defaults: {@link DEFAULT_RETENTION}). */
  readonly retention?: Partial<RetentionPolicy>;
  /**
   * Shared secret for the HMAC-SHA256 signature of webhook deliveries. Without it this process
   * queues notifications but does not send them (`tick()` reports them as unsigned).
   */
  readonly webhookSecret?: string;
  /** Retry and timeout settings of webhook delivery. */
  readonly delivery?: Omit<DeliveryOptions, 'secret'>;
}

/** Adoption of one feature on one day, from exposure counting and recorded usage. */
export interface Adoption {
  readonly feature: string;
  /** UTC day, `YYYY-MM-DD`. */
  readonly day: string;
  readonly exposedUsers: number;
  readonly activeUsers: number;
  /** Active over exposed users, in percent; `null` when nobody was exposed. */
  readonly adoptionPercentage: number | null;
  readonly evaluations: { readonly on: number; readonly off: number };
}

/** What happened to a release when its guards were checked. */
export interface GuardAction {
  readonly version: string;
  readonly action: 'held' | 'rolledBack' | 'resumed';
  readonly breach?: ReleaseBreach;
  /** For a rollback: steps of its plan nobody carried out (no listener, no built-in). Say so loudly. */
  readonly unhandledSteps?: readonly string[];
}

/** A full analytics report: plain JSON that round-trips through `JSON.stringify`. */
export interface AnalyticsReport {
  readonly generatedAt: number;
  readonly windowMs: number;
  readonly metrics: ReadonlyArray<{ readonly metric: string; readonly release: string | null; readonly feature: string | null; readonly statistics: MetricStatistics }>;
  readonly thresholds: readonly Threshold[];
  readonly alerts: readonly Alert[];
  readonly releases: ReadonlyArray<{ readonly version: string; readonly status: string; readonly phase: string | null; readonly exposurePercentage: number; readonly health: ReleaseHealth }>;
  readonly flags: ReadonlyArray<{ readonly key: string; readonly evaluationsOn: number; readonly evaluationsOff: number; readonly exposedUsersToday: number }>;
}

/** What `recordOutcome` did. */
export interface OutcomeResult {
  /** The releases the observation was attributed to, and the arm the user was in. */
  readonly arms: ReadonlyArray<{ readonly release: string; readonly arm: 'treatment' | 'control' }>;
  readonly guard: readonly GuardAction[];
}

function mean(observations: readonly Observation[]): number {
  return observations.reduce((sum, o) => sum + o.value, 0) / observations.length;
}

/**
 * `gate.analytics`: metrics with direction-aware thresholds, alerts, per-release health, adoption
 * from real exposure data, guarded rollouts (absolute triggers, and a sequential comparison of
 * each release's users against everyone else), notifications through an outbox, and reports.
 * Everything that decides is in the store, shared by every process and the CLI.
 */
export class Analytics {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly events: EventPort<AnalyticsEvents>;
  private readonly releases: ReleaseControl;
  private readonly flags: Flags;
  private readonly port: AnalyticsPort;
  /** Thresholds as last read from the store, with this process's own writes applied at once. */
  private readonly thresholdsByMetric = new Map<string, Threshold>(DEFAULT_THRESHOLDS.map((t) => [t.metric, t]));
  private readonly pendingThresholdWrites = new Set<Promise<unknown>>();
  /** Usage recorded here and not flushed yet, by sketch key. */
  private readonly usageByDay = new Map<string, { readonly feature: string; readonly sketch: HyperLogLog }>();
  /** Releases that must wait for evidence before their next phase, with the reason (from the last guard run). */
  private readonly waitingForEvidence = new Map<string, string>();
  private lastPrunedAt = Number.NEGATIVE_INFINITY;
  readonly evaluationWindowMs: number;
  readonly minimumSamples: number;
  /** The retention policy in force. */
  readonly retention: RetentionPolicy;
  private readonly delivery: DeliveryOptions;

  /** @internal Built by `createPhasegate`. */
  constructor(
    store: Store,
    clock: Clock,
    events: EventPort<AnalyticsEvents>,
    releases: ReleaseControl,
    flags: Flags,
    port: AnalyticsPort,
    options: AnalyticsOptions = {},
  ) {
    this.store = store;
    this.clock = clock;
    this.events = events;
    this.releases = releases;
    this.flags = flags;
    this.port = port;
    this.evaluationWindowMs = options.evaluationWindowMs ?? 3_600_000;
    this.minimumSamples = options.minimumSamples ?? 5;
    this.retention = checkRetention({ ...DEFAULT_RETENTION, ...options.retention });
    this.delivery = { ...options.delivery, secret: options.webhookSecret };
    releases.addGuard((release) => this.waitingForEvidence.get(release.version) ?? true);
  }

  // ---------------------------------------------------------------- thresholds

  /**
   * Sets (or replaces) the threshold of a metric, for every process sharing the store. Custom
   * metrics declare their own direction; `critical` defaults to half the limit further.
   * Validates at once (throws {@link ValidationError}); resolves when the store has it.
   */
  setThreshold(threshold: ThresholdInput): Promise<void> {
    const parsed = parseWith(thresholdSchema, threshold, 'threshold');
    this.thresholdsByMetric.set(parsed.metric, parsed);
    const tracked = updateRecord(this.store, ANALYTICS_STATE_COLLECTION, structuredKey('threshold', parsed.metric), () => parsed).then(() => undefined);
    this.pendingThresholdWrites.add(tracked);
    // Callers may ignore the promise: never let that be an unhandled rejection.
    tracked.catch((error: unknown) => this.reportStoreError('threshold', error)).finally(() => this.pendingThresholdWrites.delete(tracked));
    return tracked;
  }

  /** Every threshold in force, as this process last read them (each async call refreshes them). */
  thresholds(): Threshold[] {
    return [...this.thresholdsByMetric.values()];
  }

  private async loadThresholds(): Promise<Map<string, Threshold>> {
    await Promise.allSettled([...this.pendingThresholdWrites]);
    for await (const record of recordsWithPrefix(this.store, ANALYTICS_STATE_COLLECTION, structuredPrefix('threshold'))) {
      const parsed = storedThresholdSchema.safeParse(record.value);
      if (parsed.success && record.key === structuredKey('threshold', parsed.data.metric)) this.thresholdsByMetric.set(parsed.data.metric, parsed.data);
      else this.reportInvalid(record.key);
    }
    return this.thresholdsByMetric;
  }

  /** The thresholds that apply to a release: the shared ones, overridden by its own rollback triggers. */
  private thresholdsFor(release: ReleaseView | undefined): Threshold[] {
    const merged = new Map(this.thresholdsByMetric);
    for (const trigger of release?.rollbackPlan.triggers ?? []) merged.set(trigger.metric, withCritical(trigger));
    return [...merged.values()];
  }

  // ---------------------------------------------------------------- metrics

  /**
   * Records one observation: persists it (bounded per series), raises an alert when the windowed
   * mean crosses its threshold (a release's own trigger when it has one), and for a release's
   * metric checks the release's guards at once: a warning holds it, a critical breach rolls it back.
   */
  async record(sample: MetricSample): Promise<{ alert: Alert | null; guard: GuardAction | null }> {
    const parsed = parseWith(metricSampleSchema, sample, 'metric sample');
    const at = parsed.at ?? this.clock.now();
    const release = parsed.release ?? null;
    const feature = parsed.feature ?? null;
    const record = await updateRecord<MetricSeries>(this.store, Collections.metrics, seriesKey(parsed.metric, release, feature), (current) => {
      const series = current ? this.validSeries(current) : undefined;
      const recent = [...(series?.recent ?? []), { value: parsed.value, at }].sort((a, b) => a.at - b.at).slice(-SERIES_WINDOW);
      return {
        metric: parsed.metric,
        release,
        feature,
        count: (series?.count ?? 0) + 1,
        sum: (series?.sum ?? 0) + parsed.value,
        min: Math.min(series?.min ?? parsed.value, parsed.value),
        max: Math.max(series?.max ?? parsed.value, parsed.value),
        recent,
      };
    });
    await this.loadThresholds();
    const target = release === null ? undefined : await this.releases.get(release);
    const threshold = this.thresholdsFor(target).find((t) => t.metric === parsed.metric);
    const alert = threshold ? await this.checkAlert(threshold, release, feature, this.windowed(record!.value.recent)) : null;
    const guard = target ? await this.guard(target) : null;
    return { alert, guard };
  }

  /**
   * Records one observation of one user (an error or not, a latency, a conversion) for the
   * comparison against control: for every active release guarding `metric` (or only `release`),
   * the user is put in the release's arm (treatment) when any of its features is on for them now,
   * else in control, and the arm's count, sum and sum of squares grow. No user id is stored.
   * A detected regression rolls the release back at once.
   */
  async recordOutcome(outcome: OutcomeInput): Promise<OutcomeResult> {
    const parsed = parseWith(outcomeSchema, outcome, 'outcome');
    const now = this.clock.now();
    const versions: string[] = [];
    if (parsed.release !== undefined) {
      if (!(await this.releases.get(parsed.release))) throw new NotFoundError('Release', parsed.release);
      versions.push(parsed.release);
    } else {
      for await (const record of recordsWithPrefix(this.store, ANALYTICS_STATE_COLLECTION, structuredPrefix('guard'))) {
        const version = parseStructuredKey(record.key)?.[1];
        const config = storedGuardSchema.safeParse(record.value);
        if (typeof version === 'string' && config.success && config.data.metrics.some((m) => m.metric === parsed.metric)) versions.push(version);
      }
    }
    const arms: Array<{ release: string; arm: 'treatment' | 'control' }> = [];
    const actions: GuardAction[] = [];
    for (const version of versions) {
      const release = await this.releases.get(version);
      if (!release || !this.releases.isActive(release.status)) continue;
      const arm = release.features.some((feature) => this.port.isOn(feature, parsed.userId)) ? 'treatment' : 'control';
      await updateRecord<Arms>(this.store, ANALYTICS_STATE_COLLECTION, structuredKey('arms', version, parsed.metric), (current) => {
        const previous = current ? armsSchema.safeParse(current.value) : undefined;
        const base: Arms = previous?.success ? previous.data : { treatment: EMPTY_ARM, control: EMPTY_ARM, firstAt: now, lastAt: now };
        return {
          treatment: arm === 'treatment' ? addObservation(base.treatment, parsed.value) : base.treatment,
          control: arm === 'control' ? addObservation(base.control, parsed.value) : base.control,
          firstAt: Math.min(base.firstAt, now),
          lastAt: Math.max(base.lastAt, now),
        };
      });
      arms.push({ release: version, arm });
      const action = await this.guard(release, { comparisonsOnly: true });
      if (action) actions.push(action);
    }
    return { arms, guard: actions };
  }

  /** Records that `userId` used `feature` (for adoption and engagement). */
  recordUsage(feature: string, userId: string): void {
    if (typeof feature !== 'string' || feature.length === 0 || feature.length > 200) {
      throw new ValidationError('usage', [{ path: 'feature', message: 'must be a string of 1 to 200 characters' }]);
    }
    if (typeof userId !== 'string') throw new ValidationError('usage', [{ path: 'userId', message: 'must be a string' }]);
    const id = sketchKey('active', feature, dayKey(this.clock.now()));
    let held = this.usageByDay.get(id);
    if (!held) this.usageByDay.set(id, (held = { feature, sketch: new HyperLogLog() }));
    held.sketch.add(userId);
  }

  /** Observations within the window that ends at the clock's now (never after it: `status --at T`). */
  private windowed(observations: readonly Observation[], windowMs = this.evaluationWindowMs): Observation[] {
    const now = this.clock.now();
    const since = now - windowMs;
    return observations.filter((o) => o.at >= since && o.at <= now);
  }

  private validSeries(record: StoredRecord): MetricSeries | undefined {
    const parsed = seriesSchema.safeParse(record.value);
    if (parsed.success) return parsed.data;
    this.reportInvalid(record.key);
    return undefined;
  }

  /** Every persisted series (optionally only those of one metric), with observations up to the clock's now. */
  async series(metric?: string): Promise<MetricSeries[]> {
    const all: MetricSeries[] = [];
    const now = this.clock.now();
    const prefix = metric === undefined ? structuredPrefix('series') : structuredPrefix('series', metric);
    for await (const record of recordsWithPrefix(this.store, Collections.metrics, prefix)) {
      const series = this.validSeries(record);
      if (series && (metric === undefined || series.metric === metric)) all.push({ ...series, recent: series.recent.filter((o) => o.at <= now) });
    }
    return all;
  }

  /** Observations of `metric` within the window, across features (and releases unless one is named). */
  async observations(metric: string, filter: { release?: string; feature?: string; windowMs?: number } = {}): Promise<Observation[]> {
    const prefix = filter.release === undefined ? structuredPrefix('series', metric) : structuredPrefix('series', metric, filter.release);
    const observations: Observation[] = [];
    for await (const record of recordsWithPrefix(this.store, Collections.metrics, prefix)) {
      const series = this.validSeries(record);
      if (!series || series.metric !== metric) continue;
      if (filter.release !== undefined && series.release !== filter.release) continue;
      if (filter.feature !== undefined && series.feature !== filter.feature) continue;
      observations.push(...this.windowed(series.recent, filter.windowMs));
    }
    return observations.sort((a, b) => a.at - b.at);
  }

  /** Count, mean, median, min, max, standard deviation, p95, latest and trend over a window. */
  async statistics(metric: string, filter: { release?: string; feature?: string; windowMs?: number } = {}): Promise<MetricStatistics | undefined> {
    const observations = await this.observations(metric, filter);
    return observations.length === 0 ? undefined : summarize(observations);
  }

  // ---------------------------------------------------------------- alerts

  /**
   * One breach, one alert, whoever records it: the alert-state record of the series moves by
   * compare-and-set, and only the writer that moved it publishes the alert. Publishing (history,
   * webhooks, event) is idempotent and re-run by `tick()` if a process died half-way.
   */
  private async checkAlert(threshold: Threshold, release: string | null, feature: string | null, window: readonly Observation[]): Promise<Alert | null> {
    if (window.length < this.minimumSamples) return null;
    const value = mean(window);
    const severity = breachOf(value, threshold.limit, threshold.bad, threshold.critical);
    const at = this.clock.now();
    const key = structuredKey('alert-state', threshold.metric, release, feature);
    let raised: Alert | null = null;
    let recovered = false;
    const record = await updateRecord<AlertState>(this.store, ANALYTICS_STATE_COLLECTION, key, (current) => {
      raised = null;
      recovered = false;
      const parsedState = current ? alertStateSchema.safeParse(current.value) : undefined;
      const previous = parsedState?.success ? parsedState.data : undefined;
      if (severity === null) {
        if (!previous?.severity) return undefined;
        recovered = true;
        return { ...previous, severity: null };
      }
      // Alert on a new breach or an escalation, not on every sample.
      if (previous?.severity === severity || previous?.severity === 'critical') return undefined;
      const alert: Alert = {
        id: `${String(at).padStart(15, '0')}-${idempotencyKey(key, current?.version ?? 0).slice(3, 15)}`,
        at,
        metric: threshold.metric,
        value,
        limit: threshold.limit,
        critical: threshold.critical,
        bad: threshold.bad,
        severity,
        samples: window.length,
        release,
        feature,
        kind: 'threshold',
      };
      raised = alert;
      return { severity, alert, published: false };
    });
    if (recovered) this.safeEmit(() => this.events.emit('analytics:recovered', { metric: threshold.metric, release, feature, value }));
    if (raised && record) {
      await this.publishAlert(key, record as StoredRecord<AlertState>, true);
      return raised;
    }
    return null;
  }

  /** Writes the alert to the history and the outbox, emits it (when `emit`), then marks the state published. */
  private async publishAlert(stateKey: string, state: StoredRecord<AlertState>, emit: boolean): Promise<void> {
    const alert = state.value.alert;
    if (!alert || state.value.published) return;
    try {
      await this.store.put(Collections.alerts, alert.id, alert, 0);
      await pruneAlertsToLimit(this.store, this.retention.alertLimit);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error; // already in the history
    }
    await this.enqueueFor('alert', alert.at, (url) => idempotencyKey('alert', alert.id, url), {
      alert,
      text: `${alert.severity.toUpperCase()}: ${alert.metric} ${round(alert.value)} is ${alert.bad} its limit ${alert.limit}${alert.release ? ` (release ${alert.release})` : ''}`,
    });
    if (emit) this.safeEmit(() => this.events.emit('analytics:alert', alert));
    try {
      await this.store.put(ANALYTICS_STATE_COLLECTION, stateKey, { ...state.value, published: true }, state.version);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error; // someone moved it on; the next tick re-checks.
    }
  }

  /** The alert history up to the clock's now, newest first. */
  async alerts(limit = 100): Promise<Alert[]> {
    const now = this.clock.now();
    const all: Alert[] = [];
    for await (const record of recordsWithPrefix(this.store, Collections.alerts, '')) {
      const parsed = alertSchema.safeParse(record.value);
      if (!parsed.success) {
        this.reportInvalid(record.key);
        continue;
      }
      if (parsed.data.at <= now) all.push(parsed.data);
    }
    return all.reverse().slice(0, limit);
  }

  // ---------------------------------------------------------------- comparison guard

  /**
   * Guards a release by comparing its users against everyone else on `config.metrics` (see
   * docs/guarded-rollouts.md): feed it with `recordOutcome`. Stored, so every process and the CLI
   * apply the same guard. Replaces an earlier config of the same release.
   */
  async guardRelease(version: string, config: GuardConfigInput): Promise<GuardConfig> {
    const parsed = parseWith(guardConfigSchema, config, 'guard config');
    if (!(await this.releases.get(version))) throw new NotFoundError('Release', version);
    await updateRecord(this.store, ANALYTICS_STATE_COLLECTION, structuredKey('guard', version), () => parsed);
    return parsed;
  }

  /** A release's comparison guard, or `undefined`. */
  async guardConfig(version: string): Promise<GuardConfig | undefined> {
    const record = await this.store.get(ANALYTICS_STATE_COLLECTION, structuredKey('guard', version));
    if (!record) return undefined;
    const parsed = storedGuardSchema.safeParse(record.value);
    if (!parsed.success) {
      this.reportInvalid(record.key);
      return undefined;
    }
    return parsed.data;
  }

  /** Each guard metric of a release compared against control, as of the clock's now. */
  async comparisons(version: string): Promise<MetricComparison[]> {
    const config = await this.guardConfig(version);
    if (!config) return [];
    const now = this.clock.now();
    const results: MetricComparison[] = [];
    for (const metric of config.metrics) {
      const record = await this.store.get(ANALYTICS_STATE_COLLECTION, structuredKey('arms', version, metric.metric));
      const parsed = record ? armsSchema.safeParse(record.value) : undefined;
      if (record && !parsed?.success) this.reportInvalid(record.key);
      // Aggregates cannot be cut at a past time: before the first observation they are not shown.
      const arms = parsed?.success && parsed.data.firstAt <= now ? parsed.data : undefined;
      const treatment: ArmAggregate = arms?.treatment ?? EMPTY_ARM;
      const control: ArmAggregate = arms?.control ?? EMPTY_ARM;
      const controlMean = control.count > 0 ? control.sum / control.count : 0;
      const tolerance = metric.maxRegression ?? (metric.maxRelativeRegression ?? 0) * Math.abs(controlMean);
      const result = compareArms(treatment, control, { bad: metric.bad, alpha: config.alpha, tolerance, minimumSamples: config.minimumSamples });
      results.push({
        metric: metric.metric,
        bad: metric.bad,
        decision: result.decision,
        treatment: result.treatment,
        control: result.control,
        difference: result.difference,
        interval: result.interval,
        alpha: result.alpha,
        tolerance: result.tolerance,
        lastObservationAt: arms ? Math.min(arms.lastAt, now) : null,
      });
    }
    return results;
  }

  // ---------------------------------------------------------------- health

  /**
   * Health of a release from its own metrics only, with plain-words recommendations. No data is
   * not health: a release with no observation in the window is `no data`, a rolled-back one is
   * `rolled back` (both without a score). Only data up to the clock's now counts.
   * @throws NotFoundError for a version that was never planned.
   */
  async health(version: string): Promise<ReleaseHealth> {
    const release = await this.releases.get(version);
    if (!release) throw new NotFoundError('Release', version);
    await this.loadThresholds();
    const metrics: MetricHealth[] = [];
    let lastObservationAt: number | null = null;
    for (const threshold of this.thresholdsFor(release)) {
      const window = await this.observations(threshold.metric, { release: version });
      if (window.length === 0) continue;
      lastObservationAt = Math.max(lastObservationAt ?? 0, window[window.length - 1]!.at);
      const value = mean(window);
      const severity = window.length >= this.minimumSamples ? breachOf(value, threshold.limit, threshold.bad, threshold.critical) : null;
      metrics.push({ metric: threshold.metric, value, samples: window.length, limit: threshold.limit, critical: threshold.critical, bad: threshold.bad, severity });
    }
    const comparisons = await this.comparisons(version);
    const since = this.clock.now() - this.evaluationWindowMs;
    for (const c of comparisons) {
      if (c.lastObservationAt !== null && c.lastObservationAt >= since) lastObservationAt = Math.max(lastObservationAt ?? 0, c.lastObservationAt);
    }
    const recentComparison = comparisons.some((c) => c.lastObservationAt !== null && c.lastObservationAt >= since && c.treatment.count > 0 && c.control.count > 0);
    const enoughData = metrics.some((m) => m.samples >= this.minimumSamples) || recentComparison;
    const { status, score, label } = scoreHealth(release, metrics, comparisons, enoughData);
    return {
      version,
      score,
      status,
      label,
      metrics,
      comparisons,
      lastObservationAt,
      decision: await this.lastDecision(version),
      recommendations: recommend(version, release, metrics, comparisons, status, this.minimumSamples, this.evaluationWindowMs),
    };
  }

  // ---------------------------------------------------------------- guards

  /**
   * Checks a release's guards: its rollback triggers against its own windowed metrics (critical →
   * rollback, warning → hold) and its comparison against control (regression → rollback). A hold
   * placed by analytics is lifted only by evidence: the held metric back within its limit on at
   * least `minimumSamples` observations in the window. Silence never lifts it.
   */
  async guard(release: ReleaseView, options: { readonly comparisonsOnly?: boolean } = {}): Promise<GuardAction | null> {
    if (!this.releases.isActive(release.status)) return null;
    const phase = this.releases.phaseOf(release);
    let worst: ReleaseBreach | null = null;
    let heldMetricRecovered = false;
    if (!options.comparisonsOnly) {
      for (const trigger of release.rollbackPlan.triggers.map(withCritical)) {
        const window = await this.observations(trigger.metric, { release: release.version });
        if (window.length < this.minimumSamples) continue;
        const value = mean(window);
        const severity = breachOf(value, trigger.limit, trigger.bad, trigger.critical);
        if (!severity) {
          if (release.hold?.breach?.metric === trigger.metric) heldMetricRecovered = true;
          continue;
        }
        if (!worst || (severity === 'critical' && worst.severity === 'warning')) {
          worst = { metric: trigger.metric, value, limit: trigger.limit, critical: trigger.critical, bad: trigger.bad, phase, severity };
        }
      }
    }
    let regressionText: string | null = null;
    if (worst?.severity !== 'critical') {
      for (const c of await this.comparisons(release.version)) {
        if (c.decision !== 'regression' || c.difference === null || c.interval === null) continue;
        worst = {
          metric: c.metric,
          value: c.treatment.mean!,
          limit: c.control.mean!,
          bad: c.bad,
          phase,
          severity: 'critical',
          comparison: { difference: c.difference, interval: c.interval, treatmentCount: c.treatment.count, controlCount: c.control.count },
        };
        regressionText = `${c.metric} of the release's users ${round(c.treatment.mean!)} is worse than everyone else's ${round(c.control.mean!)} (difference ${signed(c.difference)}, ${Math.round((1 - c.alpha) * 100)}% always-valid interval ${signed(c.interval[0])} to ${signed(c.interval[1])}) in phase ${phase} (regression)`;
        await this.raiseComparisonAlert(release.version, c);
        break;
      }
    }
    if (worst?.severity === 'critical') {
      const reason = regressionText ?? `${worst.metric} ${round(worst.value)} is ${worst.bad} its limit ${worst.limit} in phase ${worst.phase} (critical)`;
      try {
        const after = await this.releases.rollback(release.version, reason, { by: 'analytics', breach: worst });
        await this.noteDecision(release.version, 'rolledBack', reason);
        await this.enqueueDecisions(after);
        const unhandledSteps = (after.rollback?.steps ?? []).filter((s) => s.outcome === 'unhandled').map((s) => s.step.action);
        return { version: release.version, action: 'rolledBack', breach: worst, ...(unhandledSteps.length ? { unhandledSteps } : {}) };
      } catch (error) {
        if (error instanceof IllegalTransitionError) return null; // another process rolled it back first.
        throw error;
      }
    }
    if (options.comparisonsOnly) return null;
    if (worst?.severity === 'warning') {
      if (release.hold) return null;
      const reason = `${worst.metric} ${round(worst.value)} is ${worst.bad} its limit ${worst.limit} in phase ${worst.phase} (warning)`;
      let after: ReleaseView;
      try {
        after = await this.releases.hold(release.version, reason, { by: 'analytics', breach: worst });
      } catch (error) {
        if (error instanceof IllegalTransitionError) return null; // another process completed or rolled it back first.
        throw error;
      }
      await this.noteDecision(release.version, 'held', reason);
      await this.enqueueDecisions(after);
      return { version: release.version, action: 'held', breach: worst };
    }
    const evidence = release.hold?.breach ? heldMetricRecovered : false;
    if (release.hold?.by === 'analytics' && evidence) {
      try {
        await this.releases.resume(release.version, { by: 'analytics' });
      } catch (error) {
        if (error instanceof IllegalTransitionError) return null; // someone resumed it already.
        throw error;
      }
      await this.noteDecision(release.version, 'resumed', `${release.hold.breach?.metric ?? 'its metric'} is back within its limit`);
      return { version: release.version, action: 'resumed' };
    }
    return null;
  }

  /** The guards' last decision about a release, or `null`. */
  async lastDecision(version: string): Promise<GuardDecision | null> {
    const record = await this.store.get(ANALYTICS_STATE_COLLECTION, structuredKey('decision', version));
    if (!record) return null;
    const parsed = decisionSchema.safeParse(record.value);
    if (parsed.success) return parsed.data;
    this.reportInvalid(record.key);
    return null;
  }

  /** Stores the decision if it differs from the last one (action, reason or a metric's verdict). */
  private async noteDecision(version: string, action: GuardDecision['action'], reason: string | null): Promise<void> {
    const comparisons = (await this.comparisons(version)).map((c) => ({
      metric: c.metric,
      decision: c.decision,
      difference: c.difference,
      interval: c.interval,
      treatmentCount: c.treatment.count,
      controlCount: c.control.count,
    }));
    const at = this.clock.now();
    await updateRecord<GuardDecision>(this.store, ANALYTICS_STATE_COLLECTION, structuredKey('decision', version), (current) => {
      const previous = current ? decisionSchema.safeParse(current.value) : undefined;
      const same =
        previous?.success &&
        previous.data.action === action &&
        previous.data.reason === reason &&
        JSON.stringify(previous.data.comparisons.map((c) => [c.metric, c.decision])) === JSON.stringify(comparisons.map((c) => [c.metric, c.decision]));
      return same ? undefined : { version, at, action, reason, comparisons };
    });
  }

  private async raiseComparisonAlert(version: string, c: MetricComparison): Promise<void> {
    // Five parts: never the key of a threshold's state (four parts), whatever the feature is called.
    const key = structuredKey('alert-state', c.metric, version, null, 'comparison');
    const at = this.clock.now();
    const record = await updateRecord<AlertState>(this.store, ANALYTICS_STATE_COLLECTION, key, (current) => {
      const parsedState = current ? alertStateSchema.safeParse(current.value) : undefined;
      if (parsedState?.success && parsedState.data.severity === 'critical') return undefined;
      const alert: Alert = {
        id: `${String(at).padStart(15, '0')}-${idempotencyKey(key, current?.version ?? 0).slice(3, 15)}`,
        at,
        metric: c.metric,
        value: c.treatment.mean!,
        limit: c.control.mean!,
        bad: c.bad,
        severity: 'critical',
        samples: c.treatment.count,
        release: version,
        feature: null,
        kind: 'comparison',
      };
      return { severity: 'critical', alert, published: false };
    });
    if (record && !record.value.published) await this.publishAlert(key, record, true);
  }

  /**
   * Guards every active release (run by `gate.tick()` before phases move), works out which must
   * wait for evidence before their next phase, and re-publishes anything a crashed process left
   * half-done (alerts, notifications of holds and rollbacks).
   */
  async checkReleases(): Promise<GuardAction[]> {
    await this.loadThresholds();
    const actions: GuardAction[] = [];
    this.waitingForEvidence.clear();
    for (const release of await this.releases.list()) {
      let current = release;
      const action = await this.guard(release);
      if (action) {
        actions.push(action);
        current = (await this.releases.get(release.version)) ?? release;
      }
      await this.enqueueDecisions(current);
      if (!this.releases.isActive(current.status)) continue;
      const config = await this.guardConfig(current.version);
      if (config && config.samplesBeforeAdvancing > 0) {
        for (const c of await this.comparisons(current.version)) {
          if (c.decision === 'no evidence yet' && c.treatment.count < config.samplesBeforeAdvancing) {
            this.waitingForEvidence.set(
              current.version,
              `waiting for evidence: ${c.metric} has ${c.treatment.count} of ${config.samplesBeforeAdvancing} observations from the release's users`,
            );
            break;
          }
        }
      }
      if (action) continue; // noted when it acted
      const waiting = this.waitingForEvidence.get(current.version);
      if (waiting) await this.noteDecision(current.version, 'waiting', waiting);
      else if (current.hold?.by === 'analytics') await this.noteDecision(current.version, 'held', current.hold.reason);
      else await this.noteDecision(current.version, 'none', null);
    }
    for await (const record of recordsWithPrefix<AlertState>(this.store, ANALYTICS_STATE_COLLECTION, structuredPrefix('alert-state'))) {
      const parsed = alertStateSchema.safeParse(record.value);
      if (parsed.success && parsed.data.alert && !parsed.data.published) await this.publishAlert(record.key, { ...record, value: parsed.data }, false);
    }
    return actions;
  }

  // ---------------------------------------------------------------- notifications

  /** Subscribes a webhook (stored: every process and the CLI deliver to it). Replaces one with the same URL. */
  async addWebhook(input: WebhookInput): Promise<Webhook> {
    const parsed = parseWith(webhookInputSchema, input, 'webhook');
    const webhook: Webhook = { url: parsed.url, events: parsed.events, createdAt: this.clock.now() };
    await updateRecord(this.store, ANALYTICS_STATE_COLLECTION, structuredKey('webhook', parsed.url), () => webhook);
    return webhook;
  }

  /** Removes a webhook subscription. Resolves `false` when there was none. */
  async removeWebhook(url: string): Promise<boolean> {
    return this.store.delete(ANALYTICS_STATE_COLLECTION, structuredKey('webhook', url));
  }

  /** Every webhook subscription. */
  async webhooks(): Promise<Webhook[]> {
    const all: Webhook[] = [];
    for await (const record of recordsWithPrefix(this.store, ANALYTICS_STATE_COLLECTION, structuredPrefix('webhook'))) {
      const parsed = storedWebhookSchema.safeParse(record.value);
      if (parsed.success) all.push(parsed.data);
      else this.reportInvalid(record.key);
    }
    return all;
  }

  private async enqueueFor(event: NotificationEvent, at: number, key: (url: string) => string, payload: Record<string, unknown>, extraUrls: readonly string[] = []): Promise<void> {
    const urls = new Set(extraUrls);
    for (const webhook of await this.webhooks()) if (webhook.events.includes(event) && webhook.createdAt <= at) urls.add(webhook.url);
    for (const url of urls) await enqueueNotification(this.store, { id: key(url), event, url, payload, at });
  }

  /**
   * Makes sure the outbox holds a notification for the release's committed hold or rollback
   * (idempotent: keys derive from the decision). Decisions older than the notification
   * retention are not sent.
   */
  private async enqueueDecisions(release: ReleaseView): Promise<void> {
    const oldest = this.clock.now() - this.retention.notificationDays * DAY;
    if (release.rollback && release.rollback.at >= oldest) {
      const rollback = release.rollback;
      const stepUrls = rollback.steps.filter((s) => s.step.action === 'webhook' && typeof s.step.params.url === 'string').map((s) => s.step.params.url as string);
      await this.enqueueFor(
        'rollback',
        rollback.at,
        (url) => idempotencyKey('rollback', release.version, rollback.at, url),
        { release: release.version, reason: rollback.reason, by: rollback.by, phase: rollback.phase, breach: rollback.breach ?? null, text: `Release ${release.version} was rolled back: ${rollback.reason}` },
        stepUrls.filter((url) => webhookInputSchema.shape.url.safeParse(url).success),
      );
    }
    if (release.hold && release.hold.at >= oldest && this.releases.isActive(release.status)) {
      const hold = release.hold;
      await this.enqueueFor('hold', hold.at, (url) => idempotencyKey('hold', release.version, hold.at, url), {
        release: release.version,
        reason: hold.reason,
        by: hold.by,
        phase: this.releases.phaseOf(release),
        breach: hold.breach ?? null,
        text: `Release ${release.version} is held: ${hold.reason}`,
      });
    }
  }

  /**
   * Delivers due notifications from the outbox (run by `gate.tick()`): signed POSTs, retried with
   * backoff, at least once per idempotency key across every process.
   */
  async deliverNotifications(): Promise<DeliveryReport> {
    return deliverNotifications(this.store, this.clock, this.delivery);
  }

  /** Every notification in the outbox (delivered, pending and failed), oldest first. */
  async notifications(): Promise<OutboxEntry[]> {
    const all: OutboxEntry[] = [];
    for await (const record of recordsWithPrefix(this.store, OUTBOX_COLLECTION, '')) {
      const entry = parseOutboxEntry(record);
      if (entry) all.push(entry);
      else this.reportInvalid(record.key);
    }
    return all.sort((a, b) => a.createdAt - b.createdAt);
  }

  // ---------------------------------------------------------------- adoption, flush, retention

  /**
   * Folds this process's exposure and usage data into the store (sketches merge, so processes
   * add up), records `feature_adoption` for the features whose exposure or usage changed here
   * since the last flush and that have usage today, and applies the retention policy (at most
   * once an hour).
   *
   * Why the work follows the change: a flush used to merge every day of every flag's sketches
   * and scan the metrics collection for features used today, so its cost grew with the flags
   * held and the days kept (15.7 s on Redis at 1,000 flags). Now each counter hands over only
   * the days it changed ({@link ExposureCounter.takeUnflushed}), the merges run a few at a time,
   * and only the features they touched are looked at. A sketch that could not be stored goes
   * back to its counter, so the next flush retries it.
   */
  async flush(): Promise<void> {
    const now = this.clock.now();
    const changed = new Set<string>();
    const merges: Array<() => Promise<void>> = [];
    for (const [flag, counter] of this.port.exposureCounters()) {
      if (!counter.dirty) continue;
      for (const [day, sketch] of counter.takeUnflushed(now)) {
        changed.add(flag);
        merges.push(() => this.mergeSketch(sketchKey('exposed', flag, dayKey(day * DAY)), sketch).catch((error: unknown) => {
          counter.restore(day, sketch);
          throw error;
        }));
      }
    }
    const usage = [...this.usageByDay];
    this.usageByDay.clear();
    for (const [key, { feature, sketch }] of usage) {
      changed.add(feature);
      merges.push(() => this.mergeSketch(key, sketch).catch((error: unknown) => {
        const current = this.usageByDay.get(key);
        if (current) current.sketch.merge(sketch);
        else this.usageByDay.set(key, { feature, sketch });
        throw error;
      }));
    }
    await settleAll(merges, FLUSH_CONCURRENCY);
    const today = dayKey(now);
    const adoptions: Array<() => Promise<void>> = [...changed].sort().map((feature) => async () => {
      // One odd feature must not stop the others (or every later tick).
      try {
        // Most flags are exposed and never marked used: one read tells, before the two of adoption.
        if (!this.usageByDay.has(sketchKey('active', feature, today)) && !(await this.store.get(Collections.metrics, sketchKey('active', feature, today)))) return;
        const { adoption, used } = await this.adoptionOn(feature, today);
        if (!used || adoption.adoptionPercentage === null) return;
        const flag = await this.flags.get(feature);
        const release = typeof flag?.metadata.release === 'string' ? flag.metadata.release : undefined;
        await this.record({ metric: 'feature_adoption', value: adoption.adoptionPercentage, feature: feature.slice(0, 200), ...(release ? { release } : {}) });
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        this.reportStoreError('flush', error);
      }
    });
    await settleAll(adoptions, FLUSH_CONCURRENCY);
    if (now - this.lastPrunedAt >= PRUNE_EVERY_MS) {
      this.lastPrunedAt = now;
      await this.prune();
    }
  }

  private async mergeSketch(key: string, sketch: HyperLogLog): Promise<void> {
    await updateRecord<{ registers: string }>(this.store, Collections.metrics, key, (current) => {
      const stored = current ? sketchSchema.safeParse(current.value) : undefined;
      const merged = stored?.success ? HyperLogLog.deserialize(stored.data.registers) : new HyperLogLog();
      merged.merge(sketch);
      return { registers: merged.serialize() };
    });
  }

  /** Adoption of a feature on a UTC day (default today): exposed users, active users, and the ratio. */
  async adoption(feature: string, day: string = dayKey(this.clock.now())): Promise<Adoption> {
    return (await this.adoptionOn(feature, day)).adoption;
  }

  /** {@link Analytics.adoption}, and whether anyone used the feature that day (in the store or here). */
  private async adoptionOn(feature: string, day: string): Promise<{ adoption: Adoption; used: boolean }> {
    const read = async (kind: 'exposed' | 'active') => {
      const stored = await this.store.get(Collections.metrics, sketchKey(kind, feature, day));
      const parsed = stored ? sketchSchema.safeParse(stored.value) : undefined;
      return parsed?.success ? HyperLogLog.deserialize(parsed.data.registers) : undefined;
    };
    const exposed = (await read('exposed')) ?? new HyperLogLog();
    const storedActive = await read('active');
    const active = storedActive ?? new HyperLogLog();
    const counter = this.port.exposureCounters().get(feature);
    if (counter) {
      counter.fold(this.clock.now());
      const local = counter.exposedByDay.get(Math.floor(Date.parse(`${day}T00:00:00Z`) / DAY));
      if (local) exposed.merge(local);
    }
    const unsaved = this.usageByDay.get(sketchKey('active', feature, day));
    if (unsaved) active.merge(unsaved.sketch);
    const exposedUsers = exposed.estimate();
    // A user who used the feature was exposed to it: never report more active than exposed users.
    const activeUsers = Math.min(active.estimate(), exposedUsers);
    const adoption = {
      feature,
      day,
      exposedUsers,
      activeUsers,
      adoptionPercentage: exposedUsers === 0 ? null : Math.round((activeUsers / exposedUsers) * 10_000) / 100,
      evaluations: { on: counter?.on ?? 0, off: counter?.off ?? 0 },
    };
    return { adoption, used: storedActive !== undefined || unsaved !== undefined };
  }

  /**
   * Applies the retention policy now (`flush()` does it at most once an hour): drops metric
   * observations, series and per-arm aggregates older than `observationDays`, adoption sketches
   * older than `adoptionDays`, alerts older than `alertDays` (and beyond `alertLimit`), settled
   * alert states, and delivered or failed notifications older than `notificationDays`.
   * Returns how many records it deleted or rewrote.
   */
  async prune(): Promise<number> {
    return applyRetention(this.store, this.clock.now(), this.retention);
  }

  // ---------------------------------------------------------------- reports

  /** A full report: metric statistics, thresholds, alerts, release health and flag exposure. */
  async report(options: { windowMs?: number } = {}): Promise<AnalyticsReport> {
    await this.loadThresholds();
    const windowMs = options.windowMs ?? this.evaluationWindowMs;
    const now = this.clock.now();
    const metrics = [];
    for (const series of await this.series()) {
      const recent = this.windowed(series.recent, windowMs);
      if (recent.length === 0) continue;
      metrics.push({ metric: series.metric, release: series.release, feature: series.feature, statistics: summarize(recent) });
    }
    const releases = [];
    for (const release of await this.releases.list()) {
      if (release.status === 'planned') continue;
      releases.push({
        version: release.version,
        status: release.status,
        phase: this.releases.phaseOf(release),
        exposurePercentage: this.releases.exposureOf(release),
        health: await this.health(release.version),
      });
    }
    const flags = [];
    for (const [key, counter] of this.port.exposureCounters()) {
      const adoption = await this.adoption(key);
      flags.push({ key, evaluationsOn: counter.on, evaluationsOff: counter.off, exposedUsersToday: adoption.exposedUsers });
    }
    flags.sort((a, b) => (a.key < b.key ? -1 : 1));
    return { generatedAt: now, windowMs, metrics, thresholds: this.thresholds(), alerts: await this.alerts(), releases, flags };
  }

  // ---------------------------------------------------------------- plumbing

  private reportInvalid(key: string): void {
    this.reportStoreError('analytics', new ValidationError('stored analytics record', [{ path: key, message: 'does not match its schema; ignored' }]));
  }

  private reportStoreError(operation: string, error: unknown): void {
    this.safeEmit(() => this.events.emit('analytics:error', { operation, error: toError(error) }));
  }

  private safeEmit(emit: () => void): void {
    try {
      emit();
    } catch {
      // A listener's failure stays with the listener: the committed write stands.
    }
  }
}

function checkRetention(policy: RetentionPolicy): RetentionPolicy {
  for (const [name, value] of Object.entries(policy)) {
    if (!(Number.isFinite(value) && value > 0)) {
      throw new ValidationError('analytics options', [{ path: `retention.${name}`, message: `must be a number above 0, got ${String(value)}` }]);
    }
  }
  return Object.freeze({ ...policy });
}

