import { ValidationError } from '../errors.js';
import { FLAG_STATES, type FlagState, type FlagUpdate } from '../flags/model.js';
import type { Phasegate } from '../phasegate.js';

/** Reading a page or following the live feed. */
export interface ViewAction {
  readonly kind: 'view';
  /** Always true: reading changes nothing. */
  readonly readOnly: true;
  /** The path under the console's base, e.g. `/flags/new-checkout`. */
  readonly path: string;
}

/** Changing a flag's state and/or percentage. */
export interface FlagUpdateAction {
  readonly kind: 'flag.update';
  readonly readOnly: false;
  readonly flag: string;
  readonly state?: FlagState;
  readonly percentage?: number;
  readonly reason: string;
}

/** Holding, resuming, advancing or rolling back a release. */
export interface ReleaseAction {
  readonly kind: 'release.hold' | 'release.resume' | 'release.advance' | 'release.rollback';
  readonly readOnly: false;
  readonly version: string;
  readonly reason: string;
}

/** Approving or suspending an early-access member. */
export interface MemberAction {
  readonly kind: 'member.approve' | 'member.suspend';
  readonly readOnly: false;
  readonly userId: string;
  readonly reason: string;
}

/** Everything the console asks `authorize` about. Writes have `readOnly: false`. */
export type ConsoleAction = ViewAction | FlagUpdateAction | ReleaseAction | MemberAction;

/** The kinds of write the console can perform. */
export const CONSOLE_WRITE_ACTIONS = [
  'flag.update',
  'release.hold',
  'release.resume',
  'release.advance',
  'release.rollback',
  'member.approve',
  'member.suspend',
] as const;

function field(form: URLSearchParams, name: string, max: number): string {
  const value = form.get(name)?.trim() ?? '';
  if (value === '') throw new ValidationError('console action', [{ path: name, message: 'is required' }]);
  if (value.length > max) throw new ValidationError('console action', [{ path: name, message: `must be at most ${max} characters` }]);
  return value;
}

/**
 * Reads a submitted action form. Every write needs a reason.
 * @throws ValidationError naming the field that is missing or wrong.
 */
export function parseAction(form: URLSearchParams): Exclude<ConsoleAction, ViewAction> {
  const kind = field(form, 'action', 50);
  const reason = field(form, 'reason', 500);
  switch (kind) {
    case 'flag.update': {
      const flag = field(form, 'flag', 200);
      const stateText = form.get('state')?.trim() || undefined;
      if (stateText !== undefined && !(FLAG_STATES as readonly string[]).includes(stateText)) {
        throw new ValidationError('console action', [{ path: 'state', message: `must be one of ${FLAG_STATES.join(', ')}` }]);
      }
      const percentageText = form.get('percentage')?.trim() || undefined;
      const percentage = percentageText === undefined ? undefined : Number(percentageText);
      if (percentage !== undefined && !Number.isFinite(percentage)) {
        throw new ValidationError('console action', [{ path: 'percentage', message: `must be a number, got '${percentageText}'` }]);
      }
      if (stateText === undefined && percentage === undefined) {
        throw new ValidationError('console action', [{ path: 'state', message: 'give a state or a percentage to change' }]);
      }
      return {
        kind,
        readOnly: false,
        flag,
        ...(stateText !== undefined ? { state: stateText as FlagState } : {}),
        ...(percentage !== undefined ? { percentage } : {}),
        reason,
      };
    }
    case 'release.hold':
    case 'release.resume':
    case 'release.advance':
    case 'release.rollback':
      return { kind, readOnly: false, version: field(form, 'version', 100), reason };
    case 'member.approve':
    case 'member.suspend':
      return { kind, readOnly: false, userId: field(form, 'userId', 256), reason };
    default:
      throw new ValidationError('console action', [{ path: 'action', message: `unknown action '${kind}' (one of ${CONSOLE_WRITE_ACTIONS.join(', ')})` }]);
  }
}

/**
 * Performs an authorised action through the client's public API, as `actor` and with its
 * reason: the client's audit log records it with the before/after difference (and any side
 * effects, such as a release's flags, under the same action).
 */
export async function performAction(gate: Phasegate, action: Exclude<ConsoleAction, ViewAction>, actor: string): Promise<void> {
  const why = { by: actor, reason: action.reason };
  switch (action.kind) {
    case 'flag.update': {
      const change: { -readonly [K in keyof FlagUpdate]: FlagUpdate[K] } = {};
      if (action.state !== undefined) change.state = action.state;
      if (action.percentage !== undefined) change.strategy = { type: 'percentage', percentage: action.percentage };
      await gate.flags.update(action.flag, change, why);
      return;
    }
    case 'release.hold':
      await gate.releases.hold(action.version, action.reason, why);
      return;
    case 'release.resume':
      await gate.releases.resume(action.version, why);
      return;
    case 'release.advance':
      await gate.releases.advance(action.version, why);
      return;
    case 'release.rollback':
      await gate.releases.rollback(action.version, action.reason, why);
      return;
    case 'member.approve':
      await gate.earlyAccess.approve(action.userId, why);
      return;
    case 'member.suspend':
      await gate.earlyAccess.suspend(action.userId, action.reason, why);
      return;
  }
}
