import { IllegalTransitionError } from '../errors.js';
import { MEMBER_TRANSITIONS, type Member, type MemberStatus } from './model.js';

/**
 * Pure member transitions, like `releases/transitions.ts`: each takes a stored member and
 * returns the next one, or throws {@link IllegalTransitionError}. They run inside optimistic
 * read-modify-write, so two processes acting at once never apply a move twice. The allowed
 * moves are the table {@link MEMBER_TRANSITIONS}.
 */

/** Transitions kept per member; older ones are dropped. */
export const MEMBER_HISTORY_LIMIT = 100;

/** Who moves a member, when, and why. */
export interface MemberMove {
  /** Epoch ms (never earlier than the member's last update). */
  readonly at: number;
  /** Who did it. */
  readonly by: string;
  /** Why (recorded for suspensions). */
  readonly reason?: string;
}

function subject(member: Member): string {
  return `early-access member ${member.userId}`;
}

function assertAllowed(member: Member, to: MemberStatus): void {
  const allowed = MEMBER_TRANSITIONS[member.status];
  if (!allowed.includes(to)) {
    throw new IllegalTransitionError(
      subject(member),
      member.status,
      to,
      allowed.length ? `from '${member.status}' a member can go to ${allowed.map((s) => `'${s}'`).join(', ')}` : `'${member.status}' is final`,
    );
  }
}

function moved(member: Member, to: MemberStatus, move: MemberMove, changes: Partial<Member>): Member {
  const at = Math.max(move.at, member.updatedAt);
  const history = [...member.history, { at, from: member.status, to, by: move.by, ...(move.reason ? { reason: move.reason } : {}) }];
  return { ...member, status: to, suspension: null, ...changes, history: history.slice(-MEMBER_HISTORY_LIMIT), updatedAt: at };
}

/**
 * Moves a member along the table (approve, activate, graduate, suspend). Leaving suspension is
 * not a plain move: use {@link reinstate}.
 */
export function move(member: Member, to: MemberStatus, how: MemberMove): Member {
  assertAllowed(member, to);
  // Leaving suspension is reinstatement only, and only back to where the member was.
  if (member.status === 'suspended') {
    throw new IllegalTransitionError(subject(member), member.status, to, `a suspended member can only be reinstated (back to '${member.suspension?.previous}')`);
  }
  return moved(member, to, how, {
    level: to === 'graduated' ? 'stable' : member.level,
    suspension: to === 'suspended' ? { previous: member.status as 'approved' | 'active', reason: how.reason ?? '' } : null,
  });
}

/** suspended → the status held before the suspension. */
export function reinstate(member: Member, how: MemberMove): Member {
  if (member.status !== 'suspended' || !member.suspension) {
    throw new IllegalTransitionError(subject(member), member.status, 'reinstated', 'only a suspended member can be reinstated');
  }
  const to = member.suspension.previous;
  assertAllowed(member, to);
  return moved(member, to, how, { suspension: null });
}
