import { createHash } from 'node:crypto';
import type { Clock } from '../clock.js';
import semver from 'semver';
import { z } from 'zod';
import { AlreadyExistsError, ConflictError, FlagOwnedError, IllegalTransitionError, NotFoundError, ValidationError } from '../errors.js';
import type { EventPort } from '../event-port.js';
import type { EarlyAccessEvents } from './events.js';
import { bucketOf, thresholdFor } from '../flags/bucket.js';
import { accessLevelQualifies } from '../flags/evaluate.js';
import type { Flags } from '../flags/flags.js';
import { ACCESS_LEVELS, keySchema, userIdSchema, type AccessLevel, type EvaluationContext } from '../flags/model.js';
import { insertRecord, iterateRecords, updateRecord } from '../storage/records.js';
import { Collections, type Store } from '../storage/store.js';
import { FLAG_OWNER_KEY, flagOwner } from '../flags/ownership.js';
import { parseWith } from '../validation.js';
import * as transitions from './transitions.js';
import type { ActorOptions } from '../contracts.js';
import {
  MEMBER_STATUSES,
  enrollmentSchema,
  featureInputSchema,
  featureUpdateSchema,
  feedbackInputSchema,
  type EarlyAccessFeature,
  type EnrollmentInput,
  type FeatureInput,
  type FeatureUpdate,
  type Feedback,
  type FeedbackInput,
  type Member,
  type MemberStatus,
} from './model.js';

/** The owner name the program writes on its flags (see src/flags/ownership.ts). */
const EARLY_ACCESS_OWNER = 'early-access';

const actorOptionsSchema = z.strictObject({
  by: z.string({ error: 'must be a string' }).trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters').optional(),
});

const versionSchema = z
  .string({ error: 'must be a string' })
  .refine((version) => semver.valid(version) === version, 'must be a valid semantic version such as 2.1.0 (no leading "v")');

/** How many pieces of feedback one member may leave on one feature. */
export const FEEDBACK_LIMIT_PER_FEATURE = 50;

/** Program statistics. No emails, no user ids. */
export interface EarlyAccessStats {
  readonly members: {
    readonly total: number;
    readonly byStatus: Readonly<Record<MemberStatus, number>>;
    readonly byLevel: Readonly<Record<AccessLevel, number>>;
  };
  readonly features: ReadonlyArray<{
    readonly key: string;
    readonly level: AccessLevel;
    readonly enabled: boolean;
    readonly rolloutPercentage: number;
    readonly cap: number | null;
    /** Seats held (capped features), or `null` for uncapped ones. */
    readonly seatsUsed: number | null;
    readonly feedbackCount: number;
    /** Mean of the ratings given, or `null` when there are none. */
    readonly meanRating: number | null;
  }>;
}

/** One member's view of the program. */
export interface MemberDashboard {
  readonly userId: string;
  readonly level: AccessLevel;
  readonly status: MemberStatus;
  /** Features the member has now. */
  readonly features: readonly string[];
  /** Capped features where the member holds a seat (held from approval, usable once active). */
  readonly seats: readonly string[];
  readonly feedback: readonly Feedback[];
}

/** A member as exported: no email, no email hash. */
export interface ExportedMember {
  readonly userId: string;
  readonly level: AccessLevel;
  readonly status: MemberStatus;
  readonly enrolledAt: number;
  readonly updatedAt: number;
}

/** Whether `member` may hold a seat on / have `feature`, apart from caps. */
function qualifies(member: Member, feature: EarlyAccessFeature): boolean {
  return (
    feature.enabled &&
    !feature.handedOverTo &&
    accessLevelQualifies(member.level, feature.level) &&
    bucketOf(feature.key, member.userId) < thresholdFor(feature.rolloutPercentage)
  );
}

/** Whether the member's status lets them hold seats. */
function holdsSeats(status: MemberStatus): boolean {
  return status === 'approved' || status === 'active';
}

/** The features `member` has now: active, qualifying, and (for capped features) holding a seat. */
export function featuresOf(member: Member, features: readonly EarlyAccessFeature[]): string[] {
  if (member.status !== 'active') return [];
  return features
    .filter((feature) => qualifies(member, feature) && (feature.cap === null || feature.holders.includes(member.userId)))
    .map((feature) => feature.key)
    .sort();
}

/** Where a member's feedback on a feature is stored: one key prefix per member and feature. */
function feedbackPrefix(userId: string, feature: string): string {
  return `${encodeURIComponent(userId)}/${feature}/`;
}

/**
 * The feedback limit is enforced by the store itself: a member's feedback on a feature lives
 * in at most {@link FEEDBACK_LIMIT_PER_FEATURE} numbered slots, and each piece is a create of
 * one free slot (expected version 0). Two writers racing for the same slot cannot both win, and
 * there is no 51st slot, so no interleaving of concurrent submissions can store more than the
 * limit (a count-then-write check let 80 concurrent submissions store 80 against a limit of 50).
 */
function feedbackSlotKey(prefix: string, slot: number): string {
  return `${prefix}s${slot.toString().padStart(2, '0')}`;
}

/**
 * `gate.earlyAccess`: an early-access program on the shared store. Members enroll by email,
 * move through pending → approved → active (suspended and reinstated, or graduated), and get
 * early-access features by level, rollout percentage and seats on capped features.
 */
export class EarlyAccess {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly events: EventPort<EarlyAccessEvents>;
  private readonly flags: Flags;

  /** @internal Built by `createPhasegate`. */
  constructor(store: Store, clock: Clock, events: EventPort<EarlyAccessEvents>, flags: Flags) {
    this.store = store;
    this.clock = clock;
    this.events = events;
    this.flags = flags;
  }

  // ---- members --------------------------------------------------------------------------

  /**
   * Enrolls a user as `pending`. The email is validated and normalised; one email enrolls once,
   * enforced by the store even across processes.
   * @throws ValidationError, or AlreadyExistsError for a known email or user id.
   */
  async enroll(input: EnrollmentInput, options: ActorOptions = {}): Promise<Member> {
    const { userId, email, level } = parseWith(enrollmentSchema, input, 'enrollment');
    const by = parseWith(actorOptionsSchema, options ?? {}, 'options').by ?? 'api';
    const now = this.clock.now();
    const emailHash = createHash('sha256').update(email).digest('hex');
    try {
      await this.store.put(Collections.earlyAccessEmails, emailHash, { userId }, 0);
    } catch (error) {
      if (error instanceof ConflictError) throw new AlreadyExistsError('Early-access member', '', 'An early-access member with this email is already enrolled');
      throw error;
    }
    const member: Member = {
      userId,
      email,
      emailHash,
      level,
      status: 'pending',
      suspension: null,
      history: [{ at: now, from: null, to: 'pending', by }],
      enrolledAt: now,
      updatedAt: now,
    };
    try {
      await insertRecord(this.store, Collections.earlyAccessUsers, userId, member, 'Early-access member');
    } catch (error) {
      // Give the email back: this enrollment did not happen.
      await this.store.delete(Collections.earlyAccessEmails, emailHash).catch(() => {});
      throw error;
    }
    this.events.emit('earlyAccess:enrolled', { userId, level });
    return member;
  }

  /** The member, or `undefined`. */
  async member(userId: string): Promise<Member | undefined> {
    parseWith(userIdSchema, userId, 'user id');
    return (await this.store.get<Member>(Collections.earlyAccessUsers, userId))?.value;
  }

  private async requireMember(userId: string): Promise<Member> {
    parseWith(userIdSchema, userId, 'user id');
    const member = await this.member(userId);
    if (!member) throw new NotFoundError('Early-access member', userId);
    return member;
  }

  /** pending → approved; takes seats on the capped features the member qualifies for. */
  async approve(userId: string, options: ActorOptions = {}): Promise<Member> {
    const member = await this.move(userId, 'approved', options);
    await this.allocateSeats(userId);
    this.events.emit('earlyAccess:approved', { userId, level: member.level });
    return member;
  }

  /** approved → active: the member now has their features. */
  async activate(userId: string, options: ActorOptions = {}): Promise<Member> {
    const member = await this.move(userId, 'active', options);
    await this.allocateSeats(userId);
    this.events.emit('earlyAccess:activated', { userId, level: member.level });
    return member;
  }

  /** approved or active → suspended, with a reason; the member's seats are released. */
  async suspend(userId: string, reason: string, options: ActorOptions = {}): Promise<Member> {
    if (typeof reason !== 'string' || reason.trim() === '') {
      throw new ValidationError('suspension', [{ path: 'reason', message: 'must not be empty' }]);
    }
    const member = await this.move(userId, 'suspended', options, reason.trim());
    await this.releaseSeats(userId);
    this.events.emit('earlyAccess:suspended', { userId, reason: reason.trim() });
    return member;
  }

  /** suspended → the status held before (approved or active); seats are taken again where free. */
  async reinstate(userId: string, options: ActorOptions = {}): Promise<Member> {
    const current = await this.requireMember(userId);
    if (current.status !== 'suspended' || !current.suspension) {
      throw new IllegalTransitionError(`early-access member ${userId}`, current.status, 'reinstated', 'only a suspended member can be reinstated');
    }
    const member = await this.move(userId, current.suspension.previous, options, undefined, true);
    await this.allocateSeats(userId);
    this.events.emit('earlyAccess:reinstated', { userId, status: member.status });
    return member;
  }

  /** active → graduated: the level becomes `stable` (general availability) and seats are released. */
  async graduate(userId: string, options: ActorOptions = {}): Promise<Member> {
    const member = await this.move(userId, 'graduated', options);
    await this.releaseSeats(userId);
    this.events.emit('earlyAccess:graduated', { userId });
    return member;
  }

  /**
   * Right to be forgotten: deletes the member's feedback (and its share of the feature
   * aggregates), seats, email index and record. Safe to retry after a crash part-way: the
   * member record goes last, and a retry finishes whatever is left even when it is gone.
   * @throws NotFoundError when nothing at all is stored for `userId`.
   */
  async delete(userId: string, _options?: ActorOptions): Promise<void> {
    parseWith(userIdSchema, userId, 'user id');
    const member = await this.member(userId);
    let found = member !== undefined;
    await this.releaseSeats(userId);
    const prefix = `${encodeURIComponent(userId)}/`;
    for (;;) {
      const page = await this.store.list<Feedback>(Collections.earlyAccessFeedback, { prefix, limit: 1000 });
      if (page.length === 0) break;
      found = true;
      for (const record of page) {
        if (await this.store.delete(Collections.earlyAccessFeedback, record.key)) {
          await this.adjustFeedbackAggregates(record.value.feature, -1, record.value.rating);
        }
      }
    }
    if (!found) throw new NotFoundError('Early-access member', userId);
    await this.forgetInHandedOverFlags(userId);
    if (member) {
      await this.store.delete(Collections.earlyAccessEmails, member.emailHash);
      await this.store.delete(Collections.earlyAccessUsers, userId);
    }
    this.events.emit('earlyAccess:deleted', { userId });
  }

  /**
   * A hand-over copied the members who had a feature into its flag's `enabledUsers`; forgetting
   * a member takes their id out of those lists too, whoever owns the flag now (a release drops
   * the hand-over mark when it adopts the flag; the feature record keeps `handedOverTo`). Flags
   * the program never handed over are the host's own lists and stay as they are.
   */
  private async forgetInHandedOverFlags(userId: string): Promise<void> {
    for (const feature of await this.features()) {
      if (!feature.handedOverTo) continue;
      await this.flags.decideAndWrite(feature.key, (current) => {
        if (!current?.enabledUsers.includes(userId)) return undefined;
        return { update: { enabledUsers: current.enabledUsers.filter((id) => id !== userId) } };
      });
    }
  }

  private async move(userId: string, to: MemberStatus, options: ActorOptions, reason?: string, reinstating = false): Promise<Member> {
    await this.requireMember(userId);
    const by = parseWith(actorOptionsSchema, options ?? {}, 'options').by ?? 'api';
    const how = { at: this.clock.now(), by, ...(reason ? { reason } : {}) };
    const record = await updateRecord<Member>(this.store, Collections.earlyAccessUsers, userId, (current) => {
      if (!current) throw new NotFoundError('Early-access member', userId);
      return reinstating ? transitions.reinstate(current.value, how) : transitions.move(current.value, to, how);
    });
    return record!.value;
  }

  // ---- features and seats ----------------------------------------------------------------

  /**
   * Creates an early-access feature, and a `beta` flag of the same key, owned by the program,
   * that turns on exactly for the members `contextFor` says have it. One owner per flag: a key
   * whose flag already exists and is not the program's (a release's, or a plain flag) is refused,
   * because the program's answers and `isEnabled` would disagree about it.
   * @throws ValidationError, AlreadyExistsError for a known feature, FlagOwnedError for a flag owned elsewhere.
   */
  async createFeature(input: FeatureInput, _options?: ActorOptions): Promise<EarlyAccessFeature> {
    const parsed = parseWith(featureInputSchema, input, 'early-access feature');
    await this.assertFlagIsOurs(parsed.key, 'create early-access feature');
    const now = this.clock.now();
    const feature: EarlyAccessFeature = {
      ...parsed,
      holders: [],
      feedbackCount: 0,
      ratingCount: 0,
      ratingSum: 0,
      handedOverTo: null,
      createdAt: now,
      updatedAt: now,
    };
    await insertRecord(this.store, Collections.earlyAccessFeatures, feature.key, feature, 'Early-access feature');
    await this.flags.decideAndWrite(feature.key, (current) => {
      if (current) return undefined; // ours (checked above) or taken since: the next check says so
      return {
        create: {
          key: feature.key,
          description: feature.description || `Early-access feature ${feature.key}`,
          state: 'beta',
          strategy: { type: 'percentage', percentage: 0 },
          tags: ['early-access'],
          metadata: { [FLAG_OWNER_KEY]: EARLY_ACCESS_OWNER },
        },
      };
    });
    return feature;
  }

  /** Throws unless the flag `key` is absent or owned by the program. */
  private async assertFlagIsOurs(key: string, action: string): Promise<void> {
    const flag = await this.flags.get(key);
    if (!flag) return;
    const owner = flagOwner(flag);
    if (owner === EARLY_ACCESS_OWNER) return;
    const detail =
      owner === undefined
        ? `already exists as a plain flag (not the program's); a flag has one owner, so delete it or pick another key`
        : `belongs to ${owner.startsWith('release:') ? `release ${owner.slice('release:'.length)}` : `'${owner}'`}; a flag has one owner, and the program's answers (contextFor, hasFeature, dashboards) would disagree with isEnabled`;
    throw new FlagOwnedError(key, owner ?? 'nobody', `Cannot ${action} '${key}': flag '${key}' ${detail}`);
  }

  /**
   * Hands a feature from the program to a release, the documented way for an early-access
   * feature to roll out to everyone: the members who have the feature now are written into the
   * flag's `enabledUsers` (so they keep it through the rollout), the flag's owner becomes
   * `release:<version>` (which adopts it when it starts; plan it before or after), and the
   * program stops granting the feature (no more seats, feedback or `contextFor` entries). Safe
   * to retry with the same version.
   * @throws ValidationError, NotFoundError, IllegalTransitionError when already handed to
   * another release, FlagOwnedError when the flag is not the program's.
   */
  async handOver(key: string, version: string): Promise<EarlyAccessFeature> {
    parseWith(keySchema, key, 'early-access feature key');
    parseWith(versionSchema, version, 'release version');
    const feature = await this.feature(key);
    if (!feature) throw new NotFoundError('Early-access feature', key);
    if (feature.handedOverTo && feature.handedOverTo !== version) {
      throw new IllegalTransitionError(`early-access feature ${key}`, `handed over to ${feature.handedOverTo}`, `handed over to ${version}`, 'a feature is handed over once');
    }
    const owner = `release:${version}`;
    const keep = new Set<string>();
    if (!feature.handedOverTo) {
      const features = [feature];
      for await (const record of iterateRecords<Member>(this.store, Collections.earlyAccessUsers)) {
        if (featuresOf(record.value, features).length === 1) keep.add(record.value.userId);
      }
    }
    await this.flags.decideAndWrite(key, (current) => {
      const enabledUsers = [...new Set([...(current?.enabledUsers ?? []), ...keep])].sort();
      if (enabledUsers.length > 100_000) {
        throw new ValidationError(`hand-over of '${key}'`, [{ path: 'enabledUsers', message: `${enabledUsers.length} members have it; a flag lists at most 100,000` }]);
      }
      const metadata = { [FLAG_OWNER_KEY]: owner, handedOverFrom: EARLY_ACCESS_OWNER };
      if (!current) {
        return { create: { key, description: feature.description || `Early-access feature ${key}`, state: 'beta', enabledUsers, tags: ['early-access'], metadata } };
      }
      const currentOwner = flagOwner(current);
      if (currentOwner === owner) return enabledUsers.length === current.enabledUsers.length ? undefined : { update: { enabledUsers } };
      if (currentOwner !== EARLY_ACCESS_OWNER) {
        throw new FlagOwnedError(key, currentOwner ?? 'nobody', `Cannot hand over '${key}': its flag is not the program's (owner: ${currentOwner ?? 'nobody'})`);
      }
      return { update: { enabledUsers, metadata: { ...current.metadata, ...metadata } } };
    });
    const record = await updateRecord<EarlyAccessFeature>(this.store, Collections.earlyAccessFeatures, key, (current) => {
      if (!current) throw new NotFoundError('Early-access feature', key);
      if (current.value.handedOverTo === version) return undefined;
      return { ...current.value, handedOverTo: version, holders: [], updatedAt: Math.max(this.clock.now(), current.value.updatedAt) };
    });
    return record!.value;
  }

  /**
   * Changes the fields named in `change` and nothing else. A cap below the seats already held is refused.
   * @throws ValidationError for a bad key or change, NotFoundError for an unknown feature.
   */
  async updateFeature(key: string, change: FeatureUpdate, _options?: ActorOptions): Promise<EarlyAccessFeature> {
    parseWith(keySchema, key, 'early-access feature key');
    const patch = parseWith(featureUpdateSchema, change, `update of early-access feature '${key}'`);
    const record = await updateRecord<EarlyAccessFeature>(this.store, Collections.earlyAccessFeatures, key, (current) => {
      if (!current) throw new NotFoundError('Early-access feature', key);
      if (current.value.handedOverTo) {
        throw new IllegalTransitionError(`early-access feature ${key}`, `handed over to ${current.value.handedOverTo}`, 'updated', 'the release owns it now');
      }
      // Only the fields the caller named change; everything else stays as stored.
      const named = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as Partial<EarlyAccessFeature>;
      const next: EarlyAccessFeature = { ...current.value, ...named, updatedAt: Math.max(this.clock.now(), current.value.updatedAt) };
      if (next.cap !== null && next.cap < current.value.holders.length) {
        throw new ValidationError(`update of early-access feature '${key}'`, [
          { path: 'cap', message: `must be at least the ${current.value.holders.length} seats already held` },
        ]);
      }
      // An uncapped feature keeps no seat list.
      return next.cap === null ? { ...next, holders: [] } : next;
    });
    return record!.value;
  }

  /** The feature, or `undefined`. */
  async feature(key: string): Promise<EarlyAccessFeature | undefined> {
    parseWith(keySchema, key, 'early-access feature key');
    return (await this.store.get<EarlyAccessFeature>(Collections.earlyAccessFeatures, key))?.value;
  }

  /** Every early-access feature, sorted by key. */
  async features(): Promise<EarlyAccessFeature[]> {
    const features: EarlyAccessFeature[] = [];
    for await (const record of iterateRecords<EarlyAccessFeature>(this.store, Collections.earlyAccessFeatures)) features.push(record.value);
    return features;
  }

  /**
   * Takes a seat on every capped feature the member qualifies for, where one is free. Safe to
   * call at any time (for example after raising a cap or a rollout percentage). Returns the
   * features where a seat is now held.
   */
  async allocateSeats(userId: string): Promise<string[]> {
    const member = await this.requireMember(userId);
    if (!holdsSeats(member.status)) return [];
    const held: string[] = [];
    for (const listed of await this.features()) {
      if (listed.cap === null || !qualifies(member, listed)) continue;
      const record = await updateRecord<EarlyAccessFeature>(this.store, Collections.earlyAccessFeatures, listed.key, (current) => {
        const feature = current?.value;
        if (!feature || feature.cap === null || feature.holders.includes(userId) || feature.holders.length >= feature.cap) return undefined;
        return { ...feature, holders: [...feature.holders, userId].sort() };
      });
      if (record?.value.holders.includes(userId)) held.push(listed.key);
    }
    return held;
  }

  /** Gives back every seat the member holds. */
  async releaseSeats(userId: string): Promise<void> {
    parseWith(userIdSchema, userId, 'user id');
    for (const listed of await this.features()) {
      if (!listed.holders.includes(userId)) continue;
      await updateRecord<EarlyAccessFeature>(this.store, Collections.earlyAccessFeatures, listed.key, (current) => {
        const feature = current?.value;
        if (!feature || !feature.holders.includes(userId)) return undefined;
        return { ...feature, holders: feature.holders.filter((holder) => holder !== userId) };
      });
    }
  }

  /**
   * Frees seats held by anyone who no longer may hold them (left behind if a process died
   * between a status change and its seat update). Returns how many seats were freed.
   */
  async reconcileSeats(): Promise<number> {
    let freed = 0;
    for (const listed of await this.features()) {
      const stale: string[] = [];
      for (const holder of listed.holders) {
        const member = await this.member(holder);
        if (!member || !holdsSeats(member.status)) stale.push(holder);
      }
      if (stale.length === 0) continue;
      await updateRecord<EarlyAccessFeature>(this.store, Collections.earlyAccessFeatures, listed.key, (current) => {
        if (!current) return undefined;
        const holders = current.value.holders.filter((holder) => !stale.includes(holder));
        return holders.length === current.value.holders.length ? undefined : { ...current.value, holders };
      });
      freed += stale.length;
    }
    return freed;
  }

  // ---- evaluation ---------------------------------------------------------------------------

  /**
   * The evaluation context for a user: their early-access level and granted features when they
   * are an active member, else just the user id. Build it once per request (it reads the store),
   * then every `isEnabled` stays synchronous.
   *
   * @example
   * ```ts
   * app.use(async (req, _res, next) => { req.flags = await gate.earlyAccess.contextFor(req.user.id); next(); });
   * gate.isEnabled('new-editor', req.flags);
   * ```
   */
  async contextFor(userId: string): Promise<EvaluationContext> {
    const member = await this.member(userId);
    if (!member) return { userId };
    if (member.status === 'graduated') return { userId, accessLevel: 'stable' };
    if (member.status !== 'active') return { userId };
    return { userId, accessLevel: member.level, earlyAccessFeatures: featuresOf(member, await this.features()) };
  }

  /** Whether the user has the early-access feature now. */
  async hasFeature(userId: string, key: string): Promise<boolean> {
    const [member, feature] = await Promise.all([this.member(userId), this.feature(key)]);
    return member !== undefined && feature !== undefined && featuresOf(member, [feature]).length === 1;
  }

  // ---- feedback -------------------------------------------------------------------------------

  /**
   * Records feedback from a member on a feature they have, with an optional 1–5 rating.
   * @throws PhasegateError when the member does not have the feature or has left too much feedback on it.
   */
  async feedback(userId: string, featureKey: string, input: FeedbackInput): Promise<Feedback> {
    const parsed = parseWith(feedbackInputSchema, input, 'feedback');
    if (parsed.rating === undefined && parsed.text === '') {
      throw new ValidationError('feedback', [{ path: '', message: 'give a rating, a text, or both' }]);
    }
    if (!(await this.hasFeature(userId, featureKey))) {
      throw ValidationError.because(`Early-access member '${userId}' does not have feature '${featureKey}'; feedback is only taken on features a member has`);
    }
    const prefix = feedbackPrefix(userId, featureKey);
    const at = this.clock.now();
    let feedback: Feedback | undefined;
    for (let attempt = 0; feedback === undefined; attempt++) {
      const existing = await this.store.list(Collections.earlyAccessFeedback, { prefix, limit: FEEDBACK_LIMIT_PER_FEATURE + 1 });
      const taken = new Set(existing.map((record) => record.key));
      // Records from before slots count toward the limit too.
      const free = Array.from({ length: FEEDBACK_LIMIT_PER_FEATURE }, (_, slot) => feedbackSlotKey(prefix, slot)).filter((key) => !taken.has(key));
      if (existing.length >= FEEDBACK_LIMIT_PER_FEATURE || free.length === 0 || attempt > 4 * FEEDBACK_LIMIT_PER_FEATURE) {
        throw ValidationError.because(`Early-access member '${userId}' has reached the limit of ${FEEDBACK_LIMIT_PER_FEATURE} pieces of feedback on '${featureKey}'`);
      }
      // The lowest free slot keeps a member's feedback in order; after losing a race, a random
      // free one, so concurrent submissions spread out instead of colliding again.
      const id = attempt === 0 ? free[0]! : free[Math.floor(Math.random() * free.length)]!;
      const candidate: Feedback = { id, userId, feature: featureKey, rating: parsed.rating ?? null, text: parsed.text, at };
      try {
        await this.store.put(Collections.earlyAccessFeedback, id, candidate, 0);
        feedback = candidate;
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
      }
    }
    // A delete of the member may have run between our check and our write: forget this too.
    if (!(await this.member(userId))) {
      await this.store.delete(Collections.earlyAccessFeedback, feedback.id);
      throw new NotFoundError('Early-access member', userId);
    }
    await this.adjustFeedbackAggregates(featureKey, 1, feedback.rating);
    this.events.emit('earlyAccess:feedback', { userId, feature: featureKey, rating: feedback.rating });
    return feedback;
  }

  /**
   * Keeps the counts on the feature record (shown with the feature) in step. They are a cache:
   * `stats()` counts the feedback records themselves. Every piece of feedback on a feature
   * contends for this one record, so a burst can exhaust the retries; the feedback is committed
   * by then, and failing the call would tell the member it was not (a retry would store it
   * twice), so a lost cache update is left for the counts in `stats()` to make good.
   */
  private async adjustFeedbackAggregates(featureKey: string, direction: 1 | -1, rating: number | null): Promise<void> {
    try {
      await updateRecord<EarlyAccessFeature>(
        this.store,
        Collections.earlyAccessFeatures,
        featureKey,
        (current) => {
          if (!current) return undefined;
          const feature = current.value;
          return {
            ...feature,
            feedbackCount: Math.max(0, feature.feedbackCount + direction),
            ratingCount: Math.max(0, feature.ratingCount + (rating === null ? 0 : direction)),
            ratingSum: feature.ratingSum + (rating === null ? 0 : direction * rating),
          };
        },
        { attempts: 60 },
      );
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }

  /** A member's feedback, oldest first. */
  async feedbackOf(userId: string): Promise<Feedback[]> {
    parseWith(userIdSchema, userId, 'user id');
    const feedback: Feedback[] = [];
    let after: string | undefined;
    const prefix = `${encodeURIComponent(userId)}/`;
    for (;;) {
      const page = await this.store.list<Feedback>(Collections.earlyAccessFeedback, after === undefined ? { prefix } : { prefix, after });
      feedback.push(...page.map((record) => record.value));
      if (page.length < 1000) break;
      after = page[page.length - 1]!.key;
    }
    return feedback.sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1));
  }

  // ---- reporting ------------------------------------------------------------------------------

  /**
   * Users by status and level, and per feature: seats, feedback and mean rating. Never emails
   * or ids. Scans the members and feedback collections page by page.
   */
  async stats(): Promise<EarlyAccessStats> {
    const byStatus = Object.fromEntries(MEMBER_STATUSES.map((s) => [s, 0])) as Record<MemberStatus, number>;
    const byLevel = Object.fromEntries(ACCESS_LEVELS.map((l) => [l, 0])) as Record<AccessLevel, number>;
    let total = 0;
    for await (const record of iterateRecords<Member>(this.store, Collections.earlyAccessUsers)) {
      total++;
      byStatus[record.value.status]++;
      byLevel[record.value.level]++;
    }
    // Feedback is counted from the records themselves, so the numbers cannot drift from them.
    const feedback = new Map<string, { count: number; ratings: number; sum: number }>();
    for await (const record of iterateRecords<Feedback>(this.store, Collections.earlyAccessFeedback)) {
      const tally = feedback.get(record.value.feature) ?? { count: 0, ratings: 0, sum: 0 };
      tally.count++;
      if (record.value.rating !== null) {
        tally.ratings++;
        tally.sum += record.value.rating;
      }
      feedback.set(record.value.feature, tally);
    }
    const features = (await this.features()).map((feature) => {
      const tally = feedback.get(feature.key);
      return {
        key: feature.key,
        level: feature.level,
        enabled: feature.enabled,
        rolloutPercentage: feature.rolloutPercentage,
        cap: feature.cap,
        seatsUsed: feature.cap === null ? null : feature.holders.length,
        feedbackCount: tally?.count ?? 0,
        meanRating: !tally || tally.ratings === 0 ? null : Math.round((tally.sum / tally.ratings) * 100) / 100,
      };
    });
    return { members: { total, byStatus, byLevel }, features };
  }

  /** One member's view: level, status, features available, seats and feedback given. */
  async dashboard(userId: string): Promise<MemberDashboard> {
    const member = await this.requireMember(userId);
    const features = await this.features();
    return {
      userId,
      level: member.level,
      status: member.status,
      features: featuresOf(member, features),
      seats: features.filter((feature) => feature.holders.includes(userId)).map((feature) => feature.key),
      feedback: await this.feedbackOf(userId),
    };
  }

  /** Every member without emails, page by page. */
  async *exportMembers(): AsyncGenerator<ExportedMember> {
    for await (const record of iterateRecords<Member>(this.store, Collections.earlyAccessUsers)) {
      const { userId, level, status, enrolledAt, updatedAt } = record.value;
      yield { userId, level, status, enrolledAt, updatedAt };
    }
  }
}
