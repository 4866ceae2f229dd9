import murmurhash3 from 'murmurhash3js-revisited';
import * as z from 'zod';
import type { StoredRecord } from '../storage/store.js';
import { REDACTED_FIELDS } from './diff.js';

/**
 * Audit entries written ahead of their write, so a crash cannot separate a write from its entry.
 *
 * Why not "write, then record": a process killed between the two leaves a committed change with
 * no entry, and nothing afterwards can tell it happened. Why not one atomic two-record write:
 * the `Store` contract has none, and FileStore (one file per collection) cannot offer one. So
 * the entry goes first, as a *pending* record in the audit collection, naming the write it
 * stands for: the record, the version the write expects, and a fingerprint of the value it
 * writes. Then the write; then the entry is promoted (written under its own id, the pending
 * record removed). Whoever finds a pending record later — the next audited write of the same
 * record, or the recovery step every client runs on start and on a timer — decides from the
 * record alone whether its write committed ({@link resolvePending}): promote it, drop it, or
 * wait. Promotion is idempotent (the entry is created under its id only if absent), so two
 * processes settling the same pending record write one entry.
 *
 * The decision is exact when every writer of the record is audited: each audited write settles
 * the pending entries of its record *before* its own compare-and-set, so a record never moves
 * past the version a pending entry is about without that entry being settled first.
 */

/** Keys of pending entries start with this (after every time-ordered entry id, which are base-36). */
export const PENDING_PREFIX = '~pending:';

/** How long a pending entry whose write is not visible may still be in flight. 60 s. */
export const PENDING_GRACE_MS = 60_000;

/** The pending entries of one record share this key prefix (lengths first, so no key is the prefix of another's). */
export function pendingPrefixOf(collection: string, key: string): string {
  return `${PENDING_PREFIX}${collection.length}:${collection}${key.length}:${key}:`;
}

/** The key of a pending entry. */
export function pendingKeyOf(pending: Pick<PendingAudit, 'entry'>): string {
  return `${pendingPrefixOf(pending.entry.collection, pending.entry.key)}${pending.entry.id}`;
}

/** A fingerprint of a record value: 128-bit MurmurHash3 of its canonical JSON (keys sorted, redacted fields left out). */
export function fingerprintOf(value: unknown): string {
  const json = JSON.stringify(value, (field, inner: unknown) => {
    if (field !== '' && REDACTED_FIELDS.has(field)) return undefined;
    if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) return inner;
    const sorted: Record<string, unknown> = {};
    for (const name of Object.keys(inner).sort()) sorted[name] = (inner as Record<string, unknown>)[name];
    return sorted;
  });
  return murmurhash3.x86.hash128(new TextEncoder().encode(json ?? 'undefined'));
}

/** A write that is about to happen (or happened, or never will), with the entry it gets if it commits. */
export interface PendingAudit<Entry = unknown> {
  /** The audit entry the write gets once it is known to have committed. */
  readonly entry: Entry & { readonly id: string; readonly at: number; readonly collection: string; readonly key: string };
  /** `put` or `delete`. */
  readonly op: 'put' | 'delete';
  /** The version the write expects: 0 for a create; for a delete, the version it removes. */
  readonly expectedVersion: number;
  /** {@link fingerprintOf} the value a put writes; `null` for a delete. */
  readonly fingerprint: string | null;
}

/** A stored pending entry (the entry itself is validated by the audit log's schema). */
export const pendingShapeSchema = z.strictObject({
  entry: z.unknown(),
  op: z.enum(['put', 'delete']),
  expectedVersion: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  fingerprint: z.string().max(64).nullable(),
});

/**
 * Whether the write a pending entry stands for committed, judged from the record as it is now
 * (`undefined`: absent). `in-flight`: not visible yet (its writer may still be writing, or died
 * before writing). Pure.
 */
export function resolvePending(pending: PendingAudit, current: StoredRecord<unknown> | undefined): 'committed' | 'not-committed' | 'in-flight' {
  const expected = pending.expectedVersion;
  if (pending.op === 'delete') {
    if (current === undefined) return 'committed';
    return current.version === expected ? 'in-flight' : 'not-committed';
  }
  if (expected === 0) {
    // A create: any version, as long as the value is the one it wrote.
    if (current === undefined) return 'in-flight';
    return fingerprintOf(current.value) === pending.fingerprint ? 'committed' : 'not-committed';
  }
  if (current === undefined) return 'not-committed';
  if (current.version === expected) return 'in-flight';
  if (current.version === expected + 1 && fingerprintOf(current.value) === pending.fingerprint) return 'committed';
  // Another value at the next version, or the record moved further: an audited writer that
  // moved it past would have settled this entry first, so this write lost its compare-and-set.
  return 'not-committed';
}
