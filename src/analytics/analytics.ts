import type { Clock } from '../clock.js';
import { IllegalTransitionError, NotFoundError } from '../errors.js';
import type { EventPort } from '../event-port.js';
import type { AnalyticsEvents } from './events.js';
import type { Flags } from '../flags/flags.js';
import type { ReleaseBreach } from '../contracts.js';
import type { ReleaseControl, ReleaseView } from './ports.js';
import { iterateRecords, updateRecord } from '../storage/records.js';
import { Collections, type Store } from '../storage/store.js';
import { parseWith } from '../validation.js';
import type { ExposureSource } from '../flags/exposure.js';
import { HyperLogLog } from '../hyperloglog.js';
import { DEFAULT_THRESHOLDS, breachOf, metricSampleSchema, thresholdSchema, type Alert, type Badness, type MetricSample, type Severity, type Threshold } from './model.js';
import { summarize, type MetricStatistics, type Observation } from './statistics.js';

/** Observations kept per series, in the store and in memory. */
export const SERIES_WINDOW = 500;
/** Alerts kept in the persisted history. */
export const ALERT_HISTORY_LIMIT = 500;

const DAY = 86_400_000;

/** A metric series as persisted: running aggregates plus the latest observations. */
export interface MetricSeries {
  readonly metric: string;
  readonly release: string | null;
  readonly feature: string | null;
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
  readonly recent: readonly Observation[];
}

/** Options for {@link Analytics}. */
export interface AnalyticsOptions {
  /** Observations count toward breaches, health and guards only within this window. Default 1 hour. */
  readonly evaluationWindowMs?: number;
  /** Fewer observations than this in the window never raise alerts or move releases. Default 5. */
  readonly minimumSamples?: number;
}

/** How one watched metric stands for a release. */
export interface MetricHealth {
  readonly metric: string;
  readonly value: number;
  readonly samples: number;
  readonly limit: number;
  readonly bad: Badness;
  readonly severity: Severity | null;
}

/** A release's health from its own metrics only. */
export interface ReleaseHealth {
  readonly version: string;
  /**
   * 0–100 from the release's own metrics; `null` when there is nothing to score: no metric has
   * the minimum number of samples in the window, or the release was rolled back. No data is not health.
   */
  readonly score: number | null;
  readonly status: 'healthy' | 'warning' | 'critical' | 'no_data' | 'rolled_back';
  /** The status in words for screens: `100 healthy`, `60 critical`, `no data`, `rolled back`. */
  readonly label: string;
  readonly metrics: readonly MetricHealth[];
  readonly recommendations: readonly string[];
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

function seriesKey(metric: string, release: string | null, feature: string | null): string {
  return `${metric}|${release ?? ''}|${feature ?? ''}`;
}

function dayKey(at: number): string {
  return new Date(Math.floor(at / DAY) * DAY).toISOString().slice(0, 10);
}

let alertSequence = 0;

/**
 * `gate.analytics`: metrics with direction-aware thresholds, alerts, per-release health, adoption
 * from real exposure data, guarded rollouts (hold on warning, roll back on critical) and reports.
 */
export class Analytics {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly events: EventPort<AnalyticsEvents>;
  private readonly releases: ReleaseControl;
  private readonly flags: Flags;
  private readonly exposure: ExposureSource;
  private readonly thresholdsByMetric = new Map<string, Threshold>(DEFAULT_THRESHOLDS.map((t) => [t.metric, t]));
  private readonly alertState = new Map<string, Severity>();
  /** Recent observations per series, mirrored from the store after each write. */
  private readonly windows = new Map<string, readonly Observation[]>();
  private readonly usageByDay = new Map<string, HyperLogLog>();
  readonly evaluationWindowMs: number;
  readonly minimumSamples: number;

  /** @internal Built by `createPhasegate`. */
  constructor(
    store: Store,
    clock: Clock,
    events: EventPort<AnalyticsEvents>,
    releases: ReleaseControl,
    flags: Flags,
    exposure: ExposureSource,
    options: AnalyticsOptions = {},
  ) {
    this.store = store;
    this.clock = clock;
    this.events = events;
    this.releases = releases;
    this.flags = flags;
    this.exposure = exposure;
    this.evaluationWindowMs = options.evaluationWindowMs ?? 3_600_000;
    this.minimumSamples = options.minimumSamples ?? 5;
  }

  /** Sets (or replaces) the threshold of a metric; custom metrics declare their own direction. */
  setThreshold(threshold: Threshold): void {
    const parsed = parseWith(thresholdSchema, threshold, 'threshold');
    this.thresholdsByMetric.set(parsed.metric, parsed);
  }

  /** Every threshold in force. */
  thresholds(): Threshold[] {
    return [...this.thresholdsByMetric.values()];
  }

  /**
   * Records one observation: persists it (bounded per series), raises an alert when the windowed
   * mean crosses its threshold, and for a release's metric checks the release's rollback triggers
   * at once: a warning holds the release, a critical breach rolls it back.
   */
  async record(sample: MetricSample): Promise<{ alert: Alert | null; guard: GuardAction | null }> {
    const parsed = parseWith(metricSampleSchema, sample, 'metric sample');
    const at = parsed.at ?? this.clock.now();
    const release = parsed.release ?? null;
    const feature = parsed.feature ?? null;
    const key = seriesKey(parsed.metric, release, feature);
    const record = await updateRecord<MetricSeries>(this.store, Collections.metrics, key, (current) => {
      const series = current?.value;
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
    this.windows.set(key, record!.value.recent);
    const alert = await this.checkAlert(parsed.metric, release, feature, record!.value.recent);
    let guard: GuardAction | null = null;
    if (release !== null) {
      const target = await this.releases.get(release);
      if (target) guard = await this.guard(target);
    }
    return { alert, guard };
  }

  /** Records that `userId` used `feature` (for adoption and engagement). */
  recordUsage(feature: string, userId: string): void {
    const id = `${feature}|${dayKey(this.clock.now())}`;
    let sketch = this.usageByDay.get(id);
    if (!sketch) this.usageByDay.set(id, (sketch = new HyperLogLog()));
    sketch.add(userId);
  }

  private windowed(observations: readonly Observation[]): Observation[] {
    const since = this.clock.now() - this.evaluationWindowMs;
    return observations.filter((o) => o.at >= since);
  }

  private async checkAlert(metric: string, release: string | null, feature: string | null, recent: readonly Observation[]): Promise<Alert | null> {
    const threshold = this.thresholdsByMetric.get(metric);
    if (!threshold) return null;
    const window = this.windowed(recent);
    const key = seriesKey(metric, release, feature);
    if (window.length < this.minimumSamples) return null;
    const value = window.reduce((sum, o) => sum + o.value, 0) / window.length;
    const severity = breachOf(value, threshold.limit, threshold.bad);
    const previous = this.alertState.get(key);
    if (severity === null) {
      if (previous) {
        this.alertState.delete(key);
        this.events.emit('analytics:recovered', { metric, release, feature, value });
      }
      return null;
    }
    // Alert on a new breach or an escalation, not on every sample.
    if (previous === severity || previous === 'critical') return null;
    this.alertState.set(key, severity);
    const at = this.clock.now();
    alertSequence = (alertSequence + 1) % 1_000_000;
    const alert: Alert = {
      id: `${String(at).padStart(15, '0')}-${String(alertSequence).padStart(6, '0')}-${Math.random().toString(36).slice(2, 6)}`,
      at,
      metric,
      value,
      limit: threshold.limit,
      bad: threshold.bad,
      severity,
      samples: window.length,
      release,
      feature,
    };
    await this.store.put(Collections.alerts, alert.id, alert, 0);
    await this.pruneAlerts();
    this.events.emit('analytics:alert', alert);
    return alert;
  }

  private async pruneAlerts(): Promise<void> {
    const excess = (await this.store.count(Collections.alerts)) - ALERT_HISTORY_LIMIT;
    if (excess <= 0) return;
    const oldest = await this.store.list(Collections.alerts, { limit: Math.min(excess, 1000) });
    for (const record of oldest) await this.store.delete(Collections.alerts, record.key);
  }

  /** The alert history up to the clock's time, newest first. */
  async alerts(limit = 100): Promise<Alert[]> {
    const now = this.clock.now();
    const all: Alert[] = [];
    for await (const record of iterateRecords<Alert>(this.store, Collections.alerts)) if (record.value.at <= now) all.push(record.value);
    return all.reverse().slice(0, limit);
  }

  /** Every persisted series (optionally only those of one metric). */
  async series(metric?: string): Promise<MetricSeries[]> {
    const all: MetricSeries[] = [];
    for await (const record of iterateRecords<MetricSeries>(this.store, Collections.metrics)) {
      if (record.key.startsWith('adoption|')) continue;
      if (metric === undefined || record.value.metric === metric) all.push(record.value);
    }
    return all;
  }

  /** Observations of `metric` within the window, across features (and releases unless one is named). */
  async observations(metric: string, filter: { release?: string; feature?: string; windowMs?: number } = {}): Promise<Observation[]> {
    const now = this.clock.now();
    const since = now - (filter.windowMs ?? this.evaluationWindowMs);
    const prefix = filter.release === undefined ? `${metric}|` : `${metric}|${filter.release}|`;
    const observations: Observation[] = [];
    for await (const record of iterateRecords<MetricSeries>(this.store, Collections.metrics)) {
      if (!record.key.startsWith(prefix)) continue;
      if (filter.feature !== undefined && record.value.feature !== filter.feature) continue;
      // Samples from after "now" (a clock set back, `status --at T`) did not happen yet.
      observations.push(...record.value.recent.filter((o) => o.at >= since && o.at <= now));
    }
    return observations.sort((a, b) => a.at - b.at);
  }

  /** Count, mean, median, min, max, standard deviation, p95, latest and trend over a window. */
  async statistics(metric: string, filter: { release?: string; feature?: string; windowMs?: number } = {}): Promise<MetricStatistics | undefined> {
    const observations = await this.observations(metric, filter);
    return observations.length === 0 ? undefined : summarize(observations);
  }

  /** The thresholds that apply to a release: the defaults and custom ones, overridden by its own rollback triggers. */
  private thresholdsFor(release: ReleaseView): Threshold[] {
    const merged = new Map(this.thresholdsByMetric);
    for (const trigger of release.rollbackPlan.triggers) merged.set(trigger.metric, trigger);
    return [...merged.values()];
  }

  /**
   * Health 0–100 of a release from its own metrics only, with plain-words recommendations.
   * A release with too few samples says `no_data` and a rolled-back one `rolled_back`, both
   * with a `null` score: neither is "100 healthy".
   * @throws NotFoundError for a release that does not exist.
   */
  async health(version: string): Promise<ReleaseHealth> {
    const release = await this.releases.get(version);
    if (!release) throw new NotFoundError('Release', version);
    const thresholds = this.thresholdsFor(release);
    const metrics: MetricHealth[] = [];
    for (const threshold of thresholds) {
      const window = await this.observations(threshold.metric, { release: version });
      if (window.length === 0) continue;
      const value = window.reduce((sum, o) => sum + o.value, 0) / window.length;
      const severity = window.length >= this.minimumSamples ? breachOf(value, threshold.limit, threshold.bad) : null;
      metrics.push({ metric: threshold.metric, value, samples: window.length, limit: threshold.limit, bad: threshold.bad, severity });
    }
    const recommendations = recommend(version, release, this.releases.isActive(release.status), metrics, this.minimumSamples, this.evaluationWindowMs);
    if (release.status === 'rolled_back') return { version, score: null, status: 'rolled_back', label: 'rolled back', metrics, recommendations };
    if (!metrics.some((m) => m.samples >= this.minimumSamples)) return { version, score: null, status: 'no_data', label: 'no data', metrics, recommendations };
    const penalty = metrics.reduce((sum, m) => sum + (m.severity === 'critical' ? 40 : m.severity === 'warning' ? 20 : 0), 0);
    const score = Math.max(0, 100 - penalty);
    const status = metrics.some((m) => m.severity === 'critical') || score < 50 ? 'critical' : metrics.some((m) => m.severity === 'warning') ? 'warning' : 'healthy';
    return { version, score, status, label: `${score} ${status}`, metrics, recommendations };
  }

  /**
   * Checks a release's rollback triggers against its own windowed metrics: critical → rollback,
   * warning → hold, all clear again → lifts a hold that analytics placed.
   */
  async guard(release: ReleaseView): Promise<GuardAction | null> {
    if (!this.releases.isActive(release.status)) return null;
    let worst: ReleaseBreach | null = null;
    for (const trigger of release.rollbackPlan.triggers) {
      const window = await this.observations(trigger.metric, { release: release.version });
      if (window.length < this.minimumSamples) continue;
      const value = window.reduce((sum, o) => sum + o.value, 0) / window.length;
      const severity = breachOf(value, trigger.limit, trigger.bad);
      if (!severity) continue;
      if (!worst || (severity === 'critical' && worst.severity === 'warning')) {
        worst = { metric: trigger.metric, value, limit: trigger.limit, bad: trigger.bad, phase: this.releases.phaseOf(release), severity };
      }
    }
    try {
      if (worst?.severity === 'critical') {
        const reason = `${worst.metric} ${round(worst.value)} is ${worst.bad} its limit ${worst.limit} in phase ${worst.phase} (critical)`;
        await this.releases.rollback(release.version, reason, { by: 'analytics', breach: worst });
        return { version: release.version, action: 'rolledBack', breach: worst };
      }
      if (worst?.severity === 'warning') {
        if (release.hold) return null;
        const reason = `${worst.metric} ${round(worst.value)} is ${worst.bad} its limit ${worst.limit} in phase ${worst.phase} (warning)`;
        await this.releases.hold(release.version, reason, { by: 'analytics', breach: worst });
        return { version: release.version, action: 'held', breach: worst };
      }
      if (release.hold?.by === 'analytics') {
        await this.releases.resume(release.version, { by: 'analytics' });
        return { version: release.version, action: 'resumed' };
      }
    } catch (error) {
      // Another process moved the release first (completed, rolled back, resumed): losing that
      // race is not an error, and the next check sees the release as it is now.
      if (error instanceof IllegalTransitionError) return null;
      throw error;
    }
    return null;
  }

  /** Guards every active release (run by `gate.tick()` before phases move). */
  async checkReleases(): Promise<GuardAction[]> {
    const actions: GuardAction[] = [];
    for (const release of await this.releases.list()) {
      const action = await this.guard(release);
      if (action) actions.push(action);
    }
    return actions;
  }

  /**
   * Folds this process's exposure and usage data into the store (sketches merge, so processes
   * add up), and records `feature_adoption` for features with usage today.
   */
  async flush(): Promise<void> {
    const now = this.clock.now();
    for (const [flag, counter] of this.exposure.exposureCounters()) {
      counter.fold(now);
      for (const [day, sketch] of counter.exposedByDay) {
        await this.mergeSketch(`adoption|exposed|${flag}|${dayKey(day * DAY)}`, sketch);
      }
    }
    for (const [id, sketch] of this.usageByDay) await this.mergeSketch(`adoption|active|${id}`, sketch);
    this.usageByDay.clear();
    const today = dayKey(now);
    const features = new Set<string>();
    for await (const record of iterateRecords(this.store, Collections.metrics, 1000)) {
      const match = /^adoption\|active\|(.+)\|(\d{4}-\d{2}-\d{2})$/.exec(record.key);
      if (match && match[2] === today) features.add(match[1]!);
    }
    for (const feature of features) {
      const adoption = await this.adoption(feature);
      if (adoption.adoptionPercentage === null) continue;
      const flag = await this.flags.get(feature);
      const release = typeof flag?.metadata.release === 'string' ? flag.metadata.release : undefined;
      await this.record({ metric: 'feature_adoption', value: adoption.adoptionPercentage, feature, ...(release ? { release } : {}) });
    }
  }

  private async mergeSketch(key: string, sketch: HyperLogLog): Promise<void> {
    await updateRecord<{ registers: string }>(this.store, Collections.metrics, key, (current) => {
      const merged = current ? HyperLogLog.deserialize(current.value.registers) : new HyperLogLog();
      merged.merge(sketch);
      return { registers: merged.serialize() };
    });
  }

  /** Adoption of a feature on a UTC day (default today): exposed users, active users, and the ratio. */
  async adoption(feature: string, day: string = dayKey(this.clock.now())): Promise<Adoption> {
    const read = async (kind: 'exposed' | 'active') => {
      const stored = await this.store.get<{ registers: string }>(Collections.metrics, `adoption|${kind}|${feature}|${day}`);
      return stored ? HyperLogLog.deserialize(stored.value.registers) : new HyperLogLog();
    };
    const exposed = await read('exposed');
    const active = await read('active');
    const counter = this.exposure.exposureCounters().get(feature);
    if (counter) {
      counter.fold(this.clock.now());
      const local = counter.exposedByDay.get(Math.floor(Date.parse(`${day}T00:00:00Z`) / DAY));
      if (local) exposed.merge(local);
    }
    const unsaved = this.usageByDay.get(`${feature}|${day}`);
    if (unsaved) active.merge(unsaved);
    const exposedUsers = exposed.estimate();
    // A user who used the feature was exposed to it: never report more active than exposed users.
    const activeUsers = Math.min(active.estimate(), exposedUsers);
    return {
      feature,
      day,
      exposedUsers,
      activeUsers,
      adoptionPercentage: exposedUsers === 0 ? null : Math.round((activeUsers / exposedUsers) * 10_000) / 100,
      evaluations: { on: counter?.on ?? 0, off: counter?.off ?? 0 },
    };
  }

  /** A full report: metric statistics, thresholds, alerts, release health and flag exposure. */
  async report(options: { windowMs?: number } = {}): Promise<AnalyticsReport> {
    const windowMs = options.windowMs ?? this.evaluationWindowMs;
    const now = this.clock.now();
    const metrics = [];
    for (const series of await this.series()) {
      const recent = series.recent.filter((o) => o.at >= now - windowMs);
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
    for (const [key, counter] of this.exposure.exposureCounters()) {
      const adoption = await this.adoption(key);
      flags.push({ key, evaluationsOn: counter.on, evaluationsOff: counter.off, exposedUsersToday: adoption.exposedUsers });
    }
    flags.sort((a, b) => (a.key < b.key ? -1 : 1));
    return { generatedAt: now, windowMs, metrics, thresholds: this.thresholds(), alerts: await this.alerts(), releases, flags };
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function recommend(version: string, release: ReleaseView, rollingOut: boolean, metrics: readonly MetricHealth[], minimumSamples: number, windowMs: number): string[] {
  if (release.status === 'rolled_back') {
    return [`Release ${version} was rolled back (${release.rollback?.reason ?? 'no reason recorded'}): ship the fix as a new release.`];
  }
  const window = windowMs % 3_600_000 === 0 ? `${windowMs / 3_600_000} h` : `${Math.round(windowMs / 60_000)} min`;
  if (metrics.length === 0) {
    return release.status === 'released'
      ? [`Release ${version} is fully released; no metrics for it in the last ${window}.`]
      : [`No metrics for release ${version} in the last ${window}: record error_rate and crash_rate for it before advancing.`];
  }
  const advice: string[] = [];
  const active = rollingOut || release.status === 'planned';
  for (const m of metrics) {
    const where = `${m.metric} is ${round(m.value)} (must stay ${m.bad === 'above' ? 'below' : 'above'} ${m.limit})`;
    if (m.severity === 'critical') advice.push(`${where}: roll back release ${version} now and investigate.`);
    else if (m.severity === 'warning') advice.push(`${where}: hold release ${version} in its phase until it recovers.`);
    else if (active && m.samples < minimumSamples) advice.push(`${m.metric} has only ${m.samples} sample(s) in the last ${window}: wait for at least ${minimumSamples} before deciding.`);
  }
  if (advice.length === 0 && metrics.every((m) => m.severity === null)) {
    advice.push(
      release.status === 'released'
        ? `Release ${version} is fully released and its watched metrics are within their limits.`
        : `All watched metrics of release ${version} are within their limits: it is safe to advance.`,
    );
  }
  return advice;
}
