import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  IllegalTransitionError,
  MEMBER_TRANSITIONS,
  ManualClock,
  MemoryStore,
  PhasegateError,
  accessLevelQualifies,
  createPhasegate,
  type AccessLevel,
  type MemberStatus,
  type Phasegate,
} from '../../src/index.js';

interface Model {
  members: Map<string, { status: MemberStatus; level: AccessLevel; previous?: 'approved' | 'active' }>;
}
interface Real {
  gate: Phasegate;
}

const ids = ['u0', 'u1', 'u2', 'u3'];
const levels: AccessLevel[] = ['alpha', 'beta', 'beta', 'preview'];

/** Runs an action; an IllegalTransitionError must happen exactly when the model says the move is illegal. */
async function attempt(model: Model, real: Real, id: string, to: MemberStatus, act: () => Promise<unknown>): Promise<void> {
  const member = model.members.get(id);
  const legal =
    member !== undefined &&
    MEMBER_TRANSITIONS[member.status].includes(to) &&
    (member.status !== 'suspended' || member.previous === to);
  const outcome = await act().then(() => undefined, (error: unknown) => error);
  if (!member) {
    expect((outcome as PhasegateError | undefined)?.code).toBe('NOT_FOUND');
    return;
  }
  if (!legal) {
    expect(outcome).toBeInstanceOf(IllegalTransitionError);
    return;
  }
  expect(outcome).toBeUndefined();
  member.previous = to === 'suspended' ? (member.status as 'approved' | 'active') : undefined;
  member.status = to;
  if (to === 'graduated') member.level = 'stable';
  void real;
}

class Enroll implements fc.AsyncCommand<Model, Real> {
  constructor(readonly id: string, readonly level: AccessLevel) {}
  check = (model: Readonly<Model>) => !model.members.has(this.id);
  async run(model: Model, real: Real) {
    const outcome = await real.gate.earlyAccess.enroll({ userId: this.id, email: `${this.id}@example.com`, level: this.level }).then(() => undefined, (e: unknown) => e);
    if (model.members.has(this.id)) expect((outcome as PhasegateError).code).toBe('ALREADY_EXISTS');
    else {
      expect(outcome).toBeUndefined();
      model.members.set(this.id, { status: 'pending', level: this.level });
    }
  }
  toString = () => `enroll(${this.id}, ${this.level})`;
}

const targetOf = (action: Move['action'], previous?: MemberStatus): MemberStatus =>
  action === 'approve' ? 'approved'
  : action === 'activate' ? 'active'
  : action === 'suspend' ? 'suspended'
  : action === 'graduate' ? 'graduated'
  : previous ?? 'approved';

class Move implements fc.AsyncCommand<Model, Real> {
  constructor(readonly id: string, readonly action: 'approve' | 'activate' | 'suspend' | 'reinstate' | 'graduate') {}
  // Only legal moves: illegal ones are covered one by one in early-access.test.ts.
  check = (model: Readonly<Model>) => {
    const member = model.members.get(this.id);
    if (!member) return false;
    if (this.action === 'reinstate') return member.status === 'suspended';
    return member.status !== 'suspended' && MEMBER_TRANSITIONS[member.status].includes(targetOf(this.action));
  };
  async run(model: Model, real: Real) {
    const ea = real.gate.earlyAccess;
    const member = model.members.get(this.id);
    const target = targetOf(this.action, member?.previous);
    const act = {
      approve: () => ea.approve(this.id),
      activate: () => ea.activate(this.id),
      suspend: () => ea.suspend(this.id, 'property test'),
      reinstate: () => ea.reinstate(this.id),
      graduate: () => ea.graduate(this.id),
    }[this.action];
    if (this.action === 'reinstate' && member && member.status !== 'suspended') {
      const outcome = await act().then(() => undefined, (e: unknown) => e);
      expect(outcome).toBeInstanceOf(IllegalTransitionError);
      return;
    }
    await attempt(model, real, this.id, target, act);
  }
  toString = () => `${this.action}(${this.id})`;
}

class Delete implements fc.AsyncCommand<Model, Real> {
  constructor(readonly id: string) {}
  check = (model: Readonly<Model>) => model.members.has(this.id);
  async run(model: Model, real: Real) {
    await real.gate.earlyAccess.delete(this.id);
    model.members.delete(this.id);
  }
  toString = () => `delete(${this.id})`;
}

class Allocate implements fc.AsyncCommand<Model, Real> {
  constructor(readonly id: string) {}
  check = (model: Readonly<Model>) => model.members.has(this.id);
  async run(_model: Model, real: Real) {
    await real.gate.earlyAccess.allocateSeats(this.id);
  }
  toString = () => `allocateSeats(${this.id})`;
}

async function checkInvariants(model: Model, real: Real): Promise<void> {
  const features = await real.gate.earlyAccess.features();
  const stats = await real.gate.earlyAccess.stats();
  for (const feature of features) {
    expect(new Set(feature.holders).size).toBe(feature.holders.length);
    if (feature.cap !== null) expect(feature.holders.length).toBeLessThanOrEqual(feature.cap);
    for (const holder of feature.holders) {
      const member = model.members.get(holder);
      expect(member, `${holder} holds a seat on ${feature.key} but is not a member`).toBeDefined();
      expect(['approved', 'active']).toContain(member!.status);
      expect(accessLevelQualifies(member!.level, feature.level)).toBe(true);
    }
    // Seats used equals the number of members holding a seat, counted member by member.
    let holding = 0;
    for (const id of model.members.keys()) {
      if ((await real.gate.earlyAccess.dashboard(id)).seats.includes(feature.key)) holding++;
    }
    expect(stats.features.find((f) => f.key === feature.key)!.seatsUsed).toBe(feature.cap === null ? null : holding);
    if (feature.cap === null) expect(holding).toBe(0);
  }
  for (const [id, member] of model.members) {
    expect((await real.gate.earlyAccess.member(id))!.status).toBe(member.status);
  }
  expect(stats.members.total).toBe(model.members.size);
}

describe('seat accounting (model-based)', () => {
  it('seats used always equal the members holding a seat, within caps, after any sequence', async () => {
    const commands = [
      fc.tuple(fc.constantFrom(...ids), fc.constantFrom(...levels)).map(([id, level]) => new Enroll(id, level)),
      fc
        .tuple(fc.constantFrom(...ids), fc.constantFrom('approve', 'activate', 'suspend', 'reinstate', 'graduate') as fc.Arbitrary<Move['action']>)
        .map(([id, action]) => new Move(id, action)),
      fc.constantFrom(...ids).map((id) => new Delete(id)),
      fc.constantFrom(...ids).map((id) => new Allocate(id)),
    ];
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 60, size: 'large' }), async (sequence) => {
        const gate = await createPhasegate({ store: new MemoryStore(), clock: new ManualClock() });
        await gate.earlyAccess.createFeature({ key: 'two-seats', level: 'beta', cap: 2 });
        await gate.earlyAccess.createFeature({ key: 'one-alpha-seat', level: 'alpha', cap: 1 });
        await gate.earlyAccess.createFeature({ key: 'open', level: 'preview' });
        const model: Model = { members: new Map() };
        const real: Real = { gate };
        const checked = [...sequence].map((command) => ({
          check: (m: Readonly<Model>) => command.check(m),
          run: async (m: Model, r: Real) => {
            await command.run(m, r);
            await checkInvariants(m, r);
          },
          toString: () => command.toString(),
        }));
        await fc.asyncModelRun(() => ({ model, real }), checked);
      }),
      { numRuns: 100 },
    );
  });
});
