import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  Duration,
  FileStore,
  IllegalTransitionError,
  ManualClock,
  MemoryStore,
  NotFoundError,
  ValidationError,
  bucketOf,
  createPhasegate,
  thresholdFor,
  type Phasegate,
  type Store,
} from '../../src/index.js';
import { userIds } from '../helpers.js';
import { temporaryDirectories } from '../support/temp.js';

const scratch = temporaryDirectories('releases');

const START = Date.UTC(2026, 2, 2);

async function setup(store: Store = new MemoryStore()): Promise<{ gate: Phasegate; clock: ManualClock }> {
  const clock = new ManualClock(START);
  const gate = await createPhasegate({ store, clock });
  return { gate, clock };
}

const users = userIds(100_000, 'user-');

function exposed(gate: Phasegate, feature: string, ids: readonly string[] = users): Set<string> {
  const on = new Set<string>();
  for (const userId of ids) if (gate.isEnabled(feature, { userId })) on.add(userId);
  return on;
}

/** 99.9% two-sided binomial bound on a count out of n at rate p. */
function withinBinomialBound(count: number, n: number, p: number): boolean {
  return Math.abs(count - n * p) <= 3.3 * Math.sqrt(n * p * (1 - p)) + 1;
}

describe('planning', () => {
  it('gives each type its default plan', async () => {
    const { gate } = await setup();
    const major = await gate.releases.plan({ version: '2.0.0', type: 'major' });
    expect(major.plan.phases.map((p) => [p.name, p.percentage, p.durationMs])).toEqual([
      ['alpha', 1, 24 * Duration.hour],
      ['beta', 5, 72 * Duration.hour],
      ['early-access', 20, Duration.week],
      ['gradual', 50, Duration.week],
      ['full', 100, 0],
    ]);
    const minor = await gate.releases.plan({ version: '2.1.0', type: 'minor' });
    expect(minor.plan.phases.map((p) => [p.name, p.percentage, p.durationMs])).toEqual([
      ['beta', 5, 24 * Duration.hour],
      ['early-access', 20, 72 * Duration.hour],
      ['gradual', 50, 72 * Duration.hour],
      ['full', 100, 0],
    ]);
    const patch = await gate.releases.plan({ version: '2.1.1', type: 'patch' });
    expect(patch.plan).toEqual(minor.plan);
    const hotfix = await gate.releases.plan({ version: '2.1.2', type: 'hotfix' });
    expect(hotfix.plan.phases.map((p) => [p.name, p.percentage, p.durationMs])).toEqual([['full', 100, 0]]);
    expect(major).toMatchObject({ status: 'planned', phaseIndex: null, salt: 'release:2.0.0', history: [{ kind: 'planned', by: 'api' }] });
  });

  it('rejects an already planned version instead of overwriting it', async () => {
    const { gate } = await setup();
    await gate.releases.plan({ version: '1.0.0', type: 'minor', features: ['a'] });
    await expect(gate.releases.plan({ version: '1.0.0', type: 'major' })).rejects.toThrow(AlreadyExistsError);
    expect((await gate.releases.get('1.0.0'))!.type).toBe('minor');
  });

  it.each([
    ['not semver', { version: '1.0', type: 'minor' }, /version: must be a valid semantic version/],
    ['leading v', { version: 'v1.0.0', type: 'minor' }, /version: must be a valid semantic version/],
    ['unknown type', { version: '1.0.0', type: 'mega' }, /type: must be one of 'major'/],
    ['decreasing percentages', { version: '1.0.0', type: 'minor', plan: { phases: [{ name: 'a', percentage: 10, durationMs: 0 }, { name: 'b', percentage: 5, durationMs: 0 }] } }, /plan\.phases\.1\.percentage: must not be lower than the previous phase's 10/],
    ['over 100', { version: '1.0.0', type: 'minor', plan: { phases: [{ name: 'a', percentage: 101, durationMs: 0 }] } }, /plan\.phases\.0\.percentage: must be at most 100/],
    ['negative duration', { version: '1.0.0', type: 'minor', plan: { phases: [{ name: 'a', percentage: 1, durationMs: -1 }] } }, /plan\.phases\.0\.durationMs: must be at least 0/],
    ['duplicate phase names', { version: '1.0.0', type: 'minor', plan: { phases: [{ name: 'a', percentage: 1, durationMs: 0 }, { name: 'a', percentage: 2, durationMs: 0 }] } }, /plan\.phases\.1\.name: 'a' is used by an earlier phase/],
    ['no phases', { version: '1.0.0', type: 'minor', plan: { phases: [] } }, /plan\.phases: must have at least one phase/],
    ['duplicate feature', { version: '1.0.0', type: 'minor', features: ['a', 'a'] }, /features: must not list a feature twice/],
  ])('rejects %s with the field and rule', async (_name, input, message) => {
    const { gate } = await setup();
    const error = await gate.releases.plan(input as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(message);
    expect(await gate.releases.list()).toEqual([]);
  });

  it('lists releases by semver precedence', async () => {
    const { gate } = await setup();
    for (const version of ['1.9.0', '1.10.0', '2.0.0-beta.2', '2.0.0', '2.0.0-beta.10', '0.1.0']) {
      await gate.releases.plan({ version, type: 'minor' });
    }
    expect((await gate.releases.list()).map((r) => r.version)).toEqual(['2.0.0', '2.0.0-beta.10', '2.0.0-beta.2', '1.10.0', '1.9.0', '0.1.0']);
  });
});

describe('a 12-week major release on a fake clock', () => {
  it('walks every phase with exposure matching the bucketing, keeps earlier users, and completes', async () => {
    const { gate, clock } = await setup();
    const phaseChanges: string[] = [];
    gate.events.on('release:phaseChanged', ({ from, to, by }) => phaseChanges.push(`${from}->${to} by ${by}`));
    const plan = {
      phases: [
        { name: 'alpha', percentage: 1, durationMs: Duration.week },
        { name: 'beta', percentage: 5, durationMs: 2 * Duration.week },
        { name: 'early-access', percentage: 20, durationMs: 3 * Duration.week },
        { name: 'gradual', percentage: 50, durationMs: 6 * Duration.week },
        { name: 'full', percentage: 100, durationMs: 0 },
      ],
    };
    await gate.releases.plan({ version: '3.0.0', type: 'major', features: ['new-search', 'new-nav'], plan });
    await gate.releases.start('3.0.0', { by: 'alice' });

    let previous = new Set<string>();
    let elapsedWeeks = 0;
    for (const [index, phase] of plan.phases.entries()) {
      const progress = await gate.releases.progress('3.0.0');
      expect(progress).toMatchObject({ phase: phase.name, phaseIndex: index, exposurePercentage: phase.percentage, held: false });
      const on = exposed(gate, 'new-search');
      // Statistically within bounds on 100k users...
      expect(withinBinomialBound(on.size, users.length, phase.percentage / 100)).toBe(true);
      // ...and exactly the users whose bucket under the release salt is below the threshold.
      for (const userId of users.slice(0, 2000)) {
        expect(on.has(userId)).toBe(bucketOf('release:3.0.0', userId) < thresholdFor(phase.percentage));
      }
      // Both features share the release salt: the same audience.
      const sample = users.slice(0, 5000);
      expect(exposed(gate, 'new-nav', sample)).toEqual(new Set(sample.filter((id) => on.has(id))));
      for (const userId of previous) expect(on.has(userId)).toBe(true);
      previous = on;

      if (index === plan.phases.length - 1) {
        // The zero-length last phase completed the release in the tick that reached it.
        expect(progress.status).toBe('released');
        break;
      }
      // Just before the phase ends nothing moves; at its end the next phase begins.
      if (phase.durationMs > 0) {
        clock.advance(phase.durationMs - 1);
        expect((await gate.releases.tick()).advanced).toEqual([]);
        expect((await gate.releases.progress('3.0.0')).timeLeftInPhaseMs).toBe(1);
        clock.advance(1);
        elapsedWeeks += phase.durationMs / Duration.week;
      }
      const tick = await gate.releases.tick();
      expect(tick.advanced).toEqual([{ version: '3.0.0', from: phase.name, to: plan.phases[index + 1]!.name }]);
      expect(tick.completed).toEqual(index === plan.phases.length - 2 ? ['3.0.0'] : []);
    }
    expect(elapsedWeeks).toBe(12);
    const released = (await gate.releases.get('3.0.0'))!;
    expect(released.status).toBe('released');
    expect(released.releasedAt).toBe(START + 12 * Duration.week);
    expect(await gate.releases.currentVersion()).toBe('3.0.0');
    expect(exposed(gate, 'new-search').size).toBe(users.length);
    expect((await gate.flags.get('new-search'))!.state).toBe('enabled');
    expect(phaseChanges).toEqual([
      'alpha->beta by scheduler',
      'beta->early-access by scheduler',
      'early-access->gradual by scheduler',
      'gradual->full by scheduler',
    ]);
    expect(released.history.map((event) => [event.kind, event.to, event.by])).toEqual([
      ['planned', 'planned', 'api'],
      ['status', 'in_progress', 'alice'],
      ['phase', 'beta', 'scheduler'],
      ['phase', 'early-access', 'scheduler'],
      ['phase', 'gradual', 'scheduler'],
      ['phase', 'full', 'scheduler'],
      ['status', 'released', 'scheduler'],
    ]);
  });

  it('catches up missed phases, each stamped with the time it was due', async () => {
    const { gate, clock } = await setup();
    await gate.releases.plan({ version: '1.1.0', type: 'minor', features: ['f'] });
    await gate.releases.start('1.1.0');
    clock.advance(100 * Duration.day);
    const tick = await gate.releases.tick();
    expect(tick.advanced.map((a) => a.to)).toEqual(['early-access', 'gradual', 'full']);
    expect(tick.completed).toEqual(['1.1.0']);
    const history = (await gate.releases.get('1.1.0'))!.history.filter((e) => e.kind === 'phase');
    expect(history.map((e) => e.at - START)).toEqual([24 * Duration.hour, 96 * Duration.hour, 168 * Duration.hour]);
  });
});

describe('other plans', () => {
  it('a hotfix goes to everyone at once', async () => {
    const { gate } = await setup();
    await gate.releases.plan({ version: '1.0.1', type: 'hotfix', features: ['fix-login'] });
    await gate.releases.start('1.0.1');
    expect(exposed(gate, 'fix-login', users.slice(0, 1000)).size).toBe(1000);
    expect((await gate.releases.tick()).completed).toEqual(['1.0.1']);
    expect(await gate.releases.currentVersion()).toBe('1.0.1');
  });

  it('a custom plan with a manual gate waits for advance()', async () => {
    const { gate, clock } = await setup();
    await gate.releases.plan({
      version: '4.0.0',
      type: 'major',
      features: ['x'],
      plan: {
        phases: [
          { name: 'internal', percentage: 0.5, durationMs: Duration.day, gate: 'manual' },
          { name: 'everyone', percentage: 100, durationMs: 0 },
        ],
      },
    });
    await gate.releases.start('4.0.0');
    clock.advance(10 * Duration.day);
    expect(await gate.releases.tick()).toEqual({ advanced: [], completed: [], waiting: [] });
    expect((await gate.releases.progress('4.0.0')).phase).toBe('internal');
    await gate.releases.advance('4.0.0', { by: 'bob' });
    expect((await gate.releases.progress('4.0.0')).exposurePercentage).toBe(100);
    expect((await gate.releases.tick()).completed).toEqual(['4.0.0']);
  });

  it('hold keeps a release in its phase; resume restarts the phase clock', async () => {
    const { gate, clock } = await setup();
    await gate.releases.plan({ version: '1.2.0', type: 'minor', features: ['f'] });
    await gate.releases.start('1.2.0');
    await gate.releases.hold('1.2.0', 'waiting for the security review', { by: 'carol' });
    clock.advance(30 * Duration.day);
    expect((await gate.releases.tick()).advanced).toEqual([]);
    expect(await gate.releases.progress('1.2.0')).toMatchObject({ phase: 'beta', held: true, holdReason: 'waiting for the security review' });
    await expect(gate.releases.advance('1.2.0')).rejects.toThrow(/it is held \(waiting for the security review\); resume it first/);
    await gate.releases.resume('1.2.0', { by: 'carol' });
    expect((await gate.releases.tick()).advanced).toEqual([]);
    clock.advance(24 * Duration.hour);
    expect((await gate.releases.tick()).advanced.map((a) => a.to)).toEqual(['early-access']);
  });

  it('guards can keep a due release waiting', async () => {
    const { gate, clock } = await setup();
    await gate.releases.plan({ version: '1.3.0', type: 'minor', features: ['f'] });
    await gate.releases.start('1.3.0');
    const remove = gate.releases.addGuard((release) => (release.version === '1.3.0' ? 'error budget spent' : true));
    clock.advance(2 * Duration.day);
    expect((await gate.releases.tick()).waiting).toEqual([{ version: '1.3.0', reason: 'error budget spent' }]);
    remove();
    expect((await gate.releases.tick()).advanced).toHaveLength(1);
  });
});

describe('rollback', () => {
  it('turns features off for everyone, records why, restores the previous version and runs every step', async () => {
    const { gate, clock } = await setup();
    await gate.releases.plan({ version: '1.0.0', type: 'hotfix', features: ['base'] });
    await gate.releases.start('1.0.0');
    await gate.releases.tick();
    await gate.releases.plan({ version: '1.1.0', type: 'hotfix', features: ['shiny'] });
    await gate.releases.start('1.1.0');
    await gate.releases.tick();
    expect(await gate.releases.currentVersion()).toBe('1.1.0');
    clock.advance(Duration.hour);

    const notified: string[] = [];
    gate.events.on('release:rollbackStep', ({ version, step }) => notified.push(`${version}:${step.action}:${step.params.channels}`));
    const rolledBack = await gate.releases.rollback('1.1.0', 'checkout errors', { by: 'dave' });
    expect(rolledBack.status).toBe('rolled_back');
    expect(rolledBack.rollback).toMatchObject({
      reason: 'checkout errors',
      by: 'dave',
      phase: 'full',
      currentVersionBefore: '1.1.0',
      currentVersionAfter: '1.0.0',
      steps: [
        { step: { action: 'disableFeatures' }, outcome: 'done' },
        { step: { action: 'restorePreviousVersion' }, outcome: 'done' },
        { step: { action: 'notify' }, outcome: 'emitted' },
      ],
    });
    expect(notified).toEqual(['1.1.0:notify:email,slack']);
    expect(await gate.releases.currentVersion()).toBe('1.0.0');
    expect(exposed(gate, 'shiny', users.slice(0, 1000)).size).toBe(0);
    expect(exposed(gate, 'base', users.slice(0, 1000)).size).toBe(1000);
    expect((await gate.flags.get('shiny'))!.state).toBe('disabled');
  });

  it('records steps nobody handled as unhandled instead of pretending', async () => {
    const { gate } = await setup();
    await gate.releases.plan({ version: '1.0.0', type: 'minor', features: ['f'] });
    await gate.releases.start('1.0.0');
    const rolledBack = await gate.releases.rollback('1.0.0', 'bad');
    expect(rolledBack.rollback!.steps.map((s) => s.outcome)).toEqual(['done', 'done', 'unhandled']);
    expect(rolledBack.rollback!.currentVersionAfter).toBeNull();
  });

  it('a rolled-back release frees its features for a later release', async () => {
    const { gate } = await setup();
    await gate.releases.plan({ version: '1.0.0', type: 'minor', features: ['f'] });
    await gate.releases.start('1.0.0');
    await gate.releases.plan({ version: '1.0.1', type: 'patch', features: ['f'] });
    await expect(gate.releases.start('1.0.1')).rejects.toThrow(/flag 'f' already exists and belongs to release 1\.0\.0 \(in_progress\)/);
    await gate.releases.rollback('1.0.0', 'superseded');
    await gate.releases.start('1.0.1');
    expect((await gate.flags.get('f'))).toMatchObject({ state: 'rollout', salt: 'release:1.0.1', metadata: { release: '1.0.1' } });
  });
});

describe('illegal transitions', () => {
  async function releaseIn(status: 'planned' | 'in_progress' | 'testing' | 'staging' | 'released' | 'rolled_back') {
    const { gate } = await setup();
    await gate.releases.plan({ version: '9.0.0', type: 'minor', features: ['f'] });
    if (status !== 'planned') await gate.releases.start('9.0.0');
    if (status === 'testing' || status === 'staging') await gate.releases.setStatus('9.0.0', status);
    if (status === 'released') await gate.releases.complete('9.0.0');
    if (status === 'rolled_back') await gate.releases.rollback('9.0.0', 'x');
    return gate;
  }

  const attempts = {
    start: (gate: Phasegate) => gate.releases.start('9.0.0'),
    advance: (gate: Phasegate) => gate.releases.advance('9.0.0'),
    hold: (gate: Phasegate) => gate.releases.hold('9.0.0', 'x'),
    complete: (gate: Phasegate) => gate.releases.complete('9.0.0'),
    rollback: (gate: Phasegate) => gate.releases.rollback('9.0.0', 'x'),
    testing: (gate: Phasegate) => gate.releases.setStatus('9.0.0', 'testing'),
    staging: (gate: Phasegate) => gate.releases.setStatus('9.0.0', 'staging'),
  };
  const legal: Record<string, Array<keyof typeof attempts>> = {
    planned: ['start'],
    in_progress: ['advance', 'hold', 'complete', 'rollback', 'testing', 'staging'],
    testing: ['advance', 'hold', 'complete', 'rollback', 'staging'],
    staging: ['advance', 'hold', 'complete', 'rollback', 'testing'],
    released: ['rollback'],
    // Retrying a rollback re-applies it (issue 14 item 10) and changes nothing stored.
    rolled_back: ['rollback'],
  };

  for (const [status, allowed] of Object.entries(legal)) {
    for (const [name, attempt] of Object.entries(attempts)) {
      const ok = allowed.includes(name as keyof typeof attempts);
      it(`${name} from ${status} is ${ok ? 'allowed' : 'refused, naming both states'}`, async () => {
        const gate = await releaseIn(status as never);
        const before = await gate.releases.get('9.0.0');
        const outcome = await attempt(gate).then(() => undefined, (error: unknown) => error);
        if (ok) {
          expect(outcome).toBeUndefined();
          if (status === 'rolled_back') expect(await gate.releases.get('9.0.0')).toEqual(before);
        } else {
          expect(outcome).toBeInstanceOf(IllegalTransitionError);
          expect((outcome as Error).message).toContain(`release 9.0.0 from '${status}'`);
          expect(await gate.releases.get('9.0.0')).toEqual(before);
        }
      });
    }
  }

  it('advance from the last phase completes the release (issue 15 item 2: the person at the last gate decides)', async () => {
    const { gate } = await setup();
    await gate.releases.plan({ version: '1.0.0', type: 'hotfix' });
    await gate.releases.start('1.0.0');
    expect(await gate.releases.advance('1.0.0')).toMatchObject({ status: 'released' });
    expect(await gate.releases.currentVersion()).toBe('1.0.0');
  });

  it('unknown versions are NotFoundError', async () => {
    const { gate } = await setup();
    await expect(gate.releases.start('1.2.3')).rejects.toThrow(NotFoundError);
    await expect(gate.releases.progress('1.2.3')).rejects.toThrow("Release '1.2.3' not found");
  });
});

describe('persistence', () => {
  it('a restart mid-rollout resumes in the same phase at the same percentage', async () => {
    const directory = join(scratch(), 'store');
    const clock = new ManualClock(START);
    const first = await createPhasegate({ store: new FileStore(directory), clock });
    await first.releases.plan({ version: '5.0.0', type: 'major', features: ['f'] });
    await first.releases.start('5.0.0');
    clock.advance(3 * Duration.day);
    await first.releases.tick();
    const before = exposed(first, 'f', users.slice(0, 20_000));
    await first.close();

    const second = await createPhasegate({ store: new FileStore(directory), clock });
    expect(await second.releases.progress('5.0.0')).toMatchObject({ phase: 'beta', exposurePercentage: 5 });
    expect(exposed(second, 'f', users.slice(0, 20_000))).toEqual(before);
    clock.advance(7 * Duration.day);
    expect((await second.releases.tick()).advanced.map((a) => a.to)).toEqual(['early-access']);
    await second.close();
  });

  it('two clients ticking at once advance a release only once', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock(START);
    const a = await createPhasegate({ store, clock });
    const b = await createPhasegate({ store, clock });
    await a.releases.plan({ version: '6.0.0', type: 'minor', features: ['f'] });
    await a.releases.start('6.0.0');
    clock.advance(25 * Duration.hour);
    const [ta, tb] = await Promise.all([a.releases.tick(), b.releases.tick()]);
    expect(ta.advanced.length + tb.advanced.length).toBe(1);
    const release = (await a.releases.get('6.0.0'))!;
    expect(release.history.filter((e) => e.kind === 'phase')).toHaveLength(1);
    expect(release.plan.phases[release.phaseIndex!]!.name).toBe('early-access');
  });
});
