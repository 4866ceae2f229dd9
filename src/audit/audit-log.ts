import * as z from 'zod';
import type { Clock } from '../clock.js';
import { ConflictError, ValidationError, toError } from '../errors.js';
import { randomHex } from '../runtime.js';
import type { Store, StoredRecord } from '../storage/store.js';
import { parseWith } from '../validation.js';
import { diffRecords, type AuditChange } from './diff.js';
import { PENDING_GRACE_MS, PENDING_PREFIX, fingerprintOf, pendingKeyOf, pendingPrefixOf, pendingShapeSchema, resolvePending, type PendingAudit } from './pending.js';

/** The store collection audit entries live in (their own, apart from the records they describe). */
export const AUDIT_COLLECTION = 'audit';

/** Default retention: entries older than this are removed. 90 days. */
export const DEFAULT_AUDIT_MAX_AGE_MS = 90 * 86_400_000;
/** Default retention: at most this many entries are kept (the oldest go first). */
export const DEFAULT_AUDIT_MAX_ENTRIES = 10_000;

/** One recorded write: who, when, what, why, and the before/after difference. */
export interface AuditEntry {
  /** Sortable id: entries list in the order they were written. */
  readonly id: string;
  /** Epoch ms. */
  readonly at: number;
  /** Who: the actor the write was made with (`api` when none was given). */
  readonly actor: string;
  /** What was done, `domain.verb`: `flag.update`, `release.hold`, `member.approve`, ... */
  readonly action: string;
  /** The collection of the record that changed (`flags`, `releases`, `early-access-users`, ...). */
  readonly collection: string;
  /** The key of the record that changed (a flag key, a release version, a user id). */
  readonly key: string;
  /** Why, when the caller said. */
  readonly reason: string | null;
  /** The fields that changed. Never holds an email (redacted). */
  readonly changes: readonly AuditChange[];
}

/** What a write reports to the audit log. */
export interface AuditInput {
  readonly actor?: string | undefined;
  readonly action: string;
  readonly collection: string;
  readonly key: string;
  readonly reason?: string | null | undefined;
  /** The record before the write (`undefined` when it was created). */
  readonly before: unknown;
  /** The record after the write (`undefined` when it was deleted). */
  readonly after: unknown;
}

/** Filters for {@link AuditLog.list}. */
export interface AuditQuery {
  /** Only entries about this record key (flag key, release version, user id). */
  readonly key?: string;
  /** Only entries at or after this instant (epoch ms). */
  readonly since?: number;
  /** Only entries by this actor. */
  readonly actor?: string;
  /** At most this many entries, newest first. Default 100, at most 1000. */
  readonly limit?: number;
}

/** Retention of the audit log. */
export interface AuditRetention {
  /** Entries older than this are removed. Default {@link DEFAULT_AUDIT_MAX_AGE_MS}. */
  readonly maxAgeMs?: number;
  /** At most this many entries are kept. Default {@link DEFAULT_AUDIT_MAX_ENTRIES}. */
  readonly maxEntries?: number;
}

const text = (max: number) => z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

const changeSchema = z.strictObject({ path: z.string().max(1000), before: z.unknown().optional(), after: z.unknown().optional() });

/** A stored audit entry, validated on every read. */
export const auditEntrySchema = z.strictObject({
  id: text(100),
  at: z.number().int().min(0),
  actor: text(200),
  action: text(100),
  collection: text(100),
  key: text(1000),
  reason: z.string().max(2000).nullable(),
  changes: z.array(changeSchema).max(100),
});

const queryLimit = (limit: number | undefined) => Math.max(1, Math.min(1000, Math.floor(limit ?? 100)));

/** Time-ordered key: base-36 time, then a per-process sequence and random tail so writers never collide. */
function entryId(at: number, sequence: number): string {
  return `${at.toString(36).padStart(9, '0')}-${(sequence % 1_679_616).toString(36).padStart(4, '0')}-${randomHex(3)}`;
}

/** The key prefix shared by every entry at or after `at`. */
function timeKey(at: number): string {
  return at.toString(36).padStart(9, '0');
}

/** Validates a stored entry; names the record on failure. */
export function parseStoredAuditEntry(record: StoredRecord<unknown>, storeName: string): AuditEntry {
  const entry = parseWith(auditEntrySchema, record.value, `audit entry '${record.key}' in store ${storeName}`);
  if (entry.id !== record.key) {
    throw new ValidationError(`audit entry '${record.key}' in store ${storeName}`, [{ path: 'id', message: `must equal the record key '${record.key}'` }]);
  }
  return entry as AuditEntry;
}

/**
 * `gate.audit`: an append-only log of every write, kept in the store beside the records it
 * describes, bounded by age and count (see docs/console.md, "Audit log"). Entries never hold an
 * email: member records are diffed with their email fields redacted.
 */
export class AuditLog {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly maxAgeMs: number;
  private readonly maxEntries: number;
  private readonly pruneEvery: number;
  private sequence = 0;
  private writesSincePrune = 0;

  /** @internal Built by `createPhasegate`. */
  constructor(store: Store, clock: Clock, retention: AuditRetention = {}) {
    this.store = store;
    this.clock = clock;
    this.maxAgeMs = retention.maxAgeMs ?? DEFAULT_AUDIT_MAX_AGE_MS;
    this.maxEntries = retention.maxEntries ?? DEFAULT_AUDIT_MAX_ENTRIES;
    if (!(this.maxAgeMs > 0) || !Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new ValidationError('audit retention', [{ path: '', message: 'maxAgeMs must be > 0 and maxEntries a whole number >= 1' }]);
    }
    // Pruning costs a count and a list: do it every tenth of the limit (at most every 50 writes),
    // so the log never holds more than maxEntries plus one interval.
    this.pruneEvery = Math.max(1, Math.min(50, Math.floor(this.maxEntries / 10)));
  }

  /**
   * Records one write. Called after the write committed; nothing is recorded when the
   * record did not change. Resolves to the entry, or `undefined` when there was nothing to say.
   * (Not crash-safe on its own: the audited store writes the entry ahead, see {@link AuditLog.prepare}.)
   */
  async record(input: AuditInput): Promise<AuditEntry | undefined> {
    const entry = this.entryFor(input);
    if (entry === undefined) return undefined;
    await this.store.put(AUDIT_COLLECTION, entry.id, entry, 0);
    await this.afterEntry();
    return entry;
  }

  /** The entry a write gets, or `undefined` when the record does not change. */
  private entryFor(input: AuditInput): AuditEntry | undefined {
    const changes = diffRecords(input.before, input.after);
    if (changes.length === 0) return undefined;
    const at = this.clock.now();
    return {
      id: entryId(at, ++this.sequence),
      at,
      actor: (input.actor ?? 'api').slice(0, 200) || 'api',
      action: input.action,
      collection: input.collection,
      key: input.key,
      reason: input.reason ? input.reason.slice(0, 2000) : null,
      changes,
    };
  }

  /**
   * The pending entry of a write about to be made (see src/audit/pending.ts): `expectedVersion`
   * is the version the put expects (0: create) or the version a delete removes. `undefined`
   * when the write changes nothing worth recording.
   */
  prepare(input: AuditInput & { readonly op: 'put' | 'delete'; readonly expectedVersion: number }): PendingAudit<AuditEntry> | undefined {
    const entry = this.entryFor(input);
    if (entry === undefined) return undefined;
    return { entry, op: input.op, expectedVersion: input.expectedVersion, fingerprint: input.op === 'put' ? fingerprintOf(input.after) : null };
  }

  /** Writes the pending entry, before the write it stands for. */
  async begin(pending: PendingAudit<AuditEntry>): Promise<void> {
    await this.store.put(AUDIT_COLLECTION, pendingKeyOf(pending), pending, 0);
  }

  /** The write committed: writes the entry under its id (if nobody did yet) and removes the pending one. */
  async commit(pending: PendingAudit<AuditEntry>): Promise<void> {
    try {
      await this.store.put(AUDIT_COLLECTION, pending.entry.id, pending.entry, 0);
    } catch (error) {
      // Already promoted by whoever settled it first: one entry, as it should be.
      if (!(error instanceof ConflictError)) throw error;
    }
    await this.store.delete(AUDIT_COLLECTION, pendingKeyOf(pending));
    await this.afterEntry();
  }

  /** The write did not commit: removes its pending entry. */
  async abandon(pending: PendingAudit<AuditEntry>): Promise<void> {
    await this.store.delete(AUDIT_COLLECTION, pendingKeyOf(pending));
  }

  /**
   * Settles the pending entries of one record, given the record as the caller just read it
   * (`undefined`: absent): promotes those whose write committed, drops those whose write
   * cannot commit any more, leaves those in flight. The audited store calls it before each
   * write, so a record never moves past a version with an unsettled entry.
   */
  async settleRecord(collection: string, key: string, current: StoredRecord<unknown> | undefined): Promise<void> {
    const page = await this.store.list(AUDIT_COLLECTION, { prefix: pendingPrefixOf(collection, key), limit: 100 });
    for (const record of page) await this.settle(record, current, Infinity);
  }

  /**
   * The recovery step: settles every pending entry in the store (see {@link settleRecord}),
   * reading each one's record; a pending entry whose write is still not visible after
   * `graceMs` (default {@link PENDING_GRACE_MS}) is dropped (its writer died before writing).
   * Idempotent; every client runs it on start and on a timer. Returns what it did.
   */
  async recover(options: { readonly graceMs?: number } = {}): Promise<{ promoted: number; dropped: number; waiting: number; invalid: number }> {
    const graceMs = options.graceMs ?? PENDING_GRACE_MS;
    const outcome = { promoted: 0, dropped: 0, waiting: 0, invalid: 0 };
    let after: string | undefined;
    for (;;) {
      const page = await this.store.list(AUDIT_COLLECTION, { prefix: PENDING_PREFIX, limit: 1000, ...(after === undefined ? {} : { after }) });
      for (const record of page) {
        const pending = this.parsePending(record);
        if (pending === undefined) {
          outcome.invalid++;
          continue;
        }
        const current = await this.store.get(pending.entry.collection, pending.entry.key);
        outcome[await this.settle(record, current, graceMs)]++;
      }
      if (page.length < 1000) break;
      after = page[page.length - 1]!.key;
    }
    return outcome;
  }

  /**
   * Runs {@link recover} shortly after start (within 2 s) and then every `intervalMs` (jittered,
   * never overlapping; `0` disables both) until `stop` is called. Failures go to `onError`; the timer does not keep a process alive.
   */
  recoverPeriodically(intervalMs: number, onError: (error: Error) => void): { readonly first: Promise<void>; stop(): void } {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const run = () =>
      this.recover().then(
        () => {},
        (error: unknown) => {
          if (!stopped) onError(toError(error));
        },
      );
    const schedule = () => {
      if (stopped || !(intervalMs > 0)) return;
      timer = setTimeout(() => void run().then(schedule), intervalMs * (0.75 + Math.random() * 0.5));
      (timer as { unref?: () => void }).unref?.();
    };
    // The first run comes shortly after start rather than during it: a client's load reads only
    // what evaluation needs, and a store that is down at start is reported once, by the load.
    const first = new Promise<void>((resolve) => {
      if (!(intervalMs > 0)) return resolve();
      timer = setTimeout(() => void run().then(schedule).then(resolve), Math.min(intervalMs, 2000));
      (timer as { unref?: () => void }).unref?.();
    });
    return {
      first,
      stop() {
        stopped = true;
        if (timer !== undefined) clearTimeout(timer);
      },
    };
  }

  private parsePending(record: StoredRecord<unknown>): PendingAudit<AuditEntry> | undefined {
    const shape = pendingShapeSchema.safeParse(record.value);
    if (!shape.success) return undefined;
    const entry = auditEntrySchema.safeParse(shape.data.entry);
    if (!entry.success) return undefined;
    const pending = { ...shape.data, entry: entry.data as AuditEntry };
    // A pending record filed under another record's prefix is not trusted.
    return pendingKeyOf(pending) === record.key ? pending : undefined;
  }

  private async settle(record: StoredRecord<unknown>, current: StoredRecord<unknown> | undefined, graceMs: number): Promise<'promoted' | 'dropped' | 'waiting' | 'invalid'> {
    const pending = this.parsePending(record);
    if (pending === undefined) return 'invalid';
    const resolution = resolvePending(pending, current);
    if (resolution === 'committed') {
      await this.commit(pending);
      return 'promoted';
    }
    if (resolution === 'in-flight' && this.clock.now() - pending.entry.at <= graceMs) return 'waiting';
    // Only the pending record at the version read: if its writer just removed it, nothing to do.
    await this.store.delete(AUDIT_COLLECTION, record.key, record.version).catch((error: unknown) => {
      if (!(error instanceof ConflictError)) throw error;
    });
    return 'dropped';
  }

  /** Keeps the log bounded after an entry was written. */
  private async afterEntry(): Promise<void> {
    // The entry is written: a failed prune must not make it look lost. The next prune catches up.
    if (++this.writesSincePrune >= this.pruneEvery) {
      this.writesSincePrune = 0;
      await this.prune().catch(() => {});
    } else if (this.sequence === 1) {
      // A short-lived process (one CLI command) may never reach a periodic prune: its first
      // write checks the count, so many of them together still keep the log bounded.
      const count = await this.store.count(AUDIT_COLLECTION).catch(() => 0);
      if (count > this.maxEntries) await this.prune().catch(() => {});
    }
  }

  /** Entries matching `query`, newest first. */
  async list(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const limit = queryLimit(query.limit);
    const since = query.since ?? 0;
    // Keys start with the time, so `after` skips everything older than `since` without reading it.
    let after: string | undefined = since > 0 ? timeKey(since - 1) + '~' : undefined;
    const newest: AuditEntry[] = [];
    let done = false;
    while (!done) {
      const page: StoredRecord<unknown>[] = await this.store.list(AUDIT_COLLECTION, after === undefined ? { limit: 1000 } : { after, limit: 1000 });
      for (const record of page) {
        // Pending entries sort after every entry id: the rest of the collection is not the log.
        if (record.key.startsWith(PENDING_PREFIX)) {
          done = true;
          break;
        }
        const entry = parseStoredAuditEntry(record, this.store.name);
        if (entry.at < since) continue;
        if (query.key !== undefined && entry.key !== query.key) continue;
        if (query.actor !== undefined && entry.actor !== query.actor) continue;
        newest.push(entry);
        if (newest.length > limit) newest.shift();
      }
      if (page.length < 1000) break;
      after = page[page.length - 1]!.key;
    }
    return newest.reverse();
  }

  /** Removes entries past the retention (too old, or beyond the count); returns how many. */
  async prune(): Promise<number> {
    let removed = 0;
    const cutoff = timeKey(Math.max(0, this.clock.now() - this.maxAgeMs));
    for (;;) {
      const page = await this.store.list(AUDIT_COLLECTION, { limit: 1000 });
      const old = page.filter((record) => record.key < cutoff);
      for (const record of old) if (await this.store.delete(AUDIT_COLLECTION, record.key)) removed++;
      if (old.length < 1000) break;
    }
    const pending = (await this.store.list(AUDIT_COLLECTION, { prefix: PENDING_PREFIX, limit: 1000 })).length;
    let excess = (await this.store.count(AUDIT_COLLECTION)) - pending - this.maxEntries;
    while (excess > 0) {
      // Pending entries (sorted last) are not the log's to prune: they become entries or go away.
      const oldest = (await this.store.list(AUDIT_COLLECTION, { limit: Math.min(excess, 1000) })).filter((record) => !record.key.startsWith(PENDING_PREFIX));
      if (oldest.length === 0) break;
      for (const record of oldest) if (await this.store.delete(AUDIT_COLLECTION, record.key)) removed++;
      excess -= oldest.length;
    }
    return removed;
  }
}
