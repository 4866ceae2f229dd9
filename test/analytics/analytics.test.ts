import { describe, expect, it, vi } from 'vitest';
import { ALERT_HISTORY_LIMIT } from '../../src/internals/index.js';
import {
  Duration,
  ManualClock,
  MemoryStore,
  ValidationError,
  createPhasegate,
  toPrometheus,
  type Alert,
  type Phasegate,
} from '../../src/index.js';
import { userIds } from '../helpers.js';

const START = Date.UTC(2026, 3, 6);

async function setup(store = new MemoryStore()): Promise<{ gate: Phasegate; clock: ManualClock }> {
  const clock = new ManualClock(START);
  return { gate: await createPhasegate({ store, clock }), clock };
}

async function recordMany(gate: Phasegate, clock: ManualClock, metric: string, values: number[], release?: string): Promise<void> {
  for (const value of values) {
    clock.advance(Duration.minute);
    await gate.analytics.record({ metric, value, ...(release ? { release } : {}) });
  }
}

const users = userIds(10_000);

describe('guarded rollouts', () => {
  it('holds a release whose error rate climbs during beta, then rolls it back automatically', async () => {
    const { gate, clock } = await setup();
    const events: string[] = [];
    gate.events.on('release:held', ({ reason }) => events.push(`held: ${reason}`));
    gate.events.on('release:rolledBack', ({ rollback }) => events.push(`rolled back: ${rollback.reason}`));
    await gate.releases.plan({ version: '2.0.0', type: 'major', features: ['new-search'] });
    await gate.releases.start('2.0.0');
    await recordMany(gate, clock, 'error_rate', [1, 1.2, 0.9, 1.1, 1], '2.0.0');
    clock.set(START + 24 * Duration.hour);
    await gate.tick();
    expect((await gate.releases.progress('2.0.0')).phase).toBe('beta');
    expect(users.filter((userId) => gate.isEnabled('new-search', { userId })).length).toBeGreaterThan(0);

    // The error rate climbs: mean 6 over the last hour → 20% over the limit of 5 → warning → hold.
    clock.advance(2 * Duration.hour);
    await recordMany(gate, clock, 'error_rate', [6, 6, 6, 6, 6], '2.0.0');
    expect(await gate.releases.progress('2.0.0')).toMatchObject({ phase: 'beta', held: true });
    clock.advance(5 * Duration.day);
    await gate.tick();
    expect((await gate.releases.progress('2.0.0')).phase).toBe('beta');

    // It keeps climbing: mean over 7.5 → critical → automatic rollback.
    await recordMany(gate, clock, 'error_rate', [12, 12, 12, 12, 12], '2.0.0');
    const release = (await gate.releases.get('2.0.0'))!;
    expect(release.status).toBe('rolled_back');
    expect(release.rollback).toMatchObject({ by: 'analytics', phase: 'beta', breach: { metric: 'error_rate', limit: 5, bad: 'above', phase: 'beta', severity: 'critical' } });
    expect(release.rollback!.breach!.value).toBeGreaterThan(7.5);
    expect(release.rollback!.reason).toMatch(/^error_rate [\d.]+ is above its limit 5 in phase beta \(critical\)$/);
    expect(users.filter((userId) => gate.isEnabled('new-search', { userId }))).toEqual([]);
    expect(events[0]).toMatch(/^held: error_rate 6 is above its limit 5 in phase beta \(warning\)$/);
    expect(events[1]).toMatch(/^rolled back: error_rate/);
  });

  it('lifts its own hold once the metric recovers', async () => {
    const { gate, clock } = await setup();
    await gate.releases.plan({ version: '1.1.0', type: 'minor', features: ['f'] });
    await gate.releases.start('1.1.0');
    await recordMany(gate, clock, 'error_rate', [6, 6, 6, 6, 6], '1.1.0');
    expect((await gate.releases.progress('1.1.0')).held).toBe(true);
    clock.advance(2 * Duration.hour);
    await recordMany(gate, clock, 'error_rate', [1, 1, 1, 1, 1], '1.1.0');
    expect((await gate.releases.progress('1.1.0')).held).toBe(false);
  });

  it('does not act on fewer samples than the minimum', async () => {
    const { gate, clock } = await setup();
    await gate.releases.plan({ version: '1.2.0', type: 'minor', features: ['f'] });
    await gate.releases.start('1.2.0');
    await recordMany(gate, clock, 'error_rate', [90, 90, 90, 90], '1.2.0');
    expect((await gate.releases.get('1.2.0'))!.status).toBe('in_progress');
    expect(await gate.analytics.alerts()).toEqual([]);
  });

  it('runs a healthy release to completion', async () => {
    const { gate, clock } = await setup();
    await gate.releases.plan({ version: '1.3.0', type: 'minor', features: ['f'] });
    await gate.releases.start('1.3.0');
    for (let hour = 0; hour < 24 * 8; hour += 6) {
      clock.set(START + hour * Duration.hour);
      await gate.analytics.record({ metric: 'error_rate', value: 1 + (hour % 3) / 10, release: '1.3.0' });
      await gate.analytics.record({ metric: 'user_satisfaction', value: 4.5, release: '1.3.0' });
      await gate.tick();
    }
    expect((await gate.releases.get('1.3.0'))!.status).toBe('released');
    expect(await gate.analytics.alerts()).toEqual([]);
  });
});

describe('thresholds and alerts', () => {
  it('satisfaction above its limit raises nothing; below it alerts once per severity', async () => {
    const { gate, clock } = await setup();
    const alerts: Alert[] = [];
    gate.events.on('analytics:alert', (alert) => alerts.push(alert));
    await recordMany(gate, clock, 'user_satisfaction', [4.8, 4.9, 5, 4.7, 4.9, 5]);
    expect(alerts).toEqual([]);
    await recordMany(gate, clock, 'user_satisfaction', Array(60).fill(2.5));
    expect(alerts.map((a) => [a.metric, a.severity, a.bad])).toEqual([['user_satisfaction', 'warning', 'below']]);
    await recordMany(gate, clock, 'user_satisfaction', Array(60).fill(1));
    expect(alerts.map((a) => a.severity)).toEqual(['warning', 'critical']);
    expect((await gate.analytics.alerts()).map((a) => a.severity)).toEqual(['critical', 'warning']);
  });

  it('custom metrics declare their own direction', async () => {
    const { gate, clock } = await setup();
    gate.analytics.setThreshold({ metric: 'p99_latency_ms', limit: 300, bad: 'above' });
    gate.analytics.setThreshold({ metric: 'conversion', limit: 2, bad: 'below' });
    await recordMany(gate, clock, 'p99_latency_ms', [500, 500, 500, 500, 500]);
    await recordMany(gate, clock, 'conversion', [3, 3, 3, 3, 3]);
    expect((await gate.analytics.alerts()).map((a) => `${a.metric}:${a.severity}`)).toEqual(['p99_latency_ms:critical']);
    expect(() => gate.analytics.setThreshold({ metric: 'x', limit: 1, bad: 'sideways' as never })).toThrow(ValidationError);
  });

  it('keeps a bounded, persisted alert history and never prints', async () => {
    const log = vi.spyOn(console, 'log');
    const warn = vi.spyOn(console, 'warn');
    const error = vi.spyOn(console, 'error');
    const clock = new ManualClock(START);
    const store = new MemoryStore();
    // One sample is enough here, and every breach follows a recovery, so each one alerts anew.
    const gate = await createPhasegate({ store, clock, analytics: { minimumSamples: 1 } });
    gate.analytics.setThreshold({ metric: 'flappy', limit: 10, bad: 'above' });
    for (let i = 0; i < 2 * (ALERT_HISTORY_LIMIT + 30); i++) {
      clock.advance(2 * Duration.hour);
      await gate.analytics.record({ metric: 'flappy', value: i % 2 === 0 ? 100 : 1 });
    }
    expect(await store.count('alerts')).toBe(ALERT_HISTORY_LIMIT);
    const kept = await (await createPhasegate({ store, clock })).analytics.alerts(1000);
    expect(kept).toHaveLength(ALERT_HISTORY_LIMIT);
    expect(kept[0]!.at).toBe(clock.now() - 2 * Duration.hour); // newest first, oldest dropped
    expect(log).not.toHaveBeenCalled();
    expect(warn).not.toHaveBeenCalled();
    expect(error).not.toHaveBeenCalled();
  });

  it('rejects bad samples with the field named', async () => {
    const { gate } = await setup();
    await expect(gate.analytics.record({ metric: 'error rate', value: 1 })).rejects.toThrow(/metric: must be letters, digits and "_"/);
    await expect(gate.analytics.record({ metric: 'x', value: Number.NaN })).rejects.toThrow(/value: /);
  });
});

describe('health', () => {
  it('counts only the release asked about, and recommends in plain words', async () => {
    const { gate, clock } = await setup();
    await gate.releases.plan({ version: '1.0.0', type: 'minor' });
    await gate.releases.plan({ version: '2.0.0', type: 'minor' });
    await recordMany(gate, clock, 'error_rate', [20, 20, 20, 20, 20], '1.0.0');
    await recordMany(gate, clock, 'error_rate', [1, 1, 1, 1, 1], '2.0.0');
    await recordMany(gate, clock, 'user_satisfaction', [4.5, 4.6, 4.4, 4.5, 4.5], '2.0.0');
    const bad = await gate.analytics.health('1.0.0');
    const good = await gate.analytics.health('2.0.0');
    expect(bad).toMatchObject({ status: 'critical', score: 60, metrics: [{ metric: 'error_rate', value: 20, severity: 'critical' }] });
    expect(bad.recommendations[0]).toBe('error_rate is 20 (must stay below 5): roll back release 1.0.0 now and investigate.');
    expect(good).toMatchObject({ status: 'healthy', score: 100 });
    expect(good.recommendations).toEqual(['All watched metrics of release 2.0.0 are within their limits: it is safe to advance.']);
    // 3.0.0 must exist to have a health at all (issue 15 item 7); planned, it has no data.
    await gate.releases.plan({ version: '3.0.0', type: 'minor' });
    expect((await gate.analytics.health('3.0.0')).recommendations[0]).toBe('No metrics for release 3.0.0 in the last 1 h: record error_rate and crash_rate for it before advancing.');
    await gate.releases.start('1.0.0');
    await gate.tick(); // the guard sees its critical error rate and rolls it back
    expect((await gate.releases.get('1.0.0'))!.status).toBe('rolled_back');
    expect((await gate.analytics.health('1.0.0')).recommendations).toEqual([
      expect.stringMatching(/^Release 1\.0\.0 was rolled back \(error_rate 20 is above its limit 5 in phase beta \(critical\)\): ship the fix as a new release\.$/),
    ]);
  });

  it('survives a restart: aggregates come back from the store', async () => {
    const store = new MemoryStore();
    const { gate, clock } = await setup(store);
    await recordMany(gate, clock, 'error_rate', [1, 2, 3, 4, 5], '1.0.0');
    const before = await gate.analytics.statistics('error_rate', { release: '1.0.0' });
    const again = await createPhasegate({ store, clock });
    expect(await again.analytics.statistics('error_rate', { release: '1.0.0' })).toEqual(before);
    expect(before).toMatchObject({ count: 5, mean: 3, trend: 'increasing' });
  });
});

describe('exposure and adoption', () => {
  it('counts evaluations by outcome and adoption from real exposure and usage', async () => {
    const { gate } = await setup();
    await gate.flags.create({ key: 'f', state: 'rollout', strategy: { type: 'percentage', percentage: 20 } });
    let on = 0;
    for (const userId of users) if (gate.isEnabled('f', { userId })) on++;
    for (const userId of users.slice(0, 100)) gate.isEnabled('f', { userId }); // repeats add evaluations, not users
    let used = 0;
    for (const userId of users) {
      if (gate.isEnabled('f', { userId }) && Number(userId.slice(2)) % 4 === 0) {
        gate.analytics.recordUsage('f', userId);
        used++;
      }
    }
    await gate.analytics.flush();
    const adoption = await gate.analytics.adoption('f');
    expect(adoption.evaluations.on + adoption.evaluations.off).toBe(2 * users.length + 100);
    expect(Math.abs(adoption.exposedUsers - on) / on).toBeLessThan(0.05);
    expect(Math.abs(adoption.activeUsers - used) / used).toBeLessThan(0.05);
    expect(adoption.adoptionPercentage).toBeGreaterThan(20);
    expect(adoption.adoptionPercentage).toBeLessThan(30);
    // flush recorded the adoption as a metric too.
    expect((await gate.analytics.statistics('feature_adoption', { feature: 'f' }))!.latest).toBe(adoption.adoptionPercentage);
  });

  it('can be turned off', async () => {
    const gate = await createPhasegate({ store: new MemoryStore(), trackExposure: false });
    await gate.flags.create({ key: 'f', state: 'enabled' });
    gate.isEnabled('f', { userId: 'u' });
    expect((await gate.analytics.adoption('f')).evaluations).toEqual({ on: 0, off: 0 });
  });
});

/** A strict parser of the Prometheus text exposition format (0.0.4). */
function parsePrometheus(text: string): Map<string, { type: string; samples: Array<{ labels: Record<string, string>; value: number }> }> {
  const families = new Map<string, { type: string; samples: Array<{ labels: Record<string, string>; value: number }> }>();
  expect(text.endsWith('\n')).toBe(true);
  const name = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const sample = new RegExp(`^(${name})(?:\\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*",?)*)\\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)$`);
  let current: string | undefined;
  for (const line of text.trimEnd().split('\n')) {
    if (line.startsWith('# HELP ')) {
      current = line.split(' ')[2]!;
      expect(families.has(current), `family ${current} declared twice`).toBe(false);
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [, , family, type] = line.split(' ');
      expect(family).toBe(current);
      expect(['gauge', 'counter']).toContain(type);
      families.set(family!, { type: type!, samples: [] });
      continue;
    }
    const match = sample.exec(line);
    expect(match, `not a valid sample line: ${line}`).not.toBeNull();
    expect(match![1]).toBe(current);
    const labels: Record<string, string> = {};
    for (const pair of (match![2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!.replace(/\\n/g, '\n').replace(/\\(.)/g, '$1');
    families.get(current!)!.samples.push({ labels, value: Number(match![3]) });
  }
  return families;
}

describe('reports', () => {
  async function busyGate() {
    const { gate, clock } = await setup();
    await gate.releases.plan({ version: '2.0.0', type: 'major', features: ['new-search'] });
    await gate.releases.start('2.0.0');
    await recordMany(gate, clock, 'error_rate', [1, 2, 1, 2, 1], '2.0.0');
    await recordMany(gate, clock, 'user_satisfaction', [2, 2, 2, 2, 2], '2.0.0');
    gate.analytics.setThreshold({ metric: 'weird_name', limit: 1, bad: 'above' });
    await gate.analytics.record({ metric: 'weird_name', value: 3, feature: 'quote"back\\slash' });
    for (const userId of users.slice(0, 500)) gate.isEnabled('new-search', { userId });
    return gate;
  }

  it('round-trips as JSON', async () => {
    const gate = await busyGate();
    const report = await gate.analytics.report();
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    expect(report.releases[0]).toMatchObject({ version: '2.0.0', phase: 'alpha', exposurePercentage: 1 });
    expect(report.metrics.map((m) => m.metric).sort()).toEqual(['error_rate', 'user_satisfaction', 'weird_name']);
    expect(report.flags[0]).toMatchObject({ key: 'new-search', evaluationsOn: expect.any(Number) });
    expect(report.flags[0]!.evaluationsOn + report.flags[0]!.evaluationsOff).toBe(500);
  });

  it('renders Prometheus text that parses', async () => {
    const gate = await busyGate();
    const families = parsePrometheus(toPrometheus(await gate.analytics.report()));
    expect(families.get('phasegate_metric_mean')!.samples).toContainEqual({ labels: { metric: 'error_rate', release: '2.0.0' }, value: 1.4 });
    expect(families.get('phasegate_metric_mean')!.samples).toContainEqual({ labels: { metric: 'weird_name', feature: 'quote"back\\slash' }, value: 3 });
    expect(families.get('phasegate_flag_evaluations_total')!.type).toBe('counter');
    expect(families.get('phasegate_release_health_score')!.samples[0]).toEqual({ labels: { release: '2.0.0', status: 'warning' }, value: 80 });
    expect(families.get('phasegate_metric_threshold')!.samples).toContainEqual({ labels: { metric: 'user_satisfaction', bad: 'below' }, value: 3 });
  });
});
