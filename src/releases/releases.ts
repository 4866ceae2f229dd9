import semver from '../semver.js';
import type { Clock } from '../clock.js';
import * as z from 'zod';
import { FlagOwnedError, IllegalTransitionError, NotFoundError, ValidationError } from '../errors.js';
import type { EventPort } from '../event-port.js';
import type { ActorOptions } from '../contracts.js';
import type { ReleaseEvents } from './events.js';
import type { Flags } from '../flags/flags.js';
import type { Flag } from '../flags/model.js';
import { FLAG_OWNER_KEY, flagOwner } from '../flags/ownership.js';
import { insertRecord, iterateRecords, updateRecord } from '../storage/records.js';
import { Collections, type Store, type StoredRecord } from '../storage/store.js';
import { audienceRules, withAudienceRules } from './audience.js';
import { parseWith } from '../validation.js';
import { currentVersionEffects, foldCurrentVersion, type CurrentVersionEffect, type CurrentVersionRecord } from './current-version.js';
import {
  actorOptionsSchema,
  actorWithBreachSchema,
  defaultRollbackPlan,
  defaultRolloutPlan,
  manualStatusSchema,
  reasonSchema,
  releaseEditSchema,
  releasePlanInputSchema,
  versionSchema,
  type ManualReleaseStatus,
  type Release,
  type ReleaseAdoption,
  type ReleaseBreach,
  type ReleaseEdit,
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
 *
 * The release record is the truth; flags and the current version are derived from it. Every
 * flag write carries the release record version it was derived from (`metadata.releaseRevision`)
 * and is a compare-and-set on the flag, so a writer that read an older release record (an
 * `advance` on one instance overlapping a `rollback` on another) loses instead of turning the
 * features back on; and `tick()` re-derives every release's flags, in every state, so a crash
 * between writing a release and writing its flags heals on the next tick.
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
   * A version lower than the current version is refused unless `downgrade: true` says it is
   * deliberate; the history records it. Flag ownership is checked when the release starts.
   * @throws ValidationError for bad input or an undeclared downgrade, AlreadyExistsError when the
   * version is already planned.
   */
  async plan(input: ReleasePlanInput, options: ActorOptions = {}): Promise<Release> {
    const parsed = parseWith(releasePlanInputSchema, input, 'release');
    const by = actorOf(options);
    const current = await this.currentVersion();
    const downgradeNote = this.downgradeCheck(parsed.version, parsed.downgrade, current, 'release');
    const now = this.clock.now();
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
      downgrade: parsed.downgrade,
      adopted: [],
      history: [{ at: now, kind: 'planned', to: 'planned', by, ...(downgradeNote ? { note: downgradeNote } : {}) }],
      createdAt: now,
      updatedAt: now,
      startedAt: null,
      releasedAt: null,
    };
    await insertRecord(this.store, Collections.releases, release.version, release, 'Release');
    this.events.emit('release:planned', { release });
    return release;
  }

  /**
   * Changes a planned release: only the fields named in `changes`. Once started, a release's
   * plan is what it is; hold, advance or roll it back instead.
   * @throws ValidationError, NotFoundError, IllegalTransitionError unless planned.
   */
  async edit(version: string, changes: ReleaseEdit, options: ActorOptions = {}): Promise<Release> {
    versionArg(version);
    const parsed = parseWith(releaseEditSchema, changes, `edit of release ${version}`);
    const by = actorOf(options);
    const before = await this.require(version);
    if (parsed.downgrade === false || (parsed.downgrade === undefined && !before.downgrade)) {
      this.downgradeCheck(version, false, await this.currentVersion(), `edit of release ${version}`);
    }
    return this.transition(version, (current) => transitions.edit(current, parsed, this.clock.now(), by));
  }

  /** The release, or `undefined`. */
  async get(version: string): Promise<Release | undefined> {
    parseWith(lookupSchema, version, 'release version');
    return (await this.store.get<Release>(Collections.releases, version))?.value;
  }

  private async require(version: string): Promise<Release> {
    versionArg(version);
    const release = await this.get(version);
    if (!release) throw new NotFoundError('Release', version);
    return release;
  }

  /** Every release, highest semver precedence first. */
  async list(): Promise<Release[]> {
    return (await this.listRecords()).map((record) => record.value);
  }

  private async listRecords(): Promise<StoredRecord<Release>[]> {
    const records: StoredRecord<Release>[] = [];
    for await (const record of iterateRecords<Release>(this.store, Collections.releases)) records.push(record);
    return records.sort((a, b) => semver.rcompare(a.value.version, b.value.version));
  }

  /** The version currently released to everyone, or `null`. */
  async currentVersion(): Promise<string | null> {
    return (await this.store.get<CurrentVersionRecord>(Collections.meta, CURRENT_VERSION_KEY))?.value.version ?? null;
  }

  /** Registers a guard consulted before `tick` advances any release. Returns a function that removes it. */
  addGuard(guard: ReleaseGuard): () => void {
    if (typeof guard !== 'function') throw new ValidationError('release guard', [{ path: '', message: 'must be a function' }]);
    this.guards.add(guard);
    return () => this.guards.delete(guard);
  }

  /**
   * Starts a planned release: one `rollout` flag per feature at the first phase's percentage,
   * all salted with the release's salt so each user's bucket is the same in every phase.
   * A feature whose flag already exists and is free (no owner, or a release that is finished)
   * is adopted rather than refused; the release records what it adopted.
   * @throws IllegalTransitionError unless planned; FlagOwnedError if a feature's flag belongs to
   * the early-access program (hand it over first) or to another running release.
   */
  async start(version: string, options: ActorOptions = {}): Promise<Release> {
    const by = actorOf(options);
    const release = await this.require(version);
    if (release.status !== 'planned') transitions.start(release, this.clock.now(), by); // throws the precise error
    this.downgradeCheck(version, release.downgrade === true, await this.currentVersion(), `start of release ${version}`);
    for (const feature of release.features) await this.assertMayOwn(version, feature);
    const adopted: ReleaseAdoption[] = [];
    const owner = releaseOwner(version);
    for (const feature of release.features) {
      const at = this.clock.now();
      let adoption: ReleaseAdoption | undefined;
      const recorded = (release.adopted ?? []).some((a) => a.key === feature);
      await this.flags.decideAndWrite(feature, (current) => {
        adoption = undefined;
        if (!current) return undefined; // created by the first sync
        const previous = flagOwner(current);
        const handedFrom = current.metadata.handedOverFrom;
        if (previous === owner) {
          // Ours already: handed over by the program, or adopted by a start that died before
          // recording it. The flag remembers where it came from, so the record is made now.
          const from = typeof handedFrom === 'string' ? handedFrom : current.metadata.adoptedFrom;
          if (typeof from === 'string' && !recorded) {
            adoption = { key: feature, from: from === '' ? null : from, state: String(current.metadata.adoptedState ?? current.state), at };
          }
          if (typeof handedFrom !== 'string') return undefined;
          const { handedOverFrom: _handed, ...metadata } = current.metadata;
          return { update: { metadata: { ...metadata, adoptedFrom: handedFrom, adoptedState: current.state, releaseRevision: 0 } } };
        }
        adoption = { key: feature, from: previous ?? null, state: current.state, at };
        // A new owner starts its own count of release revisions.
        return {
          update: {
            metadata: { ...current.metadata, [FLAG_OWNER_KEY]: owner, release: version, releaseRevision: 0, adoptedFrom: previous ?? '', adoptedState: current.state },
          },
        };
      });
      if (adoption) adopted.push(adoption);
    }
    const started = await this.transitionRecord(version, (current) => transitions.start(current, this.clock.now(), by, adopted));
    await this.syncFlags(started.value, started.version);
    this.events.emit('release:started', { release: started.value });
    return started.value;
  }

  /**
   * Moves to the next phase now, whatever the time (not while held). From the last phase it
   * completes the release: a manual last phase waits for exactly this call.
   */
  async advance(version: string, options: ActorOptions = {}): Promise<Release> {
    const by = actorOf(options);
    const before = await this.require(version);
    if (transitions.isActive(before.status) && !before.hold && before.phaseIndex === before.plan.phases.length - 1) {
      return this.completeAt(version, this.clock.now(), by);
    }
    const after = await this.transitionRecord(version, (current) => transitions.advance(current, this.clock.now(), by));
    await this.syncFlags(after.value, after.version);
    this.emitPhaseChange(before, after.value, by);
    return after.value;
  }

  /** Keeps the release in its current phase until resumed. */
  async hold(version: string, reason: string, options: ActorOptions & { breach?: ReleaseBreach } = {}): Promise<Release> {
    versionArg(version);
    const why = parseWith(reasonSchema, reason, 'hold reason');
    const { by, breach } = parseWith(actorWithBreachSchema, options, 'hold options');
    const before = await this.require(version);
    const after = await this.transition(version, (current) => transitions.hold(current, this.clock.now(), by ?? 'api', why, breach));
    if (!before.hold && after.hold) this.events.emit('release:held', { release: after, reason: why, ...(breach ? { breach } : {}) });
    return after;
  }

  /** Lifts a hold; the current phase's clock restarts. */
  async resume(version: string, options: ActorOptions = {}): Promise<Release> {
    const by = actorOf(options);
    await this.require(version);
    const after = await this.transition(version, (current) => transitions.resume(current, this.clock.now(), by));
    this.events.emit('release:resumed', { release: after });
    return after;
  }

  /**
   * Moves between `in_progress`, `testing` and `staging` as the team chooses. Checked at run
   * time: `released` goes through `complete()` and `rolled_back` through `rollback()`, which do
   * what those states mean (flags, current version, rollback record).
   * @throws ValidationError for any other status, IllegalTransitionError for a move the table forbids.
   */
  async setStatus(version: string, status: ManualReleaseStatus, options: ActorOptions = {}): Promise<Release> {
    versionArg(version);
    const to = parseWith(manualStatusSchema, status, `status change of release ${version}`);
    const by = actorOf(options);
    const before = await this.require(version);
    const after = await this.transition(version, (current) => transitions.setStatus(current, to, this.clock.now(), by));
    this.events.emit('release:statusChanged', { release: after, from: before.status, to: after.status });
    return after;
  }

  /**
   * Turns every feature fully on and records the release as the current version.
   * @throws IllegalTransitionError unless active and not held, or when the release is lower than
   * the current version and was not planned as a downgrade.
   */
  async complete(version: string, options: ActorOptions = {}): Promise<Release> {
    const by = actorOf(options);
    await this.require(version);
    return this.completeAt(version, this.clock.now(), by);
  }

  /** Completes; with `dueAt` (from `tick`), only if the release is still due to complete at that instant. */
  private async completeAt(version: string, at: number, by: string, tickNow?: number): Promise<Release> {
    const previous = await this.currentVersion();
    const after = await this.transitionRecord(version, (current) => {
      let when = at;
      if (tickNow !== undefined) {
        const due = transitions.dueStep(current, tickNow);
        if (!due || due.kind !== 'complete') throw new TickRaced();
        when = due.at;
      }
      const problem = downgradeProblem(current, previous);
      if (problem) throw new IllegalTransitionError(`release ${version}`, current.status, 'released', problem);
      const note = current.downgrade && previous !== null && semver.lt(version, previous) ? `deliberate downgrade from ${previous}` : undefined;
      return transitions.complete(current, when, by, previous, note);
    });
    await this.applyCurrentVersion(currentVersionEffects(after.value), true);
    await this.syncFlags(after.value, after.version);
    this.events.emit('release:completed', { release: after.value, previousVersion: previous });
    return after.value;
  }

  /**
   * Rolls a release back: its features turn off for everyone, the reason is recorded, the
   * previous current version is restored (worked out now, not when the release was planned),
   * and each step of its rollback plan runs, built-in or through `release:rollbackStep`.
   * Rolling back a release that is already rolled back re-applies what its record says (flags
   * off, current version restored) and returns it: a rollback cut short by a crash can be retried.
   */
  async rollback(version: string, reason: string, options: ActorOptions & { breach?: ReleaseBreach } = {}): Promise<Release> {
    versionArg(version);
    const why = parseWith(reasonSchema, reason, 'rollback reason');
    const { by: actor, breach } = parseWith(actorWithBreachSchema, options, 'rollback options');
    const by = actor ?? 'api';
    const before = await this.require(version);
    if (before.status === 'rolled_back') {
      await this.reconcile(version);
      return (await this.require(version));
    }
    transitions.assertCanRollBack(before); // before any step is emitted
    const at = this.clock.now();
    const currentBefore = await this.currentVersion();
    let currentAfter = currentBefore;
    if (currentBefore === version) {
      const fallback = (await this.list()).filter((r) => r.version !== version && r.status === 'released').sort((a, b) => (b.releasedAt ?? 0) - (a.releasedAt ?? 0))[0];
      currentAfter = fallback?.version ?? null;
    }
    const restores = before.rollbackPlan.steps.some((step) => step.action === 'restorePreviousVersion');
    const handled = this.events.listenerCount('release:rollbackStep') > 0;
    const steps: RollbackStepOutcome[] = before.rollbackPlan.steps.map((step) =>
      step.action === 'disableFeatures' || step.action === 'restorePreviousVersion'
        ? { step, outcome: 'done' }
        : // Delivered from the store's outbox by the analytics module (crash-safe, see docs/guarded-rollouts.md).
          step.action === 'webhook'
          ? { step, outcome: 'queued' }
          : { step, outcome: handled ? 'emitted' : 'unhandled' },
    );
    const rollback: ReleaseRollback = {
      at,
      reason: why,
      by,
      phase: transitions.currentPhase(before)?.name ?? null,
      currentVersionBefore: currentBefore,
      currentVersionAfter: restores ? currentAfter : currentBefore,
      steps,
      ...(breach ? { breach } : {}),
    };
    let after: StoredRecord<Release>;
    try {
      after = await this.transitionRecord(version, (current) => transitions.rollBack(current, rollback));
    } catch (error) {
      // Someone else rolled it back between our read and write: that rollback stands; make sure it holds.
      if (error instanceof IllegalTransitionError && (await this.get(version))?.status === 'rolled_back') {
        await this.reconcile(version);
        return (await this.require(version));
      }
      throw error;
    }
    try {
      await this.applyCurrentVersion(currentVersionEffects(after.value), true);
      await this.syncFlags(after.value, after.version);
    } finally {
      // Steps for the host go out once the rollback is committed (never for one that was refused),
      // even if turning the flags off has to wait for the next tick.
      steps.forEach(({ step, outcome }, index) => {
        if (outcome === 'emitted') this.events.emit('release:rollbackStep', { version, step, index, reason: why });
      });
    }
    this.events.emit('release:rolledBack', { release: after.value, rollback });
    return after.value;
  }

  /** Re-derives one release's flags and the current version from the stored records. */
  private async reconcile(version: string): Promise<void> {
    const record = await this.store.get<Release>(Collections.releases, version);
    if (!record) return;
    await this.applyCurrentVersion(currentVersionEffects(record.value));
    await this.syncFlags(record.value, record.version);
  }

  /**
   * Moves every active release along its plan at the clock's time: a phase whose duration has
   * passed advances (if its gate is `auto` and no guard objects), and a release whose last phase
   * has passed completes (unless that phase is manual). Missed phases are caught up one by one,
   * each stamped with the time it was due. Then every release, in every state, has its flags
   * re-derived from its record (active: the phase percentage; released: on for everyone; rolled
   * back: off) and the current version is re-derived, so a crash between steps heals here.
   * Losing a race to another process is not an error: that process moved the release.
   */
  async tick(): Promise<TickResult> {
    const now = this.clock.now();
    const advanced: Array<{ version: string; from: string; to: string }> = [];
    const completed: string[] = [];
    const waiting: Array<{ version: string; reason: string }> = [];
    const records = await this.listRecords();
    const settled: Release[] = [];
    for (const listed of records) {
      let record = listed;
      const version = listed.value.version;
      for (let step = 0; transitions.isActive(record.value.status) && step < record.value.plan.phases.length + 1; step++) {
        const release = record.value;
        const due = transitions.dueStep(release, now);
        if (!due) break;
        const objection = this.consultGuards(release);
        if (objection !== true) {
          waiting.push({ version, reason: objection });
          break;
        }
        if (due.kind === 'complete') {
          const problem = downgradeProblem(release, await this.currentVersion());
          if (problem) {
            waiting.push({ version, reason: problem });
            break;
          }
        }
        try {
          if (due.kind === 'complete') {
            await this.completeAt(version, due.at, 'scheduler', now);
            completed.push(version);
          } else {
            const before = release;
            record = await this.transitionRecord(version, (current) => {
              const again = transitions.dueStep(current, now);
              if (!again || again.kind !== 'advance' || current.phaseIndex !== before.phaseIndex) throw new TickRaced();
              return transitions.advance(current, again.at, 'scheduler');
            });
            await this.syncFlags(record.value, record.version);
            this.emitPhaseChange(before, record.value, 'scheduler');
            advanced.push({ version, from: transitions.currentPhase(before)!.name, to: transitions.currentPhase(record.value)!.name });
            continue;
          }
        } catch (error) {
          // Another process moved it (advanced, completed, held, rolled back): it is in good hands.
          if (!(error instanceof TickRaced) && !(error instanceof IllegalTransitionError)) throw error;
        }
        break;
      }
      const fresh = await this.store.get<Release>(Collections.releases, version);
      if (!fresh) continue;
      await this.syncFlags(fresh.value, fresh.version);
      settled.push(fresh.value);
    }
    await this.applyCurrentVersion(settled.flatMap(currentVersionEffects));
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

  /** A release lower than the current version needs `downgrade: true`; returns the note for the history. */
  private downgradeCheck(version: string, downgrade: boolean, current: string | null, subject: string): string | undefined {
    if (current === null || !semver.lt(version, current)) return undefined;
    if (!downgrade) {
      throw new ValidationError(subject, [
        { path: 'version', message: `${version} is lower than the current version ${current}; pass downgrade: true if this is a deliberate downgrade` },
      ]);
    }
    return `deliberate downgrade below the current version ${current}`;
  }

  /**
   * One owner per flag: a release may take a flag nobody owns, its own, or one left by a
   * release that is finished (released or rolled back). The early-access program hands its
   * flags over explicitly (`gate.earlyAccess.handOver`).
   */
  private async assertMayOwn(version: string, feature: string): Promise<void> {
    const flag = await this.flags.get(feature);
    if (!flag) return;
    const owner = flagOwner(flag);
    if (owner === undefined || owner === releaseOwner(version)) return;
    const refuse = (detail: string) => new FlagOwnedError(feature, owner, `Cannot start release ${version}: flag '${feature}' already exists and ${detail}`);
    if (owner.startsWith('release:')) {
      const other = await this.store.get<Release>(Collections.releases, owner.slice('release:'.length));
      if (!other || other.value.status === 'released' || other.value.status === 'rolled_back') return;
      throw refuse(`belongs to release ${other.value.version} (${other.value.status}); a flag has one owner, so wait until that release is released or rolled back`);
    }
    if (owner === EARLY_ACCESS_OWNER) {
      throw refuse(`belongs to the early-access program; hand it over first with gate.earlyAccess.handOver('${feature}', '${version}')`);
    }
    throw refuse(`belongs to '${owner}'`);
  }

  private async transition(version: string, change: (release: Release) => Release): Promise<Release> {
    return (await this.transitionRecord(version, change)).value;
  }

  private async transitionRecord(version: string, change: (release: Release) => Release): Promise<StoredRecord<Release>> {
    const record = await updateRecord<Release>(this.store, Collections.releases, version, (current) => {
      if (!current) throw new NotFoundError('Release', version);
      const next = change(current.value);
      return next === current.value ? undefined : next;
    });
    return record!;
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

  /** Folds `effects` into the stored current version (compare-and-set; writes only on a change). */
  private async applyCurrentVersion(effects: readonly CurrentVersionEffect[], fresh = false): Promise<void> {
    if (effects.length === 0) return;
    await updateRecord<CurrentVersionRecord>(this.store, Collections.meta, CURRENT_VERSION_KEY, (current) => {
      const next = foldCurrentVersion(current?.value, effects, fresh);
      return current && current.value.version === next.version && current.value.at === next.at ? undefined : next;
    });
  }

  /**
   * Makes the release's flags match the record it read (`revision` is that record's version).
   * Each flag write is a compare-and-set that only lands if no write derived from a newer
   * revision of this release got there first, and only on flags this release owns.
   */
  private async syncFlags(release: Release, revision: number): Promise<void> {
    if (release.status === 'planned') return;
    const owner = releaseOwner(release.version);
    const desired = desiredFlag(release);
    // A phase's audience is on besides its percentage, through rules (only while in a phase).
    const audience = release.status === 'released' || release.status === 'rolled_back' ? undefined : transitions.currentPhase(release)?.audience;
    for (const feature of release.features) {
      await this.flags.decideAndWrite(feature, (current) => {
        if (!current) {
          const rules = audienceRules(audience);
          // Flags are made at start; a finished release's flag that is gone was deleted on
          // purpose (clean-up after general availability), and is not brought back.
          if (!transitions.isActive(release.status)) return undefined;
          return {
            create: {
              key: feature,
              description: `Feature of release ${release.version}`,
              ...desired,
              ...(rules.length > 0 ? { rules } : {}),
              tags: ['release'],
              metadata: { [FLAG_OWNER_KEY]: owner, release: release.version, releaseRevision: revision },
            },
          };
        }
        if (flagOwner(current) !== owner) return undefined; // adopted by a later release, or handed elsewhere
        const written = typeof current.metadata.releaseRevision === 'number' ? current.metadata.releaseRevision : 0;
        if (written > revision) return undefined; // derived from a newer read of this release: we are the stale writer
        const rules = withAudienceRules(current.rules, audience);
        const same =
          written === revision &&
          rules === undefined &&
          current.state === desired.state &&
          current.salt === desired.salt &&
          JSON.stringify(current.strategy) === JSON.stringify(desired.strategy);
        if (same) return undefined;
        return { update: { ...desired, ...(rules !== undefined ? { rules } : {}), metadata: { ...current.metadata, [FLAG_OWNER_KEY]: owner, release: release.version, releaseRevision: revision } } };
      });
    }
  }
}

/** The owner name of a release's flags. */
function releaseOwner(version: string): string {
  return `release:${version}`;
}

/** The owner name the early-access program writes on its flags. */
const EARLY_ACCESS_OWNER = 'early-access';

/** What a release's flags must be in its state. */
function desiredFlag(release: Release): Pick<Flag, 'state' | 'strategy'> & { salt: string } {
  if (release.status === 'released') return { state: 'enabled', strategy: { type: 'percentage', percentage: 100 }, salt: release.salt };
  if (release.status === 'rolled_back') return { state: 'disabled', strategy: { type: 'percentage', percentage: 0 }, salt: release.salt };
  return { state: 'rollout', strategy: { type: 'percentage', percentage: transitions.currentPhase(release)?.percentage ?? 0 }, salt: release.salt };
}

/** Why `release` may not complete over `current`, or `undefined`. */
function downgradeProblem(release: Release, current: string | null): string | undefined {
  if (current === null || release.downgrade === true || !semver.lt(release.version, current)) return undefined;
  return `it is lower than the current version ${current} and was not planned as a downgrade (plan it with downgrade: true)`;
}

const lookupSchema = z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(256, 'must be at most 256 characters');

function versionArg(version: unknown): string {
  return parseWith(versionSchema, version, 'release version');
}

function actorOf(options: unknown): string {
  return parseWith(actorOptionsSchema, options ?? {}, 'options').by ?? 'api';
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
