import * as z from 'zod';
import type { Clock } from '../clock.js';
import { ValidationError } from '../errors.js';
import { randomHex } from '../runtime.js';
import type { Store, StoredRecord } from '../storage/store.js';
import { parseWith } from '../validation.js';
import { diffRecords, type AuditChange } from './diff.js';

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
   */
  async record(input: AuditInput): Promise<AuditEntry | undefined> {
    const changes = diffRecords(input.before, input.after);
    if (changes.length === 0) return undefined;
    const at = this.clock.now();
    const entry: AuditEntry = {
      id: entryId(at, ++this.sequence),
      at,
      actor: (input.actor ?? 'api').slice(0, 200) || 'api',
      action: input.action,
      collection: input.collection,
      key: input.key,
      reason: input.reason ? input.reason.slice(0, 2000) : null,
      changes,
    };
    await this.store.put(AUDIT_COLLECTION, entry.id, entry, 0);
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
    return entry;
  }

  /** Entries matching `query`, newest first. */
  async list(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const limit = queryLimit(query.limit);
    const since = query.since ?? 0;
    // Keys start with the time, so `after` skips everything older than `since` without reading it.
    let after: string | undefined = since > 0 ? timeKey(since - 1) + '~' : undefined;
    const newest: AuditEntry[] = [];
    for (;;) {
      const page: StoredRecord<unknown>[] = await this.store.list(AUDIT_COLLECTION, after === undefined ? { limit: 1000 } : { after, limit: 1000 });
      for (const record of page) {
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
    let excess = (await this.store.count(AUDIT_COLLECTION)) - this.maxEntries;
    while (excess > 0) {
      const oldest = await this.store.list(AUDIT_COLLECTION, { limit: Math.min(excess, 1000) });
      if (oldest.length === 0) break;
      for (const record of oldest) if (await this.store.delete(AUDIT_COLLECTION, record.key)) removed++;
      excess -= oldest.length;
    }
    return removed;
  }
}
