/**
 * The 12-week rollout demo (`npm run demo`).
 *
 * On the embedded store (in ./.phasegate-demo: SQLite when better-sqlite3 is installed, else
 * FileStore) with a simulated clock and 100,000 synthetic users: flags, an early-access cohort,
 * a major release walked through every phase over 12 weeks with metrics recorded along the way,
 * and a bad release that is held and then rolled back automatically. Ends with the terminal
 * dashboard and an HTML dashboard.
 *
 * Options (after `npm run demo --`):
 *   --users <n>       how many synthetic users (default 100,000; `--users 1000000` runs at a million)
 *   --store memory    run on a MemoryStore instead of the embedded store (nothing is kept)
 *
 * Afterwards, explore the same store with the CLI, e.g.
 *   npx phasegate status --store .phasegate-demo --at 2026-03-30T00:00:00Z
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  Duration,
  ManualClock,
  MemoryStore,
  createPhasegate,
  type AccessLevel,
  type Phasegate,
} from 'phasegate';
import { gatherOverview, renderDashboardHtml, renderStatus } from 'phasegate/dashboard';
import { openEmbeddedStore } from 'phasegate/sqlite';

const { values: options } = parseArgs({
  options: { users: { type: 'string', default: '100000' }, store: { type: 'string', default: 'embedded' } },
});
const USERS = Number(options.users);
if (!Number.isSafeInteger(USERS) || USERS < 20_000) throw new Error(`--users must be a whole number of at least 20,000 (the early-access cohort picks every 97th user), got '${options.users}'`);
if (options.store !== 'embedded' && options.store !== 'memory') throw new Error(`--store must be 'embedded' or 'memory', got '${options.store}'`);
const WEEKS = 12;
const STORE = resolve(process.env.PHASEGATE_DEMO_STORE ?? '.phasegate-demo');
const START = Date.UTC(2026, 0, 5);

/** A small deterministic pseudo-random generator, so every run tells the same story. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}
const noise = random(2026);

async function earlyAccessCohort(gate: Phasegate, users: readonly string[]): Promise<void> {
  await gate.earlyAccess.createFeature({ key: 'ai-assist', description: 'Writing assistant', level: 'beta', cap: 120 });
  await gate.earlyAccess.createFeature({ key: 'bulk-export', description: 'Export everything at once', level: 'preview', rolloutPercentage: 50 });
  const levels: AccessLevel[] = ['alpha', 'beta', 'beta', 'preview', 'preview'];
  for (let i = 0; i < 200; i++) {
    const userId = users[i * 97]!;
    await gate.earlyAccess.enroll({ userId, email: `tester${i}@example.com`, level: levels[i % levels.length]! });
    if (i % 10 === 9) continue; // still pending
    await gate.earlyAccess.approve(userId);
    if (i % 10 === 8) continue; // approved, not yet active
    await gate.earlyAccess.activate(userId);
    if (i % 25 === 3) await gate.earlyAccess.suspend(userId, 'shared screenshots publicly');
    else if (i % 20 === 5) await gate.earlyAccess.graduate(userId);
    else if (i % 4 === 0 && (await gate.earlyAccess.hasFeature(userId, 'ai-assist'))) {
      await gate.earlyAccess.feedback(userId, 'ai-assist', { rating: 3 + (i % 3), text: 'Useful for first drafts' });
    }
  }
}

/**
 * One pass over every user: who has `feature` now (into `now`, one byte per user: a million
 * users cost a megabyte, not a Set of a million strings), how many, and a third of them use it.
 * Throws if a user who had it last week lost it: exposure only ever grows.
 */
function exposure(gate: Phasegate, feature: string, users: readonly string[], previous: Uint8Array, now: Uint8Array): number {
  let on = 0;
  for (let i = 0; i < users.length; i++) {
    const userId = users[i]!;
    const enabled = gate.isEnabled(feature, { userId });
    now[i] = enabled ? 1 : 0;
    if (!enabled) {
      if (previous[i] === 1) throw new Error(`user ${userId} lost ${feature}: monotonicity broken`);
      continue;
    }
    on++;
    // A third of exposed users actually use the feature today.
    if (userId.charCodeAt(userId.length - 1) % 3 === 0) gate.analytics.recordUsage(feature, userId);
  }
  return on;
}

async function main(): Promise<void> {
  const started = Date.now();
  await rm(STORE, { recursive: true, force: true });
  const clock = new ManualClock(START);
  const gate = await createPhasegate({
    store: options.store === 'memory' ? new MemoryStore() : await openEmbeddedStore(STORE),
    clock,
    // Metrics arrive every 6 hours in this simulation: judge them over a day, from 4 samples.
    // Keep all 12 weeks of observations (default retention: 30 days) for the closing dashboard.
    analytics: { evaluationWindowMs: Duration.day, minimumSamples: 4, retention: { observationDays: 7 * WEEKS + 7 } },
  });
  const users = Array.from({ length: USERS }, (_, i) => `user-${i}`);
  const log = (text: string) => console.log(text);
  gate.events.on('release:phaseChanged', ({ release, from, to, percentage }) => log(`        ↳ ${release.version}: ${from} → ${to} (${percentage}%)`));
  gate.events.on('release:completed', ({ release }) => log(`        ↳ ${release.version} released to everyone`));
  gate.events.on('release:held', ({ release, reason }) => log(`        ↳ ${release.version} HELD: ${reason}`));
  gate.events.on('release:rolledBack', ({ release, rollback }) => log(`        ↳ ${release.version} ROLLED BACK: ${rollback.reason}`));
  gate.events.on('release:rollbackStep', ({ version, step }) => log(`        ↳ ${version} rollback step '${step.action}' handed to the on-call rota`));

  log(`phasegate demo — ${USERS.toLocaleString('en')} users, ${WEEKS} simulated weeks, store ${STORE}\n`);
  await gate.flags.create({ key: 'dark-mode', description: 'Dark theme for staff first', state: 'rollout', strategy: { type: 'ring', rings: ['internal', 'canary'] } });
  await gate.flags.create({ key: 'checkout-v2', description: 'New checkout at a fixed 12.5%', state: 'rollout', strategy: { type: 'percentage', percentage: 12.5 } });
  await gate.flags.create({ key: 'legacy-search', description: 'Old search, going away', state: 'deprecated' });
  log('flags: dark-mode (rings), checkout-v2 (12.5%), legacy-search (deprecated)');
  await earlyAccessCohort(gate, users);
  const ea = await gate.earlyAccess.stats();
  log(`early access: ${ea.members.total} members (${ea.members.byStatus.active} active), ai-assist seats ${ea.features[0]!.seatsUsed}/${ea.features[0]!.cap}\n`);

  await gate.releases.plan({
    version: '2.0.0',
    type: 'major',
    description: 'New search and navigation',
    features: ['new-search', 'new-nav'],
    plan: {
      phases: [
        { name: 'alpha', percentage: 1, durationMs: Duration.week },
        { name: 'beta', percentage: 5, durationMs: 2 * Duration.week },
        { name: 'early-access', percentage: 20, durationMs: 3 * Duration.week },
        { name: 'gradual', percentage: 50, durationMs: 6 * Duration.week },
        { name: 'full', percentage: 100, durationMs: 0 },
      ],
    },
  });
  await gate.releases.start('2.0.0', { by: 'release-manager' });
  await gate.releases.plan({
    version: '2.1.0',
    type: 'minor',
    description: 'Smart compose',
    features: ['smart-compose'],
    plan: {
      phases: [
        { name: 'beta', percentage: 5, durationMs: 72 * Duration.hour },
        { name: 'early-access', percentage: 20, durationMs: Duration.week },
        { name: 'full', percentage: 100, durationMs: 0 },
      ],
    },
  });

  log('week  2.0.0 phase    exposure  users with new-search  2.1.0');
  let previous = new Uint8Array(USERS);
  let now = new Uint8Array(USERS);
  for (let day = 0; day <= WEEKS * 7; day++) {
    if (day === 21) await gate.releases.start('2.1.0', { by: 'release-manager' });
    for (let quarter = 0; quarter < 4; quarter++) {
      clock.set(START + day * Duration.day + quarter * 6 * Duration.hour);
      await gate.analytics.record({ metric: 'error_rate', value: 0.8 + noise() * 0.6, release: '2.0.0' });
      await gate.analytics.record({ metric: 'user_satisfaction', value: 4 + noise() * 0.6, release: '2.0.0' });
      const compose = await gate.releases.get('2.1.0');
      if (compose && ['in_progress', 'testing', 'staging'].includes(compose.status)) {
        // 2.1.0 breaks under load: its error rate climbs by the hour from launch.
        const hours = (clock.now() - (START + 21 * Duration.day)) / Duration.hour;
        await gate.analytics.record({ metric: 'error_rate', value: 1 + 0.12 * hours + noise() * 0.3, release: '2.1.0' });
      }
    }
    await gate.tick();
    if (day % 7 === 0) {
      const week = day / 7;
      const progress = await gate.releases.progress('2.0.0');
      const on = exposure(gate, 'new-search', users, previous, now);
      [previous, now] = [now, previous];
      await gate.analytics.flush(); // adoption today = users of new-search over users exposed to it
      const compose = await gate.releases.progress('2.1.0');
      log(
        `${String(week).padStart(4)}  ${(progress.phase ?? '-').padEnd(13)}  ${`${progress.exposurePercentage}%`.padStart(8)}  ${on.toLocaleString('en').padStart(21)}  ${compose.status}${compose.held ? ' (held)' : ''}`,
      );
    }
  }

  const overview = await gatherOverview(gate);
  const html = resolve(STORE, 'dashboard.html');
  await mkdir(STORE, { recursive: true, mode: 0o700 });
  await writeFile(html, renderDashboardHtml(overview));
  log(`\n${renderStatus(overview)}\n`);
  log(`HTML dashboard: ${html}`);
  log(`finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  await gate.close();
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
