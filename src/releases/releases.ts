import semver from 'semver';
import type { Clock } from '../clock.js';
import { AlreadyExistsError, NotFoundError } from '../errors.js';
import type { EventPort } from '../event-port.js';
import type { ActorOptions } from '../contracts.js';
import type { ReleaseEvents } from './events.js';
import type { Flags } from '../flags/flags.js';
import type { Flag } from '../flags/model.js';
import { insertRecord, iterateRecords, updateRecord } from '../storage/records.js';
import { Collections, type Store } from '../storage/store.js';
import { parseWith } from '../validation.js';
import {
  defaultRollbackPlan,
  defaultRolloutPlan,
  releasePlanInputSchema,
  type Release,
  type ReleaseBreach,
  type ReleasePlanInput,
  type ReleaseRollback,
  type RollbackStepOutcome,
} from './model.js';
import * as transitions from './transitions.js';

const CURRENT_VERSION_KEY = 'current-version';

export type { ActorOptions } from '../contracts.js';

/** A guard consulted before `tick` advances or completes a release: return `true` to allow, or a reason to wait. */
export type ReleaseGuard = (release: Release) => true | string;

/** Where a release stands right now. */
export interface ReleaseProgress {
  readonly version: string;
  readonly status: Release['status'];
  readonly phase: string | null;
  readonly phaseIndex: number | null;
  readonly phaseCount: number;
  /** Percent of users exposed to the release's features now. */
  readonly exposurePercentage: number;
  /** Milliseconds until the current phase's duration has passed (0 when it has). `null` when not in a phase. */
  readonly timeLeftInPhaseMs: number | null;
  readonly held: boolean;
  readonly holdReason: string | null;
  readonly history: Release['history'];
}

/** What one `tick` did. */
export interface TickResult {
  readonly advanced: ReadonlyArray<{ readonly version: string; readonly from: string; readonly to: string }>;
  readonly completed: readonly string[];
  /** Releases due to advance but kept in place by a guard, with the guard's reason. */
  readonly waiting: ReadonlyArray<{ readonly version: string; readonly reason: string }>;
}

/** The percentage of users a release exposes in its current state. */
export function exposureOf(release: Release): number {
  if (release.status === 'released') return 100;
  if (!transitions.isActive(release.status)) return 0;
  return transitions.currentPhase(release)?.percentage ?? 0;
}

/**
 * `gate.releases`: semver releases rolled out in phases, each feature behind a flag.
 * Every state lives in the store, so a restart resumes in the same phase at the same percentage,
 * and several processes may tick at once without double-stepping.
 */
export class Releases {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly events: EventPort<ReleaseEvents>;
  private readonly flags: Flags;
  private readonly guards = new Set<ReleaseGuard>();

  /** @internal Built by `createPhasegate`. */
  constructor(store: Store, clock: Clock, events: EventPort<ReleaseEvents>, flags: Flags) {
    this.store = store;
    this.clock = clock;
    this.events = events;
    this.flags = flags;
  }

  /**
   * Plans a release. The default rollout plan depends on the type (see docs/releases.md).
   * @throws ValidationError for bad input, AlreadyExistsError when the version is already planned.
   */
  async plan(input: ReleasePlanInput, options: ActorOptions = {}): Promise<Release> {
    const parsed = parseWith(releasePlanInputSchema, input, 'release');
    const now = this.clock.now();
    const by = options.by ?? 'api';
    const release: Release = {
      version: parsed.version,
      type: parsed.type,
      description: parsed.description,
      status: 'planned',
      features: parsed.features,
      bugFixes: parsed.bugFixes,
      breakingChanges: parsed.breakingChanges,
      plan: parsed.plan ?? defaultRolloutPlan(parsed.type),
      rollbackPlan: parsed.rollbackPlan ?? defaultRollbackPlan(),
      salt: `release:${parsed.version}`,
      phaseIndex: null,
      phaseStartedAt: null,
      hold: null,
      previousVersion: null,
      rollback: null,
      history: [{ at: now, kind: 'planned', to: 'planned', by }],
      createdAt: now,
      updatedAt: now,
      startedAt: null,
      releasedAt: null,
    };
    await insertRecord(this.store, Collections.releases, release.version, release, 'Release');
    this.events.emit('release:planned', { release });
    return release;
  }

  /** The release, or `undefined`. */
  async get(version: string): Promise<Release | undefined> {
    return (await this.store.get<Release>(Collections.releases, version))?.value;
  }

  private async require(version: string): Promise<Release> {
    const release = await this.get(version);
    if (!release) throw new NotFoundError('Release', version);
    return release;
  }

  /** Every release, highest semver precedence first. */
  async list(): Promise<Release[]> {
    const releases: Release[] = [];
    for await (const record of iterateRecords<Release>(this.store, Collections.releases)) releases.push(record.value);
    return releases.sort((a, b) => semver.rcompare(a.version, b.version));
  }

  /** The version currently released to everyone, or `null`. */
  async currentVersion(): Promise<string | null> {
    return (await this.store.get<{ version: string | null }>(Collections.meta, CURRENT_VERSION_KEY))?.value.version ?? null;
  }

  /** Registers a guard consulted before `tick` advances any release. Returns a function that removes it. */
  addGuard(guard: ReleaseGuard): () => void {
    this.guards.add(guard);
    return () => this.guards.delete(guard);
  }

  /**
   * Starts a planned release: one `rollout` flag per feature at the first phase's percentage,
   * all salted with the release's salt so each user's bucket is the same in every phase.
   * @throws IllegalTransitionError unless planned; PhasegateError if a feature's flag belongs to another live release.
   */
  async start(version: string, options: ActorOptions = {}): Promise<Release> {
    const release = await this.require(version);
    for (const feature of release.features) {
      const existing = await this.flags.get(feature);
      const owner = existing?.metadata.release;
      if (existing && owner !== version) {
        const ownerRelease = typeof owner === 'string' ? await this.get(owner) : undefined;
        if (!ownerRelease || ownerRelease.status !== 'rolled_back') {
          throw new AlreadyExistsError(
            'Flag',
            feature,
            `Cannot start release ${version}: flag '${feature}' already exists${typeof owner === 'string' ? ` and belongs to release ${owner} (${ownerRelease?.status ?? 'unknown'})` : ''}`,
          );
        }
      }
    }
    const started = await this.transition(version, (current) => transitions.start(current, this.clock.now(), options.by ?? 'api'));
    await this.syncFlags(started);
    this.events.emit('release:started', { release: started });
    return started;
  }

  /** Moves to the next phase now, whatever the time (not while held). */
  async advance(version: string, options: ActorOptions = {}): Promise<Release> {
    const before = await this.require(version);
    const after = await this.transition(version, (current) => transitions.advance(current, this.clock.now(), options.by ?? 'api'));
    await this.syncFlags(after);
    this.emitPhaseChange(before, after, options.by ?? 'api');
    return after;
  }

  /** Keeps the release in its current phase until resumed. */
  async hold(version: string, reason: string, options: ActorOptions & { breach?: ReleaseBreach } = {}): Promise<Release> {
    const before = await this.require(version);
    const after = await this.transition(version, (current) =>
      transitions.hold(current, this.clock.now(), options.by ?? 'api', reason, options.breach),
    );
    if (!before.hold && after.hold) this.events.emit('release:held', { release: after, reason, ...(options.breach ? { breach: options.breach } : {}) });
    return after;
  }

  /** Lifts a hold; the current phase's clock restarts. */
  async resume(version: string, options: ActorOptions = {}): Promise<Release> {
    const after = await this.transition(version, (current) => transitions.resume(current, this.clock.now(), options.by ?? 'api'));
    this.events.emit('release:resumed', { release: after });
    return after;
  }

  /** Moves between `in_progress`, `testing` and `staging` as the team chooses. */
  async setStatus(version: string, status: 'in_progress' | 'testing' | 'staging', options: ActorOptions = {}): Promise<Release> {
    const before = await this.require(version);
    const after = await this.transition(version, (current) => transitions.setStatus(current, status, this.clock.now(), options.by ?? 'api'));
    this.events.emit('release:statusChanged', { release: after, from: before.status, to: after.status });
    return after;
  }

  /** Turns every feature fully on and records the release as the current version. */
  async complete(version: string, options: ActorOptions = {}): Promise<Release> {
    return this.completeAt(version, this.clock.now(), options.by ?? 'api');
  }

  private async completeAt(version: string, at: number, by: string): Promise<Release> {
    await this.require(version);
    const previous = await this.currentVersion();
    const after = await this.transition(version, (current) => transitions.complete(current, at, by, previous));
    await updateRecord<{ version: string | null }>(this.store, Collections.meta, CURRENT_VERSION_KEY, () => ({ version }));
    await this.syncFlags(after);
    this.events.emit('release:completed', { release: after, previousVersion: previous });
    return after;
  }

  /**
   * Rolls a release back: its features turn off for everyone, the reason is recorded, the
   * previous current version is restored (worked out now, not when the release was planned),
   * and each step of its rollback plan runs, built-in or through `release:rollbackStep`.
   */
  async rollback(version: string, reason: string, options: ActorOptions & { breach?: ReleaseBreach } = {}): Promise<Release> {
    const by = options.by ?? 'api';
    const before = await this.require(version);
    const at = this.clock.now();
    const currentBefore = await this.currentVersion();
    let currentAfter = currentBefore;
    if (currentBefore === version) {
      const fallback = (await this.list()).filter((r) => r.version !== version && r.status === 'released').sort((a, b) => (b.releasedAt ?? 0) - (a.releasedAt ?? 0))[0];
      currentAfter = fallback?.version ?? null;
    }
    const restores = before.rollbackPlan.steps.some((step) => step.action === 'restorePreviousVersion');
    // Steps for the host are announced only once the rollback is validated and stored (below):
    // announcing first would page people for a rollback that may then be refused.
    const handled = this.events.listenerCount('release:rollbackStep') > 0;
    const steps: RollbackStepOutcome[] = before.rollbackPlan.steps.map((step) =>
      step.action === 'disableFeatures' || step.action === 'restorePreviousVersion' ? { step, outcome: 'done' } : { step, outcome: handled ? 'emitted' : 'unhandled' },
    );
    const rollback: ReleaseRollback = {
      at,
      reason,
      by,
      phase: transitions.currentPhase(before)?.name ?? null,
      currentVersionBefore: currentBefore,
      currentVersionAfter: restores ? currentAfter : currentBefore,
      steps,
      ...(options.breach ? { breach: options.breach } : {}),
    };
    const after = await this.transition(version, (current) => transitions.rollBack(current, rollback));
    try {
      if (restores && currentBefore === version) {
        await updateRecord<{ version: string | null }>(this.store, Collections.meta, CURRENT_VERSION_KEY, () => ({ version: currentAfter }));
      }
      await this.syncFlags(after);
    } finally {
      // The rollback is stored: its steps go out even if turning the flags off has to wait for the next tick.
      steps.forEach(({ step, outcome }, index) => {
        if (outcome === 'emitted') this.events.emit('release:rollbackStep', { version, step, index, reason });
      });
    }
    this.events.emit('release:rolledBack', { release: after, rollback });
    return after;
  }

  /**
   * Moves every active release along its plan at the clock's time: a phase whose duration has
   * passed advances (if its gate is `auto` and no guard objects), and a release whose last phase
   * has passed completes. Missed phases are caught up one by one, each stamped with the time it
   * was due. Also re-applies each release's flags, so a crash between steps heals on the next tick.
   */
  async tick(): Promise<TickResult> {
    const now = this.clock.now();
    const advanced: Array<{ version: string; from: string; to: string }> = [];
    const completed: string[] = [];
    const waiting: Array<{ version: string; reason: string }> = [];
    for (const listed of await this.list()) {
      if (!transitions.isActive(listed.status)) continue;
      let release = listed;
      for (let guard = 0; guard < release.plan.phases.length + 1; guard++) {
        const step = transitions.dueStep(release, now);
        if (!step) break;
        const objection = this.consultGuards(release);
        if (objection !== true) {
          waiting.push({ version: release.version, reason: objection });
          break;
        }
        if (step.kind === 'complete') {
          release = await this.completeAt(release.version, step.at, 'scheduler');
          completed.push(release.version);
          break;
        }
        const before = release;
        try {
          release = await this.transition(release.version, (current) => {
            const due = transitions.dueStep(current, now);
            if (!due || due.kind !== 'advance' || current.phaseIndex !== before.phaseIndex) throw new TickRaced();
            return transitions.advance(current, due.at, 'scheduler');
          });
        } catch (error) {
          if (error instanceof TickRaced) break; // another process moved it; it is in good hands.
          throw error;
        }
        await this.syncFlags(release);
        this.emitPhaseChange(before, release, 'scheduler');
        advanced.push({ version: release.version, from: transitions.currentPhase(before)!.name, to: transitions.currentPhase(release)!.name });
      }
      await this.syncFlags(release);
    }
    return { advanced, completed, waiting };
  }

  /** Where a release stands now. */
  async progress(version: string): Promise<ReleaseProgress> {
    const release = await this.require(version);
    return progressOf(release, this.clock.now());
  }

  private consultGuards(release: Release): true | string {
    for (const guard of this.guards) {
      const verdict = guard(release);
      if (verdict !== true) return verdict;
    }
    return true;
  }

  private async transition(version: string, change: (release: Release) => Release): Promise<Release> {
    const record = await updateRecord<Release>(this.store, Collections.releases, version, (current) => {
      if (!current) throw new NotFoundError('Release', version);
      const next = change(current.value);
      return next === current.value ? undefined : next;
    });
    return record!.value;
  }

  private emitPhaseChange(before: Release, after: Release, by: string): void {
    const from = transitions.currentPhase(before);
    const to = transitions.currentPhase(after);
    if (!to || from?.name === to.name) return;
    this.events.emit('release:phaseChanged', {
      release: after,
      from: from?.name ?? null,
      to: to.name,
      percentage: to.percentage,
      by,
    });
  }

  /** Makes the release's flags match its state. Idempotent: only differing flags are written. */
  private async syncFlags(release: Release): Promise<void> {
    if (release.status === 'planned') return;
    const phase = transitions.currentPhase(release);
    for (const feature of release.features) {
      const desired: Pick<Flag, 'state' | 'strategy' | 'salt'> =
        release.status === 'released'
          ? { state: 'enabled', strategy: { type: 'percentage', percentage: 100 }, salt: release.salt }
          : release.status === 'rolled_back'
            ? { state: 'disabled', strategy: { type: 'percentage', percentage: 0 }, salt: release.salt }
            : { state: 'rollout', strategy: { type: 'percentage', percentage: phase?.percentage ?? 0 }, salt: release.salt };
      const existing = await this.flags.get(feature);
      if (!existing) {
        if (release.status === 'rolled_back') continue;
        await this.flags
          .create({
            key: feature,
            description: `Feature of release ${release.version}`,
            ...desired,
            tags: ['release'],
            metadata: { release: release.version },
          })
          .catch((error: unknown) => {
            // Another process created it between our read and write: the next sync settles it.
            if (!(error instanceof AlreadyExistsError)) throw error;
          });
        continue;
      }
      const owned = existing.metadata.release === release.version;
      if (!owned && release.status !== 'in_progress') continue;
      const same =
        owned &&
        existing.state === desired.state &&
        existing.salt === desired.salt &&
        JSON.stringify(existing.strategy) === JSON.stringify(desired.strategy);
      if (same) continue;
      await this.flags.update(feature, { ...desired, metadata: { ...existing.metadata, release: release.version } });
    }
  }
}

class TickRaced extends Error {}

/** Progress of a release at `now`. */
export function progressOf(release: Release, now: number): ReleaseProgress {
  const phase = transitions.currentPhase(release);
  const active = transitions.isActive(release.status);
  return {
    version: release.version,
    status: release.status,
    phase: phase?.name ?? null,
    phaseIndex: release.phaseIndex,
    phaseCount: release.plan.phases.length,
    exposurePercentage: exposureOf(release),
    timeLeftInPhaseMs:
      active && phase && release.phaseStartedAt !== null ? Math.max(0, release.phaseStartedAt + phase.durationMs - now) : null,
    held: release.hold !== null,
    holdReason: release.hold?.reason ?? null,
    history: release.history,
  };
}
