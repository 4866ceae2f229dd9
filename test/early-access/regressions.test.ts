import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Collections,
  FEEDBACK_LIMIT_PER_FEATURE,
  FileStore,
  FlagOwnedError,
  IllegalTransitionError,
  ManualClock,
  MemoryStore,
  NotFoundError,
  ValidationError,
  createPhasegate,
  type Phasegate,
  type Store,
} from '../../src/index.js';
import { SlowLink } from '../support/slow-link.js';

/** Regression tests for issue 15 item 1, issue 15 item 5 (program side), issue 14 items 12 and 14 (domain side). */

async function setup(store: Store = new MemoryStore()): Promise<Phasegate> {
  return createPhasegate({ store, clock: new ManualClock(Date.UTC(2026, 2, 2)) });
}

async function activeMember(gate: Phasegate, userId: string, level: 'alpha' | 'beta' = 'beta'): Promise<void> {
  await gate.earlyAccess.enroll({ userId, email: `${userId}@example.com`, level });
  await gate.earlyAccess.approve(userId);
  await gate.earlyAccess.activate(userId);
}

/** Every record of every collection, as JSON text: what "no record holds it" is checked against. */
async function everything(store: Store): Promise<string> {
  const parts: string[] = [];
  for (const collection of Object.values(Collections)) {
    let after: string | undefined;
    for (;;) {
      const page = await store.list(collection, after === undefined ? {} : { after });
      parts.push(...page.map((record) => `${collection}/${record.key}=${JSON.stringify(record.value)}`));
      if (page.length < 1000) break;
      after = page[page.length - 1]!.key;
    }
  }
  return parts.join('\n');
}

describe('updateFeature changes only what it names (issue 15 item 1)', () => {
  it('a description update leaves a 2-seat, disabled, 30% feature capped, disabled and at 30%', async () => {
    const gate = await setup();
    await gate.earlyAccess.createFeature({ key: 'scarce', level: 'alpha', cap: 2, enabled: false, rolloutPercentage: 30 });
    const updated = await gate.earlyAccess.updateFeature('scarce', { description: 'new words' });
    expect(updated).toMatchObject({ description: 'new words', level: 'alpha', cap: 2, enabled: false, rolloutPercentage: 30 });
    expect(await gate.earlyAccess.feature('scarce')).toMatchObject({ cap: 2, enabled: false, rolloutPercentage: 30 });
    // And no qualifying member suddenly gets it.
    await activeMember(gate, 'm', 'alpha');
    expect(await gate.earlyAccess.hasFeature('m', 'scarce')).toBe(false);
  });

  it('any single field changes alone (property)', async () => {
    const fields = fc.oneof(
      fc.record({ description: fc.string({ maxLength: 20 }) }),
      fc.record({ level: fc.constantFrom('alpha' as const, 'beta' as const, 'preview' as const, 'stable' as const) }),
      fc.record({ cap: fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }) }),
      fc.record({ enabled: fc.boolean() }),
      fc.record({ rolloutPercentage: fc.integer({ min: 0, max: 100 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fields, async (change) => {
        const gate = await setup();
        const before = await gate.earlyAccess.createFeature({ key: 'f', level: 'preview', cap: 7, enabled: false, rolloutPercentage: 12 });
        const after = await gate.earlyAccess.updateFeature('f', change);
        expect(after).toEqual({ ...before, ...change, updatedAt: after.updatedAt });
      }),
      { numRuns: 40 },
    );
  });

  it('an empty update and a bad key are validation errors that change nothing', async () => {
    const gate = await setup();
    const before = await gate.earlyAccess.createFeature({ key: 'f', level: 'beta', cap: 2 });
    await expect(gate.earlyAccess.updateFeature('f', {})).rejects.toThrow(/name at least one field to change/);
    await expect(gate.earlyAccess.updateFeature(42 as never, { cap: 3 })).rejects.toThrow(ValidationError);
    expect(await gate.earlyAccess.feature('f')).toEqual(before);
  });

  it('`phasegate ea feature update --description` keeps the cap, the state and the rollout', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'phasegate-ea-update-'));
    try {
      const store = join(directory, 'store');
      const gate = await createPhasegate({ store: new FileStore(store) });
      await gate.earlyAccess.createFeature({ key: 'scarce', level: 'beta', cap: 2, enabled: false, rolloutPercentage: 30 });
      await gate.close();
      const bin = resolve(import.meta.dirname, '../../dist/cli/main.js');
      const { code, stderr } = await new Promise<{ code: number; stderr: string }>((done) =>
        execFile(process.execPath, [bin, 'ea', 'feature', 'update', 'scarce', '--description', 'x', '--store', store], (error, _stdout, stderr) =>
          done({ code: error ? 1 : 0, stderr }),
        ),
      );
      expect(code, stderr).toBe(0);
      const reopened = await createPhasegate({ store: new FileStore(store) });
      expect(await reopened.earlyAccess.feature('scarce')).toMatchObject({ description: 'x', cap: 2, enabled: false, rolloutPercentage: 30 });
      await reopened.close();
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('the feedback limit holds under concurrency (issue 14 item 12)', () => {
  it('80 concurrent submissions against a limit of 50 store exactly 50', async () => {
    const store = new MemoryStore();
    const clients = await Promise.all(Array.from({ length: 4 }, () => setup(new SlowLink(store))));
    await clients[0]!.earlyAccess.createFeature({ key: 'f', level: 'beta' });
    await activeMember(clients[0]!, 'm');
    const outcomes = await Promise.allSettled(
      Array.from({ length: 80 }, (_, i) => clients[i % clients.length]!.earlyAccess.feedback('m', 'f', { rating: (i % 5) + 1, text: `note ${i}` })),
    );
    expect(FEEDBACK_LIMIT_PER_FEATURE).toBe(50);
    // Every refusal is the limit (a committed piece is never reported as failed), and exactly 50 went in.
    for (const outcome of outcomes) if (outcome.status === 'rejected') expect(String(outcome.reason)).toMatch(/reached the limit of 50/);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(50);
    expect(await store.count(Collections.earlyAccessFeedback)).toBe(50);
    expect(await clients[0]!.earlyAccess.feedbackOf('m')).toHaveLength(50);
    expect((await clients[0]!.earlyAccess.stats()).features[0]).toMatchObject({ key: 'f', feedbackCount: 50 });
  });

  it('the limit is per member and feature', async () => {
    const gate = await setup();
    await gate.earlyAccess.createFeature({ key: 'f', level: 'beta' });
    await gate.earlyAccess.createFeature({ key: 'g', level: 'beta' });
    await activeMember(gate, 'm');
    await activeMember(gate, 'n');
    await Promise.all(Array.from({ length: 50 }, () => gate.earlyAccess.feedback('m', 'f', { rating: 3 })));
    await expect(gate.earlyAccess.feedback('m', 'f', { rating: 3 })).rejects.toThrow(/reached the limit/);
    await gate.earlyAccess.feedback('m', 'g', { rating: 3 });
    await gate.earlyAccess.feedback('n', 'f', { rating: 3 });
  });
});

describe('right to be forgotten (issue 14 item 14, domain side)', () => {
  it('after delete, no record anywhere holds the email or the feedback text', async () => {
    const gate = await setup();
    await gate.earlyAccess.createFeature({ key: 'f', level: 'beta', cap: 5 });
    await gate.earlyAccess.createFeature({ key: 'g', level: 'beta' });
    await activeMember(gate, 'forget-me');
    await activeMember(gate, 'stay');
    await gate.earlyAccess.feedback('forget-me', 'f', { rating: 2, text: 'my secret complaint' });
    await gate.earlyAccess.feedback('forget-me', 'g', { text: 'another private remark' });
    await gate.earlyAccess.feedback('stay', 'f', { rating: 5, text: 'kept words' });
    expect(await everything(gate.store)).toContain('forget-me@example.com');

    await gate.earlyAccess.delete('forget-me');
    const text = await everything(gate.store);
    expect(text).not.toContain('forget-me@example.com');
    expect(text).not.toContain('my secret complaint');
    expect(text).not.toContain('another private remark');
    expect(text).not.toContain('forget-me');
    expect(text).toContain('kept words');
    expect(JSON.stringify(await gate.earlyAccess.stats())).not.toMatch(/forget-me|secret/);
    const exported = [];
    for await (const member of gate.earlyAccess.exportMembers()) exported.push(member);
    expect(exported.map((m) => m.userId)).toEqual(['stay']);
    expect((await gate.earlyAccess.stats()).features.find((f) => f.key === 'f')).toMatchObject({ feedbackCount: 1, meanRating: 5, seatsUsed: 1 });
  });

  it('feedback racing a delete is forgotten too', async () => {
    for (let round = 0; round < 20; round++) {
      const store = new MemoryStore();
      const [a, b] = await Promise.all([setup(new SlowLink(store)), setup(new SlowLink(store))]);
      await a.earlyAccess.createFeature({ key: 'f', level: 'beta' });
      await activeMember(a, 'm');
      await Promise.allSettled([
        ...Array.from({ length: 5 }, (_, i) => b.earlyAccess.feedback('m', 'f', { text: `racing words ${i}` })),
        a.earlyAccess.delete('m'),
      ]);
      expect(await everything(store)).not.toContain('racing words');
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('a delete cut short (member record left) can be retried and finishes', async () => {
    const gate = await setup();
    await gate.earlyAccess.createFeature({ key: 'f', level: 'beta' });
    await activeMember(gate, 'm');
    await gate.earlyAccess.feedback('m', 'f', { text: 'left behind' });
    // Simulate a crash after the feedback went but before the member did: delete only the member record.
    await gate.store.delete(Collections.earlyAccessUsers, 'm');
    await gate.earlyAccess.delete('m');
    expect(await everything(gate.store)).not.toContain('left behind');
    await expect(gate.earlyAccess.delete('m')).rejects.toThrow(NotFoundError);
  });
});

describe('one owner per flag, program side (issue 15 item 5)', () => {
  it('createFeature on a key a running release owns is refused, and nothing is stored', async () => {
    const gate = await setup();
    await gate.releases.plan({ version: '2.0.0', type: 'minor', features: ['new-editor'] });
    await gate.releases.start('2.0.0');
    const error = await gate.earlyAccess.createFeature({ key: 'new-editor', level: 'alpha' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlagOwnedError);
    expect((error as Error).message).toMatch(/flag 'new-editor' belongs to release 2\.0\.0; a flag has one owner/);
    expect(await gate.earlyAccess.feature('new-editor')).toBeUndefined();
    // So contextFor can never claim alpha members have a feature that isEnabled gives to 5%.
    await activeMember(gate, 'a1', 'alpha');
    expect((await gate.earlyAccess.contextFor('a1')).earlyAccessFeatures).toEqual([]);
  });

  it('createFeature on a plain existing flag is refused with what to do', async () => {
    const gate = await setup();
    await gate.flags.create({ key: 'banner', state: 'enabled' });
    await expect(gate.earlyAccess.createFeature({ key: 'banner', level: 'beta' })).rejects.toThrow(/already exists as a plain flag .* delete it or pick another key/);
  });

  it('handOver gives the flag to a release: members keep it, the program stops granting it, the release adopts it', async () => {
    const gate = await setup();
    await gate.earlyAccess.createFeature({ key: 'ai-assist', level: 'beta', cap: 2 });
    for (const id of ['m1', 'm2', 'm3']) await activeMember(gate, id);
    expect((await gate.earlyAccess.feature('ai-assist'))!.holders).toEqual(['m1', 'm2']);
    await gate.releases.plan({ version: '3.0.0', type: 'minor', features: ['ai-assist'] });
    await expect(gate.releases.start('3.0.0')).rejects.toThrow(/hand it over first with gate\.earlyAccess\.handOver\('ai-assist', '3\.0\.0'\)/);

    const handed = await gate.earlyAccess.handOver('ai-assist', '3.0.0');
    expect(handed).toMatchObject({ handedOverTo: '3.0.0', holders: [] });
    expect(await gate.earlyAccess.handOver('ai-assist', '3.0.0')).toMatchObject({ handedOverTo: '3.0.0' }); // retry is fine
    await expect(gate.earlyAccess.handOver('ai-assist', '4.0.0')).rejects.toThrow(IllegalTransitionError);
    await expect(gate.earlyAccess.updateFeature('ai-assist', { cap: 5 })).rejects.toThrow(IllegalTransitionError);
    expect((await gate.earlyAccess.contextFor('m1')).earlyAccessFeatures).toEqual([]);

    const started = await gate.releases.start('3.0.0');
    expect(started.adopted).toEqual([expect.objectContaining({ key: 'ai-assist', from: 'early-access', state: 'beta' })]);
    expect(started.history.some((e) => e.kind === 'adopted')).toBe(true);
    const flag = (await gate.flags.get('ai-assist'))!;
    expect(flag).toMatchObject({ state: 'rollout', salt: 'release:3.0.0', enabledUsers: ['m1', 'm2'], metadata: { owner: 'release:3.0.0' } });
    // The members who had it keep it; the program no longer claims anyone has it.
    expect(gate.isEnabled('ai-assist', await gate.earlyAccess.contextFor('m1'))).toBe(true);
    expect(gate.isEnabled('ai-assist', await gate.earlyAccess.contextFor('m2'))).toBe(true);
    expect(await gate.earlyAccess.hasFeature('m1', 'ai-assist')).toBe(false);
    await gate.releases.complete('3.0.0');
    expect(gate.isEnabled('ai-assist', { userId: 'anyone' })).toBe(true);
  });

  it('a deleted member who had a handed-over feature no longer appears in its flag\'s user list', async () => {
    const gate = await setup();
    await gate.earlyAccess.createFeature({ key: 'ai-assist', level: 'beta', cap: 2 });
    for (const id of ['m1', 'm2']) await activeMember(gate, id);
    await gate.flags.create({ key: 'listed-by-hand', state: 'beta', enabledUsers: ['m1'] });
    await gate.releases.plan({ version: '3.0.0', type: 'minor', features: ['ai-assist'] });
    await gate.earlyAccess.handOver('ai-assist', '3.0.0');
    await gate.releases.start('3.0.0');
    expect((await gate.flags.get('ai-assist'))!.enabledUsers).toEqual(['m1', 'm2']);

    await gate.earlyAccess.delete('m1');
    expect((await gate.flags.get('ai-assist'))!.enabledUsers).toEqual(['m2']);
    expect(gate.isEnabled('ai-assist', { userId: 'm2' })).toBe(true);
    // A list the program did not write is the host's own: left alone.
    expect((await gate.flags.get('listed-by-hand'))!.enabledUsers).toEqual(['m1']);
  });
});
