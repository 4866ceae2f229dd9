import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/analytics/guard-simulation.js';
import { webhookSignature } from '../../src/analytics/notifications.js';
import { Duration, FileStore, ManualClock, MemoryStore, NotFoundError, ValidationError, createPhasegate, type Phasegate, type Store } from '../../src/index.js';
import { userIds } from '../helpers.js';

const START = Date.UTC(2026, 3, 6);
const root = resolve(import.meta.dirname, '../..');
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(options: { store?: Store; secret?: string; at?: number } = {}): Promise<{ gate: Phasegate; clock: ManualClock; store: Store }> {
  const store = options.store ?? new MemoryStore();
  const clock = new ManualClock(options.at ?? START);
  const gate = await createPhasegate({ store, clock, ...(options.secret ? { analytics: { webhookSecret: options.secret } } : {}) });
  cleanups.push(() => gate.detach());
  return { gate, clock, store };
}

async function recordMany(gate: Phasegate, clock: ManualClock, metric: string, values: number[], release?: string): Promise<void> {
  for (const value of values) {
    clock.advance(Duration.minute);
    await gate.analytics.record({ metric, value, ...(release ? { release } : {}) });
  }
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'phasegate-guard-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on 127.0.0.1 that answers with the given statuses in turn (then 200). */
async function receiver(statuses: number[] = []): Promise<{ url: string; deliveries: Delivery[] }> {
  const deliveries: Delivery[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      deliveries.push({ headers: request.headers, body });
      response.statusCode = statuses.shift() ?? 200;
      response.end('ok');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  cleanups.push(() => new Promise<void>((done) => server.close(() => done())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, deliveries };
}

function child(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const process_ = execFile(process.execPath, ['--import', 'tsx', join(root, 'test/support/guard-child.ts'), ...args], { cwd: root, timeout: 60_000 }, (_error, stdout, stderr) => {
      done({ code: process_.exitCode, signal: process_.signalCode, stdout, stderr });
    });
  });
}

describe('metric series keys (issue 14 item 7)', () => {
  it("a metric of release '2.0.0|x' does not count toward release 2.0.0 nor roll it back", async () => {
    const { gate, clock } = await setup();
    await gate.releases.plan({ version: '2.0.0', type: 'minor', features: ['f'] });
    await gate.releases.start('2.0.0');
    await recordMany(gate, clock, 'error_rate', [50, 50, 50, 50, 50, 50], '2.0.0|x');
    expect(await gate.analytics.observations('error_rate', { release: '2.0.0' })).toEqual([]);
    expect(await gate.analytics.statistics('error_rate', { release: '2.0.0' })).toBeUndefined();
    await gate.tick();
    expect((await gate.releases.get('2.0.0'))!.status).toBe('in_progress');
    expect((await gate.analytics.statistics('error_rate', { release: '2.0.0|x' }))!.count).toBe(6);
  });

  it("a metric whose parts look like an adoption sketch (feature 'x|<today>') does not break tick()", async () => {
    const { gate, clock } = await setup();
    const today = new Date(clock.now()).toISOString().slice(0, 10);
    await gate.analytics.record({ metric: 'adoption', release: 'active', feature: `x|${today}`, value: 1 });
    await gate.flags.create({ key: 'x', state: 'enabled' });
    gate.isEnabled('x', { userId: 'u1' });
    gate.analytics.recordUsage('x', 'u1');
    gate.analytics.recordUsage(`x|${today}`, 'u2');
    await expect(gate.tick()).resolves.toBeDefined();
    await expect(gate.tick()).resolves.toBeDefined();
    expect((await gate.analytics.adoption('x')).activeUsers).toBe(1);
    expect((await gate.analytics.series('adoption')).map((s) => s.feature)).toEqual([`x|${today}`]);
  });

  it('refuses usage of an empty feature instead of breaking every later flush', async () => {
    const { gate } = await setup();
    expect(() => gate.analytics.recordUsage('', 'u1')).toThrow(ValidationError);
    expect(() => gate.analytics.recordUsage('f', 7 as unknown as string)).toThrow(/userId/);
    await expect(gate.tick()).resolves.toBeDefined();
  });
});

describe('health says what it knows (issue 15 items 7 and 9)', () => {
  it('a rolled-back release, a planned release and an unknown version do not report "100 healthy"', async () => {
    const { gate, clock } = await setup();
    await gate.releases.plan({ version: '2.1.0', type: 'minor', features: ['a'] });
    await gate.releases.plan({ version: '2.2.0', type: 'minor', features: ['b'] });
    await gate.releases.start('2.1.0');
    await recordMany(gate, clock, 'error_rate', [1, 1, 1, 1, 1], '2.1.0');
    expect(await gate.analytics.health('2.1.0')).toMatchObject({ status: 'healthy', score: 100 });
    await gate.releases.rollback('2.1.0', 'bad reviews');
    expect(await gate.analytics.health('2.1.0')).toMatchObject({ status: 'rolled_back', label: 'rolled back', score: null });
    expect(await gate.analytics.health('2.2.0')).toMatchObject({ status: 'no_data', label: 'no data', score: null });
    await expect(gate.analytics.health('9.9.9')).rejects.toThrow(NotFoundError);
    const report = await gate.analytics.report();
    expect(report.releases.find((r) => r.version === '2.1.0')!.health.status).toBe('rolled_back');
  });

  it('a running or released release with no recent data says "no data"', async () => {
    const { gate, clock } = await setup();
    await gate.releases.plan({ version: '1.0.0', type: 'hotfix', features: ['f'] });
    await gate.releases.start('1.0.0');
    expect((await gate.analytics.health('1.0.0')).status).toBe('no_data');
    await recordMany(gate, clock, 'error_rate', [1, 1, 1, 1, 1], '1.0.0');
    expect((await gate.analytics.health('1.0.0')).status).toBe('healthy');
    await gate.releases.complete('1.0.0');
    clock.advance(2 * Duration.hour);
    const health = await gate.analytics.health('1.0.0');
    expect(health).toMatchObject({ status: 'no_data', label: 'no data', score: null });
    expect(health.recommendations[0]).toMatch(/no metrics for it in the last 1 h, so its health is unknown/);
  });

  it('status --at T: health, series and alerts count only samples and alerts up to T', async () => {
    const { gate, clock, store } = await setup();
    await gate.releases.plan({ version: '1.0.0', type: 'minor', features: ['f'] });
    await gate.releases.start('1.0.0');
    await recordMany(gate, clock, 'error_rate', [1, 1, 1, 1, 1], '1.0.0');
    const t = clock.now();
    await recordMany(gate, clock, 'crash_rate', [30, 30, 30, 30, 30], '1.0.0'); // critical: rolls back, alerts
    expect((await gate.analytics.alerts()).length).toBe(1);
    const past = new ManualClock(t);
    const then = await createPhasegate({ store, clock: past });
    cleanups.push(() => then.detach());
    expect(await then.analytics.alerts()).toEqual([]);
    expect((await then.analytics.series()).flatMap((s) => s.recent).every((o) => o.at <= t)).toBe(true);
    const health = await then.analytics.health('1.0.0');
    expect(health.metrics.map((m) => m.metric)).toEqual(['error_rate']);
    expect(health.lastObservationAt).toBe(t);
  });
});

describe('thresholds, triggers and alerts in the store (issue 18)', () => {
  it('a threshold set in one process applies in another, and one breach is one alert whoever records it', async () => {
    const store = new MemoryStore();
    const a = await setup({ store });
    const b = await setup({ store });
    const cli = await setup({ store });
    await a.gate.analytics.setThreshold({ metric: 'checkout_ms', limit: 300, bad: 'above', critical: 600 });
    // 8 interleaved records of the same breach from three clients.
    await Promise.all(
      [a, b, cli, a, b, cli, a, b].map(async ({ gate }, i) => {
        await gate.analytics.record({ metric: 'checkout_ms', value: 900, at: START - i });
      }),
    );
    await Promise.all([a, b, cli].map(({ gate }) => gate.analytics.record({ metric: 'checkout_ms', value: 900 })));
    const alerts = await cli.gate.analytics.alerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ metric: 'checkout_ms', severity: 'critical', limit: 300, critical: 600 });
    expect(b.gate.analytics.thresholds()).toContainEqual({ metric: 'checkout_ms', limit: 300, bad: 'above', critical: 600 });
  });

  it('two processes and the CLI recording the same breach produce one alert (real processes, one FileStore)', async () => {
    const dir = tempDir();
    const at = String(START);
    // The directory holds FileStore data before anyone starts, so the CLI opens it as a FileStore too.
    await new FileStore(dir, { watch: false }).put('flags-seed', 'seed', { seeded: true }, 0);
    const cli = (): Promise<number> =>
      new Promise((done) => {
        const run = execFile(process.execPath, [join(root, 'dist/cli/main.js'), 'metric', 'record', 'error_rate', '20', '--store', dir, '--at', new Date(START).toISOString()], () =>
          done(run.exitCode ?? 1),
        );
      });
    const cliRuns = async () => {
      const codes = [];
      for (let i = 0; i < 8; i++) codes.push(await cli());
      return codes;
    };
    const [first, second, codes] = await Promise.all([child(['record', dir, at, '6']), child(['record', dir, at, '6']), cliRuns()]);
    for (const r of [first, second]) expect(r.stdout, r.stderr).toContain('recorded');
    expect(codes).toEqual(Array(8).fill(0));
    const store = new FileStore(dir, { watch: false });
    const { gate } = await setup({ store, at: START });
    expect((await gate.analytics.statistics('error_rate'))!.count).toBe(20);
    expect(await gate.analytics.alerts()).toHaveLength(1);
  }, 120_000);

  it("a release's own trigger breach raises an alert, with the trigger's limits", async () => {
    const { gate, clock } = await setup();
    await gate.releases.plan({
      version: '1.0.0',
      type: 'minor',
      features: ['f'],
      rollbackPlan: { triggers: [{ metric: 'error_rate', limit: 1, bad: 'above' }], steps: [{ action: 'disableFeatures', params: {} }] },
    });
    await gate.releases.start('1.0.0');
    await recordMany(gate, clock, 'error_rate', [3, 3, 3, 3, 3], '1.0.0');
    expect((await gate.releases.get('1.0.0'))!.status).toBe('rolled_back');
    const alerts = await gate.analytics.alerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ metric: 'error_rate', limit: 1, critical: 1.5, severity: 'critical', release: '1.0.0' });
  });

  it('critical is within reach near 100: a success rate of 60 against a floor of 99 with critical 95 rolls back', async () => {
    const { gate, clock } = await setup();
    await gate.releases.plan({
      version: '1.0.0',
      type: 'minor',
      features: ['f'],
      rollbackPlan: { triggers: [{ metric: 'success_rate', limit: 99, bad: 'below', critical: 95 }], steps: [] },
    });
    await gate.releases.start('1.0.0');
    await recordMany(gate, clock, 'success_rate', [60, 60, 60, 60, 60], '1.0.0');
    const release = (await gate.releases.get('1.0.0'))!;
    expect(release.status).toBe('rolled_back');
    expect(release.rollback!.breach).toMatchObject({ limit: 99, critical: 95, severity: 'critical' });
    // A critical limit on the good side is refused, naming the field.
    expect(() => gate.analytics.setThreshold({ metric: 'success_rate', limit: 99, bad: 'below', critical: 100 })).toThrow(/critical: must be below the limit 99/);
    await expect(
      gate.releases.plan({ version: '1.0.1', type: 'minor', rollbackPlan: { triggers: [{ metric: 'x', limit: 5, bad: 'above', critical: 4 }], steps: [] } }),
    ).rejects.toThrow(/critical/);
  });

  it('a release held by analytics whose metrics then stop stays held: silence is not evidence', async () => {
    const { gate, clock } = await setup();
    await gate.releases.plan({ version: '1.1.0', type: 'minor', features: ['f'] });
    await gate.releases.start('1.1.0');
    await recordMany(gate, clock, 'error_rate', [6.5, 6.5, 6.5, 6.5, 6.5], '1.1.0');
    expect((await gate.releases.progress('1.1.0')).held).toBe(true);
    for (let day = 0; day < 20; day++) {
      clock.advance(Duration.day);
      await gate.tick();
    }
    const progress = await gate.releases.progress('1.1.0');
    expect(progress).toMatchObject({ held: true, phase: 'beta', exposurePercentage: 5 });
    expect((await gate.analytics.health('1.1.0')).status).toBe('no_data');
    // Evidence lifts it: the metric back within its limit on enough samples.
    await recordMany(gate, clock, 'error_rate', [1, 1, 1, 1, 1], '1.1.0');
    expect((await gate.releases.progress('1.1.0')).held).toBe(false);
  });
});

describe('comparison against control (issue 18)', () => {
  const users = userIds(200_000);

  /** Outcomes from `count` users: errors at `treatmentRate` for users with the release, `controlRate` for the rest. */
  async function outcomes(gate: Phasegate, from: number, count: number, controlRate: number, treatmentRate: number, random: () => number): Promise<number> {
    let treated = 0;
    for (let i = from; i < from + count; i++) {
      const userId = users[i]!;
      const on = gate.isEnabled('checkout-v2', { userId });
      if (on) treated++;
      const error = random() < (on ? treatmentRate : controlRate) ? 1 : 0;
      const result = await gate.analytics.recordOutcome({ metric: 'checkout_error', value: error, userId });
      expect(result.arms).toEqual([{ release: '4.0.0', arm: on ? 'treatment' : 'control' }]);
      if ((await gate.releases.get('4.0.0'))!.status === 'rolled_back') break;
    }
    return treated;
  }

  async function guardedRelease(samplesBeforeAdvancing = 0) {
    const context = await setup();
    await context.gate.releases.plan({
      version: '4.0.0',
      type: 'minor',
      features: ['checkout-v2'],
      plan: {
        phases: [
          { name: 'canary', percentage: 10, durationMs: Duration.day },
          { name: 'half', percentage: 50, durationMs: Duration.day },
          { name: 'full', percentage: 100, durationMs: 0 },
        ],
      },
      rollbackPlan: { triggers: [], steps: [{ action: 'disableFeatures', params: {} }] },
    });
    await context.gate.releases.start('4.0.0');
    await context.gate.analytics.guardRelease('4.0.0', { metrics: [{ metric: 'checkout_error', bad: 'above' }], samplesBeforeAdvancing });
    return context;
  }

  it("rolls back a release that makes its users' checkouts fail more than everyone else's, and says why", async () => {
    const { gate, store, clock } = await guardedRelease();
    await outcomes(gate, 0, 20_000, 0.02, 0.2, seededRandom(3));
    const release = (await gate.releases.get('4.0.0'))!;
    expect(release.status).toBe('rolled_back');
    expect(release.rollback!.by).toBe('analytics');
    expect(release.rollback!.reason).toMatch(/^checkout_error of the release's users [\d.]+ is worse than everyone else's [\d.]+ \(difference \+[\d.]+, 95% always-valid interval \+[\d.]+ to \+[\d.]+\) in phase canary \(regression\)$/);
    expect(release.rollback!.breach!.comparison!.interval[0]).toBeGreaterThan(0);
    const alerts = await gate.analytics.alerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'comparison', metric: 'checkout_error', release: '4.0.0', severity: 'critical' });
    const health = await gate.analytics.health('4.0.0');
    expect(health.status).toBe('rolled_back');
    expect(health.comparisons[0]).toMatchObject({ metric: 'checkout_error', decision: 'regression' });
    // The decision is in the store: another process (or the CLI) sees it.
    const other = await createPhasegate({ store, clock: new ManualClock(clock.now()) });
    cleanups.push(() => other.detach());
    expect(await other.analytics.lastDecision('4.0.0')).toMatchObject({
      action: 'rolledBack',
      reason: release.rollback!.reason,
      comparisons: [{ metric: 'checkout_error', decision: 'regression' }],
    });
    expect(users.slice(0, 1000).some((userId) => gate.isEnabled('checkout-v2', { userId }))).toBe(false);
  });

  it('leaves a release that changes nothing alone, and shows both arms in its health', async () => {
    const { gate } = await guardedRelease();
    await outcomes(gate, 0, 6_000, 0.05, 0.05, seededRandom(4));
    expect((await gate.releases.get('4.0.0'))!.status).toBe('in_progress');
    const [comparison] = (await gate.analytics.health('4.0.0')).comparisons;
    expect(comparison!.decision).not.toBe('regression');
    expect(comparison!.treatment.count + comparison!.control.count).toBe(6_000);
    expect(comparison!.treatment.count / 6_000).toBeGreaterThan(0.08);
    expect(comparison!.treatment.count / 6_000).toBeLessThan(0.12);
    expect(comparison!.interval![0]).toBeLessThan(0);
    expect(comparison!.interval![1]).toBeGreaterThan(0);
  });

  it('holds the next phase while there is no evidence yet and too few observations, then moves on', async () => {
    const { gate, clock } = await guardedRelease(400);
    await outcomes(gate, 0, 1_000, 0.05, 0.05, seededRandom(5)); // about 100 from the release's users
    clock.advance(Duration.day + Duration.minute);
    const waiting = await gate.tick();
    expect(waiting.advanced).toEqual([]);
    expect(waiting.waiting[0]!.reason).toMatch(/^waiting for evidence: checkout_error has \d+ of 400 observations from the release's users$/);
    expect((await gate.releases.get('4.0.0'))!.hold).toBeNull(); // waiting is not a hold
    expect(await gate.analytics.lastDecision('4.0.0')).toMatchObject({ action: 'waiting', reason: waiting.waiting[0]!.reason });
    await outcomes(gate, 1_000, 4_000, 0.05, 0.05, seededRandom(6));
    const moved = await gate.tick();
    expect(moved.advanced).toEqual([{ version: '4.0.0', from: 'canary', to: 'half' }]);
  });

  it('refuses a guard for an unknown release or with a bad config, naming the field', async () => {
    const { gate } = await guardedRelease();
    await expect(gate.analytics.guardRelease('9.9.9', { metrics: [{ metric: 'x', bad: 'above' }] })).rejects.toThrow(NotFoundError);
    await expect(gate.analytics.guardRelease('4.0.0', { metrics: [] })).rejects.toThrow(/metrics: must name at least one metric/);
    await expect(gate.analytics.guardRelease('4.0.0', { metrics: [{ metric: 'x', bad: 'above' }], alpha: 0.9 })).rejects.toThrow(/alpha/);
    await expect(gate.analytics.recordOutcome({ metric: 'x', value: 1, userId: '' })).rejects.toThrow(/userId: must not be empty/);
  });
});

describe('notifications through the outbox (issue 18)', () => {
  const secret = 'test-secret';

  async function rollbackWithWebhook(url: string, options: { secret?: string; store?: Store } = {}) {
    const context = await setup(options);
    await context.gate.releases.plan({
      version: '5.0.0',
      type: 'minor',
      features: ['f'],
      rollbackPlan: {
        triggers: [{ metric: 'error_rate', limit: 5, bad: 'above' }],
        steps: [
          { action: 'disableFeatures', params: {} },
          { action: 'webhook', params: { url } },
        ],
      },
    });
    await context.gate.releases.start('5.0.0');
    await recordMany(context.gate, context.clock, 'error_rate', [20, 20, 20, 20, 20], '5.0.0');
    return context;
  }

  it('a rollback POSTs one signed JSON notification with an idempotency key, once', async () => {
    const hook = await receiver();
    const { gate } = await rollbackWithWebhook(hook.url, { secret });
    const release = (await gate.releases.get('5.0.0'))!;
    expect(release.rollback!.steps.map((s) => s.outcome)).toEqual(['done', 'queued']);
    const first = await gate.tick();
    expect(first.notifications.delivered).toHaveLength(1);
    await gate.tick();
    await gate.tick();
    expect(hook.deliveries).toHaveLength(1);
    const [delivery] = hook.deliveries;
    const body = JSON.parse(delivery!.body);
    expect(body).toMatchObject({ event: 'rollback', release: '5.0.0', by: 'analytics', breach: { metric: 'error_rate', severity: 'critical' } });
    expect(delivery!.headers['idempotency-key']).toBe(body.id);
    expect(delivery!.headers['x-phasegate-signature']).toBe(webhookSignature(secret, Number(delivery!.headers['x-phasegate-timestamp']), delivery!.body));
  });

  it('holds and alerts go to subscribed webhooks; a failing receiver is retried with backoff', async () => {
    const hook = await receiver([500]);
    const { gate, clock } = await setup({ secret });
    await gate.analytics.addWebhook({ url: hook.url, events: ['hold', 'alert'] });
    await gate.releases.plan({ version: '6.0.0', type: 'minor', features: ['f'] });
    await gate.releases.start('6.0.0');
    await recordMany(gate, clock, 'error_rate', [6, 6, 6, 6, 6], '6.0.0'); // warning: alert + hold
    const first = await gate.tick();
    expect(first.notifications.failed.length + first.notifications.delivered.length).toBe(2);
    expect(first.notifications.failed[0]).toMatchObject({ error: 'HTTP 500', attempts: 1, willRetryAt: clock.now() + 30_000 });
    const early = await gate.tick();
    expect(early.notifications.delivered).toEqual([]);
    clock.advance(31_000);
    const retried = await gate.tick();
    expect(retried.notifications.delivered).toHaveLength(1);
    // Three requests (one refused, then its retry), two notifications: the alert and the hold.
    expect(hook.deliveries).toHaveLength(3);
    expect(new Set(hook.deliveries.map((d) => JSON.parse(d.body).event))).toEqual(new Set(['alert', 'hold']));
    expect(new Set(hook.deliveries.map((d) => d.headers['idempotency-key'])).size).toBe(2);
    clock.advance(Duration.day);
    await gate.tick();
    expect(hook.deliveries).toHaveLength(3);
  });

  it('a corrupt outbox record is reported and never sent; a bad webhook URL is refused, naming the field', async () => {
    const hook = await receiver();
    const { gate, store } = await setup({ secret });
    await store.put('notifications-outbox', 'pg_00000000000000000000000000000000', { id: 'x', url: hook.url, body: '{}' }, 0);
    const result = await gate.tick();
    expect(result.notifications.invalid).toEqual(['pg_00000000000000000000000000000000']);
    expect(hook.deliveries).toEqual([]);
    await expect(gate.analytics.addWebhook({ url: 'ftp://example.com/x' })).rejects.toThrow(/url: must be an http\(s\) URL/);
    await expect(gate.analytics.addWebhook({ url: hook.url, events: [] })).rejects.toThrow(/events: must name at least one event/);
  });

  it('without a webhook secret nothing is sent unsigned, and tick says so', async () => {
    const hook = await receiver();
    const { gate } = await rollbackWithWebhook(hook.url);
    const result = await gate.tick();
    expect(result.notifications.unsigned).toBe(1);
    expect(hook.deliveries).toEqual([]);
    expect((await gate.analytics.notifications())[0]).toMatchObject({ state: 'pending', attempts: 0 });
  });

  it('`phasegate release tick` delivers what an app queued', async () => {
    const hook = await receiver();
    const dir = tempDir();
    const { gate } = await rollbackWithWebhook(hook.url, { store: new FileStore(dir, { watch: false }) });
    expect((await gate.tick()).notifications.unsigned).toBe(1); // the app has no secret: queued only
    const tick = (env: Record<string, string>) =>
      new Promise<string>((done) => {
        execFile(process.execPath, [join(root, 'dist/cli/main.js'), 'release', 'tick', '--store', dir, '--at', new Date(START + Duration.hour).toISOString()], { env: { ...process.env, ...env } }, (_e, stdout) =>
          done(stdout),
        );
      });
    expect(await tick({ PHASEGATE_WEBHOOK_SECRET: '' })).toMatch(/^WARNING: 1 notification\(s\) waiting: set PHASEGATE_WEBHOOK_SECRET to sign and send them$/m);
    expect(await tick({ PHASEGATE_WEBHOOK_SECRET: secret })).toMatch(/^notifications: 1 delivered$/m);
    expect(hook.deliveries).toHaveLength(1);
    expect(hook.deliveries[0]!.headers['x-phasegate-signature']).toBe(webhookSignature(secret, Number(hook.deliveries[0]!.headers['x-phasegate-timestamp']), hook.deliveries[0]!.body));
  }, 60_000);

  it('a process killed between the rollback and the delivery loses nothing: the next tick delivers exactly once', async () => {
    const hook = await receiver();
    const dir = tempDir();
    const died = await child(['decide-then-die', dir, hook.url, String(START)]);
    expect(died.stdout).toBe('decided\n');
    expect(died.signal).toBe('SIGKILL');
    expect(hook.deliveries).toEqual([]);
    // Two clients and the CLI's `release tick` run after the restart; the receiver sees one
    // delivery per idempotency key.
    const a = await setup({ store: new FileStore(dir, { watch: false }), secret, at: START + Duration.hour });
    const b = await setup({ store: new FileStore(dir, { watch: false }), secret, at: START + Duration.hour });
    expect((await a.gate.releases.get('3.0.0'))!.status).toBe('rolled_back');
    const cliTick = () =>
      new Promise<string>((done) => {
        execFile(
          process.execPath,
          [join(root, 'dist/cli/main.js'), 'release', 'tick', '--store', dir, '--at', new Date(START + Duration.hour).toISOString()],
          { env: { ...process.env, PHASEGATE_WEBHOOK_SECRET: secret } },
          (_error, stdout) => done(stdout),
        );
      });
    const [, , cliOutput] = await Promise.all([a.gate.tick(), b.gate.tick(), cliTick()]);
    expect(cliOutput).not.toMatch(/WARNING/);
    await a.gate.tick();
    await cliTick();
    expect(hook.deliveries).toHaveLength(1);
    expect(JSON.parse(hook.deliveries[0]!.body)).toMatchObject({ event: 'rollback', release: '3.0.0' });
  }, 90_000);
});

describe('retention (issue 14 item 14)', () => {
  it('prunes old observations, series, sketches, alerts and delivered notifications by the documented policy', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock(START);
    const gate = await createPhasegate({ store, clock, analytics: { retention: { observationDays: 2, adoptionDays: 3, alertDays: 4 } } });
    cleanups.push(() => gate.detach());
    await gate.flags.create({ key: 'f', state: 'enabled' });
    await gate.analytics.setThreshold({ metric: 'old_metric', limit: 1, bad: 'above' });
    for (let day = 0; day < 10; day++) {
      for (let i = 0; i < 5; i++) await gate.analytics.record({ metric: 'old_metric', value: day % 2 ? 0 : 10, feature: day < 3 ? 'gone' : 'kept' });
      gate.isEnabled('f', { userId: `u${day}` });
      gate.analytics.recordUsage('f', `u${day}`);
      await gate.analytics.flush();
      clock.advance(Duration.day);
    }
    // Records from before keys were structured are not read any more, and go once they are old.
    await store.put('metrics', 'old_metric||gone', { metric: 'old_metric', release: null, feature: 'gone', count: 1, sum: 1, min: 1, max: 1, recent: [{ value: 1, at: START }] }, 0);
    await store.put('metrics', 'old_metric||fresh', { metric: 'old_metric', release: null, feature: 'fresh', count: 1, sum: 1, min: 1, max: 1, recent: [{ value: 1, at: clock.now() }] }, 0);
    await store.put('metrics', 'adoption|active|f|2026-04-06', { registers: '' }, 0);
    await gate.analytics.prune();
    expect((await store.list('metrics')).map((r) => r.key).filter((key) => !key.startsWith('['))).toEqual(['old_metric||fresh']);
    const series = await gate.analytics.series('old_metric');
    expect(series.map((s) => s.feature)).toEqual(['kept']);
    expect(Math.min(...series[0]!.recent.map((o) => o.at))).toBeGreaterThanOrEqual(clock.now() - 2 * Duration.day);
    const days = (await store.list('metrics', { prefix: '["adoption",' })).map((r) => JSON.parse(r.key)[3] as string);
    expect(days.length).toBeGreaterThan(0);
    expect(days.every((day) => day >= new Date(clock.now() - 3 * Duration.day).toISOString().slice(0, 10))).toBe(true);
    const alerts = await gate.analytics.alerts(1000);
    expect(alerts.length).toBeGreaterThan(0);
    expect(alerts.every((a) => a.at >= clock.now() - 4 * Duration.day)).toBe(true);
    await expect(createPhasegate({ store: new MemoryStore(), analytics: { retention: { alertDays: 0 } } })).rejects.toThrow(/retention.alertDays: must be a number above 0/);
  });
});

describe('the CLI shows what health knows (issue 15 item 7)', () => {
  function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((done) => {
      const run = execFile(process.execPath, [join(root, 'dist/cli/main.js'), ...args], { env: { ...process.env, ...env } }, (_error, stdout, stderr) =>
        done({ code: run.exitCode ?? 1, stdout, stderr }),
      );
    });
  }

  it('`metric health 9.9.9` exits 1; a rolled-back release says so on the status screen, not "100 healthy"', async () => {
    const store = join(tempDir(), 'store');
    // An existing (empty) store: reading one that does not exist is a different error.
    expect((await cli(['init', '--store', store])).code).toBe(0);
    const missing = await cli(['metric', 'health', '9.9.9', '--store', store]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Release '9\.9\.9' not found/);
    await cli(['release', 'plan', '2.1.0', '--type', 'minor', '--features', 'compose', '--store', store]);
    await cli(['release', 'plan', '2.2.0', '--type', 'minor', '--store', store]);
    await cli(['release', 'start', '2.1.0', '--store', store]);
    const rollback = await cli(['release', 'rollback', '2.1.0', '--reason', 'too slow', '--store', store]);
    // The default plan's 'notify' step has no handler in a CLI process: said loudly, not recorded silently.
    expect(rollback.stdout).toMatch(/^WARNING: rollback step 'notify' has no handler in this process; nothing was done for it \(use a 'webhook' step\)$/m);
    const health = await cli(['metric', 'health', '2.1.0', '--store', store]);
    expect(health.stdout).toMatch(/^release 2\.1\.0: rolled back\n/);
    expect((await cli(['metric', 'health', '2.2.0', '--store', store])).stdout).toMatch(/^release 2\.2\.0: no data\n/);
    const status = await cli(['status', '--store', store]);
    expect(status.stdout).toMatch(/2\.1\.0 +rolled_back .* health rolled back/);
    expect(status.stdout).not.toMatch(/100 healthy/);
  }, 60_000);
});

describe('alerts depend on the shared history, not on who recorded it (property)', () => {
  it('any interleaving of three clients raises exactly the alerts one client would', async () => {
    const { default: fc } = await import('fast-check');
    const { breachOf } = await import('../../src/index.js');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.constantFrom(0, 4, 6, 9, 20)), { minLength: 1, maxLength: 25 }), async (steps) => {
        const store = new MemoryStore();
        const clients = await Promise.all([0, 1, 2].map(() => createPhasegate({ store, clock: new ManualClock(START), analytics: { minimumSamples: 1 } })));
        try {
          // The model: the windowed mean after each sample, and the alert state machine.
          const values: number[] = [];
          let state: 'warning' | 'critical' | null = null;
          let expected = 0;
          for (const [client, value] of steps) {
            await clients[client]!.analytics.record({ metric: 'error_rate', value });
            values.push(value);
            const severity = breachOf(values.reduce((a, b) => a + b, 0) / values.length, 5, 'above', 7.5);
            if (severity === null) state = null;
            else if (state !== severity && state !== 'critical') {
              state = severity;
              expected++;
            }
          }
          expect(await clients[0]!.analytics.alerts(1000)).toHaveLength(expected);
        } finally {
          for (const client of clients) client.detach();
        }
      }),
      { numRuns: 40 },
    );
  });
});
