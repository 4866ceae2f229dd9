import { IllegalTransitionError } from '../errors.js';
import {
  ACTIVE_RELEASE_STATUSES,
  RELEASE_TRANSITIONS,
  type Release,
  type ReleaseAdoption,
  type ReleaseBreach,
  type ReleaseEvent,
  type ReleaseRollback,
  type ReleaseStatus,
  type RolloutPhase,
} from './model.js';

/**
 * Pure release transitions: each takes a stored release and returns the next one, or throws
 * {@link IllegalTransitionError}. They run inside optimistic read-modify-write, so two
 * processes acting at once never apply the same step twice.
 */

const HISTORY_LIMIT = 500;

function withEvent(release: Release, event: ReleaseEvent, changes: Partial<Release>): Release {
  const history = [...release.history, event];
  return { ...release, ...changes, history: history.slice(-HISTORY_LIMIT), updatedAt: Math.max(event.at, release.updatedAt) };
}

/** Whether phases move in this status. */
export function isActive(status: ReleaseStatus): boolean {
  return ACTIVE_RELEASE_STATUSES.includes(status);
}

function subject(release: Release): string {
  return `release ${release.version}`;
}

function assertTransition(release: Release, to: ReleaseStatus): void {
  if (!RELEASE_TRANSITIONS[release.status].includes(to)) {
    const allowed = RELEASE_TRANSITIONS[release.status];
    throw new IllegalTransitionError(
      subject(release),
      release.status,
      to,
      allowed.length ? `from '${release.status}' it can go to ${allowed.map((s) => `'${s}'`).join(', ')}` : `'${release.status}' is final`,
    );
  }
}

/** `to` names the state the caller wanted (`held`), `action` the verb for the explanation (`be held`). */
function assertActive(release: Release, action: string, to: string): void {
  if (!isActive(release.status)) {
    throw new IllegalTransitionError(subject(release), release.status, to, `only a release in progress, testing or staging can ${action}`);
  }
}

/** The phase a release is in, if started. */
export function currentPhase(release: Release): RolloutPhase | undefined {
  return release.phaseIndex === null ? undefined : release.plan.phases[release.phaseIndex];
}

function assertPlanned(release: Release, to: string, action: string): void {
  // testing → in_progress is a legal status move, but only a planned release can start or be edited.
  if (release.status !== 'planned') {
    throw new IllegalTransitionError(subject(release), release.status, to, `only a planned release can ${action}`);
  }
}

/** planned → in_progress, at the first phase; records the existing flags it took over. */
export function start(release: Release, at: number, by: string, adopted: readonly ReleaseAdoption[] = []): Release {
  assertPlanned(release, 'in_progress', 'start');
  const first = release.plan.phases[0]!;
  let next = release;
  if (adopted.length > 0) {
    const note = adopted.map((a) => `${a.key} (${a.state}, from ${a.from ?? 'no owner'})`).join(', ');
    next = withEvent(next, { at, kind: 'adopted', by, note: `took over existing flags: ${note}` }, { adopted: [...(release.adopted ?? []), ...adopted] });
  }
  return withEvent(
    next,
    { at, kind: 'status', from: release.status, to: 'in_progress', percentage: first.percentage, by },
    { status: 'in_progress', phaseIndex: 0, phaseStartedAt: at, startedAt: at },
  );
}

/** Changes a planned release; `changes` is already validated. */
export function edit(release: Release, changes: Partial<Pick<Release, EditableField>>, at: number, by: string): Release {
  assertPlanned(release, 'planned', 'be edited');
  const named = (Object.keys(changes) as EditableField[]).filter((field) => changes[field] !== undefined);
  if (named.length === 0) return release;
  const applied = Object.fromEntries(named.map((field) => [field, changes[field]]));
  return withEvent(release, { at, kind: 'edited', by, note: `changed ${named.join(', ')}` }, applied);
}

/** The fields `edit` may change. */
export type EditableField = 'type' | 'description' | 'features' | 'bugFixes' | 'breakingChanges' | 'plan' | 'rollbackPlan' | 'downgrade';

/** Moves to the next phase at `at`. */
export function advance(release: Release, at: number, by: string, note?: string): Release {
  assertActive(release, 'advance', 'next phase');
  if (release.hold) throw new IllegalTransitionError(subject(release), 'held', 'next phase', `it is held (${release.hold.reason}); resume it first`);
  const index = release.phaseIndex ?? 0;
  const next = release.plan.phases[index + 1];
  if (!next) throw new IllegalTransitionError(subject(release), currentPhase(release)?.name ?? 'none', 'next phase', 'it is in its last phase; complete it instead');
  return withEvent(
    release,
    { at, kind: 'phase', from: release.plan.phases[index]!.name, to: next.name, percentage: next.percentage, by, ...(note ? { note } : {}) },
    { phaseIndex: index + 1, phaseStartedAt: at },
  );
}

/** What `tick` should do for a release at `now`: advance to the next phase at the given instant, complete, or nothing. */
export function dueStep(release: Release, now: number): { kind: 'advance'; at: number } | { kind: 'complete'; at: number } | undefined {
  if (!isActive(release.status) || release.hold || release.phaseIndex === null || release.phaseStartedAt === null) return undefined;
  const phase = release.plan.phases[release.phaseIndex]!;
  const endsAt = release.phaseStartedAt + phase.durationMs;
  if (now < endsAt) return undefined;
  // A manual phase waits for a person, last phase or not: completing from it is their call.
  if (phase.gate === 'manual') return undefined;
  const isLast = release.phaseIndex === release.plan.phases.length - 1;
  if (isLast) return { kind: 'complete', at: endsAt };
  return { kind: 'advance', at: endsAt };
}

/** Holds the release in its current phase. */
export function hold(release: Release, at: number, by: string, reason: string, breach?: ReleaseBreach): Release {
  assertActive(release, 'be held', 'held');
  if (release.hold) return release;
  return withEvent(
    release,
    { at, kind: 'hold', to: currentPhase(release)?.name ?? 'none', by, note: reason },
    { hold: { at, by, reason, ...(breach ? { breach } : {}) } },
  );
}

/** Lifts a hold; the phase clock restarts so the phase gets its full duration of observation. */
export function resume(release: Release, at: number, by: string): Release {
  assertActive(release, 'resume', 'resumed');
  if (!release.hold) throw new IllegalTransitionError(subject(release), release.status, 'resumed', 'it is not held');
  return withEvent(release, { at, kind: 'resume', to: currentPhase(release)?.name ?? 'none', by }, { hold: null, phaseStartedAt: at });
}

/** Moves between in_progress, testing and staging. */
export function setStatus(release: Release, to: 'in_progress' | 'testing' | 'staging', at: number, by: string): Release {
  assertTransition(release, to);
  return withEvent(release, { at, kind: 'status', from: release.status, to, by }, { status: to });
}

/** Any active status → released. */
export function complete(release: Release, at: number, by: string, previousVersion: string | null, note?: string): Release {
  assertTransition(release, 'released');
  if (release.hold) throw new IllegalTransitionError(subject(release), 'held', 'released', `it is held (${release.hold.reason}); resume it first`);
  return withEvent(
    release,
    { at, kind: 'status', from: release.status, to: 'released', percentage: 100, by, ...(note ? { note } : {}) },
    { status: 'released', releasedAt: at, previousVersion, hold: null },
  );
}

/** Throws unless the release may be rolled back now (active or released). */
export function assertCanRollBack(release: Release): void {
  assertTransition(release, 'rolled_back');
}

/** Any active status, or released → rolled_back. */
export function rollBack(release: Release, rollback: ReleaseRollback): Release {
  assertTransition(release, 'rolled_back');
  return withEvent(
    release,
    { at: rollback.at, kind: 'rollback', from: release.status, to: 'rolled_back', percentage: 0, by: rollback.by, note: rollback.reason },
    { status: 'rolled_back', rollback, hold: null },
  );
}
