import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IllegalTransitionError, MEMBER_STATUSES, MEMBER_TRANSITIONS, type Member, type MemberStatus } from '../../src/index.js';
import { MEMBER_HISTORY_LIMIT, move, reinstate } from '../../src/early-access/transitions.js';

const START = Date.UTC(2026, 0, 1);

function member(status: MemberStatus, previous: 'approved' | 'active' = 'approved'): Member {
  return {
    userId: 'u-1',
    email: 'u@example.com',
    emailHash: '0'.repeat(64),
    level: 'beta',
    status,
    suspension: status === 'suspended' ? { previous, reason: 'test' } : null,
    history: [],
    enrolledAt: START,
    updatedAt: START,
  };
}

describe('member transitions (pure)', () => {
  it('property: a move succeeds exactly when the table allows it, and a suspended member only goes back where it was', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...MEMBER_STATUSES),
        fc.constantFrom(...MEMBER_STATUSES),
        fc.constantFrom<'approved' | 'active'>('approved', 'active'),
        fc.integer({ min: 0, max: 1e9 }),
        (from, to, previous, offset) => {
          const before = member(from, previous);
          const how = { at: START + offset, by: 'test' };
          let after: Member | undefined;
          try {
            after = move(before, to, how);
          } catch (error) {
            expect(error).toBeInstanceOf(IllegalTransitionError);
          }
          expect(after !== undefined).toBe(from !== 'suspended' && MEMBER_TRANSITIONS[from].includes(to));
          if (after) {
            expect(after.status).toBe(to);
            expect(after.history.at(-1)).toMatchObject({ from, to, by: 'test', at: START + offset });
            expect(after.suspension === null).toBe(to !== 'suspended');
            expect(after.level).toBe(to === 'graduated' ? 'stable' : before.level);
          }
          if (from === 'suspended') expect(reinstate(before, how)).toMatchObject({ status: previous, suspension: null });
          else expect(() => reinstate(before, how)).toThrow(IllegalTransitionError);
        },
      ),
    );
  });

  it('keeps a bounded history and never moves time backwards', () => {
    let current = member('approved');
    for (let i = 0; i < MEMBER_HISTORY_LIMIT * 2; i++) {
      current = move(current, 'suspended', { at: START - i, by: 'test', reason: 'r' });
      current = reinstate(current, { at: START - i, by: 'test' });
    }
    expect(current.history).toHaveLength(MEMBER_HISTORY_LIMIT);
    expect(current.updatedAt).toBe(START);
  });
});
