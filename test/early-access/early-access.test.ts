import { describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  Collections,
  IllegalTransitionError,
  ManualClock,
  MemoryStore,
  NotFoundError,
  PhasegateError,
  ValidationError,
  bucketOf,
  createPhasegate,
  type MemberStatus,
  type Phasegate,
} from '../../src/index.js';

async function setup(store = new MemoryStore()): Promise<Phasegate> {
  return createPhasegate({ store, clock: new ManualClock() });
}

async function memberIn(gate: Phasegate, userId: string, status: MemberStatus, level: 'alpha' | 'beta' | 'preview' | 'stable' = 'beta') {
  await gate.earlyAccess.enroll({ userId, email: `${userId}@example.com`, level });
  if (status === 'pending') return;
  await gate.earlyAccess.approve(userId);
  if (status === 'approved') return;
  if (status === 'suspended') return void (await gate.earlyAccess.suspend(userId, 'test'));
  await gate.earlyAccess.activate(userId);
  if (status === 'graduated') await gate.earlyAccess.graduate(userId);
}

describe('enrollment', () => {
  it('normalises the email and starts pending', async () => {
    const gate = await setup();
    const member = await gate.earlyAccess.enroll({ userId: 'u-1', email: '  Ada@Example.COM ', level: 'alpha' });
    expect(member).toMatchObject({ userId: 'u-1', email: 'ada@example.com', level: 'alpha', status: 'pending', suspension: null });
    expect(member.emailHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a second enrollment of the same email, however it is written', async () => {
    const gate = await setup();
    await gate.earlyAccess.enroll({ userId: 'u-1', email: 'ada@example.com' });
    const error = await gate.earlyAccess.enroll({ userId: 'u-2', email: ' ADA@example.com' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PhasegateError);
    expect((error as PhasegateError).code).toBe('ALREADY_EXISTS');
    expect((error as Error).message).not.toContain('ada@');
    await expect(gate.earlyAccess.enroll({ userId: 'u-1', email: 'other@example.com' })).rejects.toThrow(AlreadyExistsError);
    // The failed enrollment of u-1 with another email released that email.
    await gate.earlyAccess.enroll({ userId: 'u-3', email: 'other@example.com' });
  });

  it.each([
    ['not an email', { userId: 'u', email: 'nope' }, /email: must be a valid email address/],
    ['empty user id', { userId: '', email: 'a@b.co' }, /userId: must not be empty/],
    ['unknown level', { userId: 'u', email: 'a@b.co', level: 'gold' }, /level: must be one of 'alpha', 'beta', 'preview', 'stable'/],
  ])('rejects %s', async (_name, input, message) => {
    const gate = await setup();
    await expect(gate.earlyAccess.enroll(input as never)).rejects.toThrow(ValidationError);
    await expect(gate.earlyAccess.enroll(input as never)).rejects.toThrow(message);
    expect(await gate.store.count(Collections.earlyAccessUsers)).toBe(0);
  });
});

describe('life cycle', () => {
  const actions = {
    approve: (gate: Phasegate) => gate.earlyAccess.approve('m'),
    activate: (gate: Phasegate) => gate.earlyAccess.activate('m'),
    suspend: (gate: Phasegate) => gate.earlyAccess.suspend('m', 'abuse'),
    reinstate: (gate: Phasegate) => gate.earlyAccess.reinstate('m'),
    graduate: (gate: Phasegate) => gate.earlyAccess.graduate('m'),
  };
  const legal: Record<MemberStatus, Array<keyof typeof actions>> = {
    pending: ['approve'],
    approved: ['activate', 'suspend'],
    active: ['suspend', 'graduate'],
    suspended: ['reinstate'],
    graduated: [],
  };
  for (const [status, allowed] of Object.entries(legal) as Array<[MemberStatus, Array<keyof typeof actions>]>) {
    for (const [name, act] of Object.entries(actions)) {
      const ok = allowed.includes(name as keyof typeof actions);
      it(`${name} from ${status} is ${ok ? 'allowed' : 'refused, naming both states'}`, async () => {
        const gate = await setup();
        await memberIn(gate, 'm', status);
        const before = await gate.earlyAccess.member('m');
        const outcome = await act(gate).then(() => undefined, (error: unknown) => error);
        if (ok) return expect(outcome).toBeUndefined();
        expect(outcome).toBeInstanceOf(IllegalTransitionError);
        expect((outcome as Error).message).toMatch(new RegExp(`early-access member m from '${status}' to '\\w+'`));
        expect(await gate.earlyAccess.member('m')).toEqual(before);
      });
    }
  }

  it('reinstates to the status held before the suspension, and records who and why', async () => {
    const gate = await setup();
    await memberIn(gate, 'a', 'approved');
    await memberIn(gate, 'b', 'active');
    await gate.earlyAccess.suspend('a', 'spam', { by: 'mod' });
    await gate.earlyAccess.suspend('b', 'leak', { by: 'mod' });
    expect((await gate.earlyAccess.reinstate('a')).status).toBe('approved');
    expect((await gate.earlyAccess.reinstate('b')).status).toBe('active');
    const history = (await gate.earlyAccess.member('b'))!.history;
    expect(history.map((h) => `${h.from}->${h.to}`)).toEqual(['null->pending', 'pending->approved', 'approved->active', 'active->suspended', 'suspended->active']);
    expect(history[3]).toMatchObject({ by: 'mod', reason: 'leak' });
  });

  it('graduation makes the level stable', async () => {
    const gate = await setup();
    await memberIn(gate, 'g', 'graduated', 'alpha');
    expect(await gate.earlyAccess.member('g')).toMatchObject({ status: 'graduated', level: 'stable' });
    expect(await gate.earlyAccess.contextFor('g')).toEqual({ userId: 'g', accessLevel: 'stable' });
  });

  it('a suspension needs a reason; unknown members are NotFoundError', async () => {
    const gate = await setup();
    await memberIn(gate, 'm', 'active');
    await expect(gate.earlyAccess.suspend('m', ' ')).rejects.toThrow(/reason: must not be empty/);
    await expect(gate.earlyAccess.approve('ghost')).rejects.toThrow(NotFoundError);
  });
});

describe('features', () => {
  it('levels nest: alpha members get beta features, preview members do not', async () => {
    const gate = await setup();
    await gate.earlyAccess.createFeature({ key: 'new-editor', level: 'beta' });
    for (const level of ['alpha', 'beta', 'preview'] as const) await memberIn(gate, level, 'active', level);
    expect(await gate.earlyAccess.hasFeature('alpha', 'new-editor')).toBe(true);
    expect(await gate.earlyAccess.hasFeature('beta', 'new-editor')).toBe(true);
    expect(await gate.earlyAccess.hasFeature('preview', 'new-editor')).toBe(false);
  });

  it('applies the rollout percentage with the same bucketing as flags', async () => {
    const gate = await setup();
    await gate.earlyAccess.createFeature({ key: 'half', level: 'preview', rolloutPercentage: 30 });
    const ids = Array.from({ length: 200 }, (_, i) => `member-${i}`);
    for (const id of ids) await memberIn(gate, id, 'active');
    for (const id of ids) expect(await gate.earlyAccess.hasFeature(id, 'half')).toBe(bucketOf('half', id) < 30_000);
    const count = (await Promise.all(ids.map((id) => gate.earlyAccess.hasFeature(id, 'half')))).filter(Boolean).length;
    expect(count).toBeGreaterThan(30);
    expect(count).toBeLessThan(90);
  });

  it('a disabled feature is nobody’s', async () => {
    const gate = await setup();
    await gate.earlyAccess.createFeature({ key: 'f', level: 'beta' });
    await memberIn(gate, 'm', 'active');
    await gate.earlyAccess.updateFeature('f', { enabled: false });
    expect(await gate.earlyAccess.hasFeature('m', 'f')).toBe(false);
  });

  it('caps seats; suspension and graduation release them', async () => {
    const gate = await setup();
    await gate.earlyAccess.createFeature({ key: 'capped', level: 'beta', cap: 2 });
    for (const id of ['a', 'b', 'c']) await memberIn(gate, id, 'active');
    expect((await gate.earlyAccess.feature('capped'))!.holders).toEqual(['a', 'b']);
    expect(await gate.earlyAccess.hasFeature('c', 'capped')).toBe(false);
    await gate.earlyAccess.suspend('a', 'pause');
    expect((await gate.earlyAccess.feature('capped'))!.holders).toEqual(['b']);
    expect(await gate.earlyAccess.allocateSeats('c')).toEqual(['capped']);
    await gate.earlyAccess.graduate('b');
    expect((await gate.earlyAccess.feature('capped'))!.holders).toEqual(['c']);
    await gate.earlyAccess.reinstate('a');
    expect((await gate.earlyAccess.feature('capped'))!.holders).toEqual(['a', 'c']);
    await expect(gate.earlyAccess.updateFeature('capped', { cap: 1 })).rejects.toThrow(/cap: must be at least the 2 seats already held/);
  });

  it('caps hold under concurrent approvals from several clients on one store', async () => {
    const store = new MemoryStore();
    const clients = await Promise.all(Array.from({ length: 4 }, () => setup(store)));
    await clients[0]!.earlyAccess.createFeature({ key: 'scarce', level: 'beta', cap: 5 });
    const ids = Array.from({ length: 24 }, (_, i) => `c-${i}`);
    for (const id of ids) await clients[0]!.earlyAccess.enroll({ userId: id, email: `${id}@example.com` });
    await Promise.all(ids.map((id, i) => clients[i % clients.length]!.earlyAccess.approve(id)));
    const feature = (await clients[0]!.earlyAccess.feature('scarce'))!;
    expect(feature.holders).toHaveLength(5);
    expect(new Set(feature.holders).size).toBe(5);
  });
});

describe('wiring into beta flags', () => {
  it('contextFor turns the feature’s beta flag on for exactly the members who have it', async () => {
    const gate = await setup();
    await gate.earlyAccess.createFeature({ key: 'ai-assist', level: 'beta', cap: 1 });
    expect(await gate.flags.get('ai-assist')).toMatchObject({ state: 'beta', strategy: { type: 'percentage', percentage: 0 } });
    await memberIn(gate, 'first', 'active');
    await memberIn(gate, 'second', 'active');
    await memberIn(gate, 'waiting', 'approved');
    const check = async (userId: string) => gate.isEnabled('ai-assist', await gate.earlyAccess.contextFor(userId));
    expect(await check('first')).toBe(true);
    expect(gate.evaluate('ai-assist', await gate.earlyAccess.contextFor('first')).reason).toBe('EARLY_ACCESS');
    expect(await check('second')).toBe(false); // no seat left
    expect(await check('waiting')).toBe(false);
    expect(await check('stranger')).toBe(false);
    await gate.earlyAccess.suspend('first', 'pause');
    await gate.earlyAccess.allocateSeats('second');
    expect(await check('first')).toBe(false);
    expect(await check('second')).toBe(true);
  });

  it('emits events the flag client and analytics can use', async () => {
    const gate = await setup();
    const seen: string[] = [];
    for (const name of ['enrolled', 'approved', 'activated', 'suspended', 'reinstated', 'graduated'] as const) {
      gate.events.on(`earlyAccess:${name}`, (event: { userId: string }) => seen.push(`${name}:${event.userId}`));
    }
    await memberIn(gate, 'm', 'active');
    await gate.earlyAccess.suspend('m', 'x');
    await gate.earlyAccess.reinstate('m');
    await gate.earlyAccess.graduate('m');
    expect(seen).toEqual(['enrolled:m', 'approved:m', 'activated:m', 'suspended:m', 'reinstated:m', 'graduated:m']);
  });
});

describe('feedback', () => {
  it('is only taken on features the member has, with checked ratings and bounded text', async () => {
    const gate = await setup();
    await gate.earlyAccess.createFeature({ key: 'f', level: 'beta' });
    await gate.earlyAccess.createFeature({ key: 'alpha-only', level: 'alpha' });
    await memberIn(gate, 'm', 'active');
    await gate.earlyAccess.feedback('m', 'f', { rating: 4, text: 'nice' });
    await gate.earlyAccess.feedback('m', 'f', { rating: 2 });
    await gate.earlyAccess.feedback('m', 'f', { text: 'slow on mobile' });
    await expect(gate.earlyAccess.feedback('m', 'alpha-only', { rating: 5 })).rejects.toThrow(/does not have feature 'alpha-only'/);
    await expect(gate.earlyAccess.feedback('m', 'f', { rating: 6 })).rejects.toThrow(/rating: must be at most 5/);
    await expect(gate.earlyAccess.feedback('m', 'f', { rating: 0 })).rejects.toThrow(/rating: must be at least 1/);
    await expect(gate.earlyAccess.feedback('m', 'f', { text: 'x'.repeat(2001) })).rejects.toThrow(/text: must be at most 2000 characters/);
    await expect(gate.earlyAccess.feedback('m', 'f', {})).rejects.toThrow(/give a rating, a text, or both/);
    const stats = await gate.earlyAccess.stats();
    expect(stats.features.find((f) => f.key === 'f')).toMatchObject({ feedbackCount: 3, meanRating: 3 });
    const dashboard = await gate.earlyAccess.dashboard('m');
    expect(dashboard).toMatchObject({ userId: 'm', level: 'beta', status: 'active', features: ['f'] });
    expect(dashboard.feedback.map((f) => f.rating)).toEqual([4, 2, null]);
    // Stored as their own records, not inside the member.
    expect(await gate.store.count(Collections.earlyAccessFeedback)).toBe(3);
    expect(JSON.stringify(await gate.earlyAccess.member('m'))).not.toContain('nice');
  });

  it('is bounded per member and feature', async () => {
    const gate = await setup();
    await gate.earlyAccess.createFeature({ key: 'f', level: 'beta' });
    await memberIn(gate, 'm', 'active');
    for (let i = 0; i < 50; i++) await gate.earlyAccess.feedback('m', 'f', { rating: 3 });
    await expect(gate.earlyAccess.feedback('m', 'f', { rating: 3 })).rejects.toThrow(/reached the limit of 50/);
  });
});

describe('stats and privacy', () => {
  it('counts members by status and level without emails or ids', async () => {
    const gate = await setup();
    await gate.earlyAccess.createFeature({ key: 'f', level: 'beta', cap: 10 });
    await memberIn(gate, 'p1', 'pending', 'alpha');
    await memberIn(gate, 'a1', 'approved');
    await memberIn(gate, 'x1', 'active', 'preview');
    await memberIn(gate, 'x2', 'active');
    await memberIn(gate, 's1', 'suspended');
    const stats = await gate.earlyAccess.stats();
    expect(stats.members).toEqual({
      total: 5,
      byStatus: { pending: 1, approved: 1, active: 2, suspended: 1, graduated: 0 },
      byLevel: { alpha: 1, beta: 3, preview: 1, stable: 0 },
    });
    expect(stats.features[0]).toMatchObject({ key: 'f', seatsUsed: 2, cap: 10, meanRating: null });
    const text = JSON.stringify(stats);
    expect(text).not.toMatch(/@example\.com|p1|a1|x1/);
    const exported = [];
    for await (const member of gate.earlyAccess.exportMembers()) exported.push(member);
    expect(exported).toHaveLength(5);
    expect(JSON.stringify(exported)).not.toMatch(/@|emailHash/);
  });

  it('deleting a member forgets them: record, email, seats and feedback', async () => {
    const gate = await setup();
    await gate.earlyAccess.createFeature({ key: 'f', level: 'beta', cap: 3 });
    await memberIn(gate, 'm', 'active');
    await gate.earlyAccess.feedback('m', 'f', { rating: 5, text: 'love it' });
    await gate.earlyAccess.delete('m');
    expect(await gate.earlyAccess.member('m')).toBeUndefined();
    expect((await gate.earlyAccess.feature('f'))).toMatchObject({ holders: [], feedbackCount: 0, ratingCount: 0, ratingSum: 0 });
    expect(await gate.store.count(Collections.earlyAccessFeedback)).toBe(0);
    expect(await gate.store.count(Collections.earlyAccessEmails)).toBe(0);
    await gate.earlyAccess.enroll({ userId: 'm', email: 'm@example.com' });
  });
});
