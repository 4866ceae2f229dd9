import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Collections,
  Duration,
  FlagOwnedError,
  IllegalTransitionError,
  ManualClock,
  MemoryStore,
  ValidationError,
  StoreError,
  createPhasegate,
  type Phasegate,
  type Store,
} from '../../src/index.js';
import { foldCurrentVersion, type CurrentVersionEffect } from '../../src/releases/current-version.js';
import { SlowLink } from '../support/slow-link.js';
import { userIds } from '../helpers.js';

/** Regression tests for issue 15 items 2-5 and issue 14 items 10-11. */

const START = Date.UTC(2026, 2, 2);
const users = userIds(10_000, 'user-');

async function twoInstances(): Promise<{ a: Phasegate; b: Phasegate; linkA: SlowLink; linkB: SlowLink; store: MemoryStore; clock: ManualClock }> {
  const store = new MemoryStore();
  const clock = new ManualClock(START);
  const linkA = new SlowLink(store);
  const linkB = new SlowLink(store);
  const a = await createPhasegate({ store: linkA, clock });
  const b = await createPhasegate({ store: linkB, clock });
  return { a, b, linkA, linkB, store, clock };
}

/** Users on, as a freshly started client of the store sees it. */
async function usersOn(store: Store, clock: ManualClock, feature: string): Promise<number> {
  const fresh = await createPhasegate({ store: new SlowLink(store), clock });
  let on = 0;
  for (const userId of users) if (fresh.isEnabled(feature, { userId })) on++;
  await fresh.close();
  return on;
}

const fourPhases = {
  phases: [
    { name: 'canary', percentage: 10, durationMs: Duration.hour },
    { name: 'some', percentage: 30, durationMs: Duration.hour },
    { name: 'most', percentage: 60, durationMs: Duration.hour },
    { name: 'full', percentage: 100, durationMs: 0 },
  ],
};

describe('a rollback cannot be undone (issue 14 item 10)', () => {
  it('advance and tick on one instance racing a rollback on another: after, 0 of 10,000 users on', async () => {
    for (let round = 0; round < 12; round++) {
      const { a, b, store, clock } = await twoInstances();
      await a.releases.plan({ version: '2.0.0', type: 'minor', features: ['new-search', 'new-nav'], plan: fourPhases });
      await a.releases.start('2.0.0');
      clock.advance(Duration.hour);
      await Promise.allSettled([
        a.releases.tick(),
        a.releases.advance('2.0.0'),
        a.releases.advance('2.0.0'),
        b.releases.rollback('2.0.0', 'errors'),
        a.releases.tick(),
      ]);
      expect((await b.releases.get('2.0.0'))!.status).toBe('rolled_back');
      expect(await usersOn(store, clock, 'new-search')).toBe(0);
      expect(await usersOn(store, clock, 'new-nav')).toBe(0);
      // Both instances' own snapshots agree.
      expect(users.filter((userId) => a.isEnabled('new-search', { userId }) || b.isEnabled('new-nav', { userId }))).toEqual([]);
      await a.close();
      await b.close();
    }
  });

  it('a crash between the rollback record and the flags heals on the next tick of any instance, and the rollback can be retried', async () => {
    const { a, b, linkB, store, clock } = await twoInstances();
    await a.releases.plan({ version: '2.0.0', type: 'minor', features: ['new-search'], plan: fourPhases });
    await a.releases.start('2.0.0');
    await a.releases.advance('2.0.0');
    expect(await usersOn(store, clock, 'new-search')).toBeGreaterThan(2000);

    linkB.failWrites.add(Collections.flags);
    await expect(b.releases.rollback('2.0.0', 'errors')).rejects.toThrow(StoreError);
    expect((await a.releases.get('2.0.0'))!.status).toBe('rolled_back');
    expect(await usersOn(store, clock, 'new-search')).toBeGreaterThan(2000); // the crash left the flags on

    await a.releases.tick();
    expect(await usersOn(store, clock, 'new-search')).toBe(0);

    // The retry on the instance that failed succeeds and changes nothing more.
    linkB.failWrites.clear();
    const before = await b.releases.get('2.0.0');
    expect(await b.releases.rollback('2.0.0', 'errors')).toEqual(before);
    await a.close();
    await b.close();
  });

  it('a crash between the completion record and the flags and current version heals on the next tick', async () => {
    const { a, b, linkB, store, clock } = await twoInstances();
    await a.releases.plan({ version: '1.0.0', type: 'hotfix', features: ['old'] });
    await a.releases.start('1.0.0');
    await a.releases.complete('1.0.0');
    clock.advance(Duration.hour);
    await a.releases.plan({ version: '2.0.0', type: 'minor', features: ['new-search'], plan: fourPhases });
    await a.releases.start('2.0.0');
    clock.advance(Duration.hour);
    linkB.failWrites.add(Collections.flags).add(Collections.meta);
    await expect(b.releases.complete('2.0.0')).rejects.toThrow(StoreError);
    expect(await a.releases.currentVersion()).toBe('1.0.0');
    await a.releases.tick();
    expect(await a.releases.currentVersion()).toBe('2.0.0');
    expect(await usersOn(store, clock, 'new-search')).toBe(10_000);
    await a.close();
    await b.close();
  });

  it('a released release whose flag was turned off by hand is turned back on by tick', async () => {
    const { a, store, clock } = await twoInstances();
    await a.releases.plan({ version: '1.0.0', type: 'hotfix', features: ['f'] });
    await a.releases.start('1.0.0');
    await a.releases.tick();
    await a.flags.update('f', { state: 'disabled' });
    await a.releases.tick();
    expect(await usersOn(store, clock, 'f')).toBe(10_000);
    await a.close();
  });
});

describe('losing a race is not an error (issue 14 item 11)', () => {
  it('two instances ticking as a release completes: both ticks resolve, it completes once', async () => {
    for (let round = 0; round < 12; round++) {
      const { a, b, clock } = await twoInstances();
      const completed: string[] = [];
      a.events.on('release:completed', ({ release }) => completed.push(release.version));
      b.events.on('release:completed', ({ release }) => completed.push(release.version));
      await a.releases.plan({ version: '3.0.0', type: 'minor', features: ['f'], plan: { phases: [{ name: 'only', percentage: 50, durationMs: Duration.hour }] } });
      await a.releases.start('3.0.0');
      clock.advance(Duration.hour);
      const results = await Promise.all([a.releases.tick(), b.releases.tick(), a.tick(), b.tick()]);
      expect(results.flatMap((r) => r.completed)).toEqual(['3.0.0']);
      expect(completed).toEqual(['3.0.0']);
      const release = (await a.releases.get('3.0.0'))!;
      expect(release.status).toBe('released');
      expect(release.history.filter((e) => e.to === 'released')).toHaveLength(1);
      await a.close();
      await b.close();
    }
  });
});

describe('analytics losing a race is not an error either (issue 14 item 11)', () => {
  it('a guard acting on a release another instance has just completed returns nothing instead of throwing', async () => {
    const { a, b, clock } = await twoInstances();
    await a.releases.plan({ version: '3.0.0', type: 'minor', features: ['f'], plan: fourPhases });
    await a.releases.start('3.0.0');
    for (let i = 0; i < 5; i++) {
      clock.advance(Duration.second);
      await b.analytics.record({ metric: 'error_rate', value: 6, release: '3.0.0' });
    }
    const seenBefore = (await b.releases.get('3.0.0'))!;
    expect(seenBefore.hold).not.toBeNull(); // the warning held it
    await a.releases.resume('3.0.0');
    const stale = (await b.releases.get('3.0.0'))!;
    await a.releases.complete('3.0.0');
    // b still holds the copy it read before the completion: its guard wants to hold it again.
    await expect(b.analytics.guard(stale)).resolves.toBeNull();
    expect((await a.releases.get('3.0.0'))!.status).toBe('released');
    await a.close();
    await b.close();
  });
});

describe('a manual gate on the last phase waits for a person (issue 15 item 2)', () => {
  it('tick after 5 days leaves it at 50%; advance() then completes it', async () => {
    const clock = new ManualClock(START);
    const gate = await createPhasegate({ store: new MemoryStore(), clock });
    await gate.releases.plan({
      version: '2.0.0',
      type: 'minor',
      features: ['f'],
      plan: { phases: [{ name: 'canary', percentage: 10, durationMs: Duration.day }, { name: 'half', percentage: 50, durationMs: Duration.day, gate: 'manual' }] },
    });
    await gate.releases.start('2.0.0');
    for (let day = 0; day < 5; day++) {
      clock.advance(Duration.day);
      await gate.releases.tick();
    }
    expect(await gate.releases.progress('2.0.0')).toMatchObject({ status: 'in_progress', phase: 'half', exposurePercentage: 50 });
    expect(await gate.releases.currentVersion()).toBeNull();
    const done = await gate.releases.advance('2.0.0', { by: 'carol' });
    expect(done.status).toBe('released');
    expect(done.history.at(-1)).toMatchObject({ to: 'released', by: 'carol' });
    expect(await gate.releases.currentVersion()).toBe('2.0.0');
  });

  it('complete() from the manual last phase works too', async () => {
    const gate = await createPhasegate({ store: new MemoryStore(), clock: new ManualClock(START) });
    await gate.releases.plan({ version: '2.0.0', type: 'minor', plan: { phases: [{ name: 'only', percentage: 20, durationMs: 0, gate: 'manual' }] } });
    await gate.releases.start('2.0.0');
    expect((await gate.releases.tick()).completed).toEqual([]);
    expect((await gate.releases.complete('2.0.0')).status).toBe('released');
  });
});

describe('status moves only through the transitions table, checked at run time (issue 15 item 3)', () => {
  it.each(['rolled_back', 'released', 'planned', 'nonsense', 42, null])('setStatus(v, %j) is refused: status, flags and users stay', async (status) => {
    const clock = new ManualClock(START);
    const gate = await createPhasegate({ store: new MemoryStore(), clock });
    await gate.releases.plan({ version: '2.0.0', type: 'minor', features: ['f'], plan: fourPhases });
    await gate.releases.start('2.0.0');
    await gate.releases.advance('2.0.0');
    const before = await gate.releases.get('2.0.0');
    const on = users.filter((userId) => gate.isEnabled('f', { userId })).length;
    const error = await gate.releases.setStatus('2.0.0', status as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(/must be 'in_progress', 'testing' or 'staging' \(use complete\(\) to release and rollback\(\) to roll back\)/);
    expect(await gate.releases.get('2.0.0')).toEqual(before);
    expect(users.filter((userId) => gate.isEnabled('f', { userId })).length).toBe(on);
  });

  const bad: Array<[string, (gate: Phasegate) => Promise<unknown>, RegExp]> = [
    ['start(42)', (g) => g.releases.start(42 as never), /release version: must be a string/],
    ['start("v2.0.0")', (g) => g.releases.start('v2.0.0'), /must be a valid semantic version/],
    ['advance(v, { by: 7 })', (g) => g.releases.advance('2.0.0', { by: 7 as never }), /options: by: must be a string/],
    ['advance(v, { actor })', (g) => g.releases.advance('2.0.0', { actor: 'x' } as never), /options: Unrecognized key/],
    ['hold(v, "")', (g) => g.releases.hold('2.0.0', ''), /hold reason: must not be empty/],
    ['hold(v, undefined)', (g) => g.releases.hold('2.0.0', undefined as never), /hold reason: must be a string/],
    ['rollback(v, 5)', (g) => g.releases.rollback('2.0.0', 5 as never), /rollback reason: must be a string/],
    ['rollback(v, r, { breach: {} })', (g) => g.releases.rollback('2.0.0', 'r', { breach: {} as never }), /rollback options: breach\.metric/],
    ['complete(null)', (g) => g.releases.complete(null as never), /release version: must be a string/],
    ['resume([])', (g) => g.releases.resume([] as never), /release version: must be a string/],
    ['progress({})', (g) => g.releases.progress({} as never), /release version: must be a string/],
    ['get(1)', (g) => g.releases.get(1 as never), /release version: must be a string/],
    ['edit(v, { plan: 3 })', (g) => g.releases.edit('2.0.0', { plan: 3 as never }), /edit of release 2\.0\.0: plan/],
    ['addGuard("no")', async (g) => g.releases.addGuard('no' as never), /release guard: must be a function/],
  ];
  it.each(bad)('%s is a ValidationError that changes nothing', async (_name, call, message) => {
    const gate = await createPhasegate({ store: new MemoryStore(), clock: new ManualClock(START) });
    await gate.releases.plan({ version: '2.0.0', type: 'minor', features: ['f'] });
    const before = await gate.releases.get('2.0.0');
    const error = await call(gate).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(message);
    expect(await gate.releases.get('2.0.0')).toEqual(before);
  });
});

describe('downgrades are deliberate (issue 15 item 4)', () => {
  async function withCurrent(version: string) {
    const clock = new ManualClock(START);
    const gate = await createPhasegate({ store: new MemoryStore(), clock });
    await gate.releases.plan({ version, type: 'hotfix', features: ['x'] });
    await gate.releases.start(version);
    await gate.releases.tick();
    expect(await gate.releases.currentVersion()).toBe(version);
    return { gate, clock };
  }

  it('with 2.0.0 released, planning 1.5.0 is refused and currentVersion stays 2.0.0', async () => {
    const { gate } = await withCurrent('2.0.0');
    const error = await gate.releases.plan({ version: '1.5.0', type: 'minor' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(/version: 1\.5\.0 is lower than the current version 2\.0\.0; pass downgrade: true/);
    expect(await gate.releases.get('1.5.0')).toBeUndefined();
    expect(await gate.releases.currentVersion()).toBe('2.0.0');
  });

  it('a deliberate downgrade completes and the history says so', async () => {
    const { gate, clock } = await withCurrent('2.0.0');
    const planned = await gate.releases.plan({ version: '1.5.0', type: 'hotfix', downgrade: true }, { by: 'erin' });
    expect(planned.downgrade).toBe(true);
    expect(planned.history[0]).toMatchObject({ kind: 'planned', by: 'erin', note: 'deliberate downgrade below the current version 2.0.0' });
    await gate.releases.start('1.5.0');
    clock.advance(Duration.minute);
    await gate.releases.tick();
    expect(await gate.releases.currentVersion()).toBe('1.5.0');
    expect((await gate.releases.get('1.5.0'))!.history.at(-1)).toMatchObject({ to: 'released', note: 'deliberate downgrade from 2.0.0' });
  });

  it('a lower release planned before the higher one completed waits instead of completing over it', async () => {
    const clock = new ManualClock(START);
    const gate = await createPhasegate({ store: new MemoryStore(), clock });
    await gate.releases.plan({ version: '1.5.0', type: 'minor', plan: fourPhases });
    await gate.releases.start('1.5.0');
    await gate.releases.plan({ version: '2.0.0', type: 'hotfix' });
    await gate.releases.start('2.0.0');
    await gate.releases.tick();
    expect(await gate.releases.currentVersion()).toBe('2.0.0');
    clock.advance(4 * Duration.hour);
    const result = await gate.releases.tick();
    expect(result.completed).toEqual([]);
    expect(result.waiting).toEqual([{ version: '1.5.0', reason: expect.stringMatching(/lower than the current version 2\.0\.0/) }]);
    await expect(gate.releases.complete('1.5.0')).rejects.toThrow(IllegalTransitionError);
    expect(await gate.releases.currentVersion()).toBe('2.0.0');
  });
});

describe('one owner per flag, release side (issue 15 item 5)', () => {
  it('a release naming an existing plain flag adopts it at start and records what it adopted', async () => {
    const gate = await createPhasegate({ store: new MemoryStore(), clock: new ManualClock(START) });
    await gate.flags.create({ key: 'dark-mode', state: 'enabled', description: 'made by hand' });
    await gate.releases.plan({ version: '2.0.0', type: 'minor', features: ['dark-mode', 'fresh'] });
    const started = await gate.releases.start('2.0.0');
    expect(started.adopted).toEqual([{ key: 'dark-mode', from: null, state: 'enabled', at: START }]);
    expect(await gate.flags.get('dark-mode')).toMatchObject({ state: 'rollout', description: 'made by hand', metadata: { owner: 'release:2.0.0' } });
    expect(await gate.flags.get('fresh')).toMatchObject({ state: 'rollout', metadata: { owner: 'release:2.0.0' } });
  });

  it('a start that dies after adopting a flag but before recording it records the adoption when retried', async () => {
    const { a, linkA } = await twoInstances();
    await a.flags.create({ key: 'dark-mode', state: 'enabled' });
    await a.releases.plan({ version: '2.0.0', type: 'minor', features: ['dark-mode'] });
    linkA.failWrites.add(Collections.releases);
    await expect(a.releases.start('2.0.0')).rejects.toThrow(StoreError);
    expect((await a.flags.get('dark-mode'))!.metadata.owner).toBe('release:2.0.0');
    linkA.failWrites.clear();
    const started = await a.releases.start('2.0.0');
    expect(started.adopted).toEqual([expect.objectContaining({ key: 'dark-mode', from: null, state: 'enabled' })]);
    await a.close();
  });

  it('a flag of a running release cannot be taken by another; a finished one can', async () => {
    const gate = await createPhasegate({ store: new MemoryStore(), clock: new ManualClock(START) });
    await gate.releases.plan({ version: '2.0.0', type: 'minor', features: ['f'] });
    await gate.releases.start('2.0.0');
    await gate.releases.plan({ version: '2.1.0', type: 'minor', features: ['f'] });
    await expect(gate.releases.start('2.1.0')).rejects.toThrow(FlagOwnedError);
    await gate.releases.complete('2.0.0');
    const started = await gate.releases.start('2.1.0');
    expect(started.adopted).toEqual([expect.objectContaining({ key: 'f', from: 'release:2.0.0', state: 'enabled' })]);
    // The finished release no longer writes the flag: tick leaves it to its new owner.
    await gate.releases.tick();
    expect(await gate.flags.get('f')).toMatchObject({ state: 'rollout', strategy: { percentage: 5 }, metadata: { owner: 'release:2.1.0' } });
  });

  it('a planned release can be edited; a started one cannot', async () => {
    const gate = await createPhasegate({ store: new MemoryStore(), clock: new ManualClock(START) });
    await gate.releases.plan({ version: '2.0.0', type: 'minor', features: ['a'], description: 'first' });
    const edited = await gate.releases.edit('2.0.0', { features: ['a', 'b'], plan: fourPhases }, { by: 'frank' });
    expect(edited).toMatchObject({ features: ['a', 'b'], description: 'first', plan: { phases: expect.arrayContaining([expect.objectContaining({ name: 'canary' })]) } });
    expect(edited.history.at(-1)).toMatchObject({ kind: 'edited', by: 'frank', note: 'changed features, plan' });
    await expect(gate.releases.edit('2.0.0', {})).rejects.toThrow(/name at least one field to change/);
    await gate.releases.start('2.0.0');
    await expect(gate.releases.edit('2.0.0', { description: 'late' })).rejects.toThrow(IllegalTransitionError);
  });
});

describe('the current version is derived from release records', () => {
  const effect = fc.oneof(
    fc.record({ kind: fc.constant('completed' as const), at: fc.integer({ min: 0, max: 50 }), version: fc.constantFrom('1.0.0', '2.0.0', '3.0.0') }),
    fc.record({
      kind: fc.constant('restored' as const),
      at: fc.integer({ min: 0, max: 50 }),
      from: fc.constantFrom('1.0.0', '2.0.0', '3.0.0'),
      to: fc.constantFrom('1.0.0', '2.0.0', null),
    }),
  );

  it('folding is idempotent and order-independent (applying effects twice or late changes nothing)', () => {
    // Effects at distinct instants: two completions in the same millisecond have no time order.
    const effects = fc.uniqueArray(effect, { maxLength: 12, selector: (e) => e.at });
    fc.assert(
      fc.property(effects, fc.nat(), (list, cut) => {
        const all = list as CurrentVersionEffect[];
        const split = all.length === 0 ? 0 : cut % (all.length + 1);
        const once = foldCurrentVersion(undefined, all);
        // Twice changes nothing.
        expect(foldCurrentVersion(once, all)).toEqual(once);
        // The effects that happened first applied as they happened (each call's own write), then all
        // of them again (tick): same result.
        const inTimeOrder = [...all].sort((a, b) => a.at - b.at);
        let applied = foldCurrentVersion(undefined, []);
        for (const happened of inTimeOrder.slice(0, split)) applied = foldCurrentVersion(applied, [happened], true);
        expect(foldCurrentVersion(applied, all)).toEqual(once);
        // Any order.
        expect(foldCurrentVersion(undefined, [...all].reverse())).toEqual(once);
      }),
    );
  });
});
