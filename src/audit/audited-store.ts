import { toError } from '../errors.js';
import { asyncContext } from '../runtime.js';
import type { WriteOptions } from '../contracts.js';
import type { ListOptions, Store, StoreEvent, StoredRecord } from '../storage/store.js';
import type { AuditLog } from './audit-log.js';

export type { WriteOptions };

/** The write in progress: the action, its options, and the records it read (their values before). */
interface WriteContext {
  readonly action: string;
  readonly actor: string;
  readonly reason: string | undefined;
  readonly read: Map<string, StoredRecord<unknown>>;
}

/**
 * The collections whose writes are audited: the records people change. Not audited: metric
 * samples, alerts and exposure sketches (data, not decisions), feedback (the users' own words),
 * the email index (it would put an email hash beside a user id), and the audit log itself.
 */
export const AUDITED_COLLECTIONS: ReadonlySet<string> = new Set(['flags', 'releases', 'early-access-users', 'early-access-features', 'meta']);

// AsyncLocalStorage where the runtime has it (see src/runtime.ts for the others).
const writes = asyncContext<WriteContext>();

const slot = (collection: string, key: string) => `${collection}\u0000${key}`;

/**
 * Runs `work` as one audited write: every write it makes to an audited collection, including
 * side effects (a release's flags, a member's seats), is recorded as `action` by `actor`.
 * Why AsyncLocalStorage and not a parameter on every internal call: the actor has to reach the
 * one place every write passes (the store) through helpers that know nothing about it.
 */
export function auditedWrite<T>(action: string, actor: string, options: WriteOptions | undefined, work: () => Promise<T>): Promise<T> {
  const outer = writes.getStore();
  // A write inside a write (a release syncing its flags) keeps the outer action and actor.
  if (outer) return work();
  const by = typeof options?.by === 'string' && options.by.trim() !== '' ? options.by.trim() : actor;
  const reason = typeof options?.reason === 'string' && options.reason.trim() !== '' ? options.reason.trim() : undefined;
  return writes.run({ action, actor: by, reason, read: new Map() }, work);
}

/**
 * A store that records an audit entry after every committed write to an audited collection:
 * the action and actor of the surrounding {@link auditedWrite} (or `write` by the default
 * actor), the reason, and the difference from the value read just before. Writes that are
 * not committed record nothing; an audit entry that cannot be written is reported through
 * `onError` and never turns the committed write into a failure.
 */
export class AuditedStore implements Store {
  readonly name: string;
  private readonly inner: Store;
  private readonly log: AuditLog;
  private readonly defaultActor: () => string;
  private readonly onError: (error: Error) => void;

  constructor(inner: Store, log: AuditLog, defaultActor: () => string, onError: (error: Error) => void) {
    this.inner = inner;
    this.name = inner.name;
    this.log = log;
    this.defaultActor = defaultActor;
    this.onError = onError;
  }

  async get<T = unknown>(collection: string, key: string): Promise<StoredRecord<T> | undefined> {
    const record = await this.inner.get<T>(collection, key);
    const context = writes.getStore();
    // Remember what the write read, so the entry can say what it was before.
    if (context && record && AUDITED_COLLECTIONS.has(collection)) context.read.set(slot(collection, key), record);
    return record;
  }

  list<T = unknown>(collection: string, options?: ListOptions): Promise<StoredRecord<T>[]> {
    return this.inner.list<T>(collection, options);
  }

  async put<T>(collection: string, key: string, value: T, expectedVersion: number): Promise<StoredRecord<T>> {
    if (!AUDITED_COLLECTIONS.has(collection)) return this.inner.put(collection, key, value, expectedVersion);
    const current = await this.current(collection, key, expectedVersion);
    const refused = expectedVersion === 0 ? current !== undefined : current?.version !== expectedVersion;
    const record = await this.writeAhead(collection, key, 'put', expectedVersion, current, refused, value, () => this.inner.put(collection, key, value, expectedVersion));
    writes.getStore()?.read.set(slot(collection, key), record);
    return record;
  }

  async delete(collection: string, key: string, expectedVersion?: number): Promise<boolean> {
    if (!AUDITED_COLLECTIONS.has(collection)) return this.inner.delete(collection, key, expectedVersion);
    const current = await this.current(collection, key, expectedVersion);
    const refused = current === undefined || (expectedVersion !== undefined && current.version !== expectedVersion);
    const deleted = await this.writeAhead(collection, key, 'delete', current?.version ?? 0, current, refused, undefined, () =>
      this.inner.delete(collection, key, expectedVersion),
    );
    writes.getStore()?.read.delete(slot(collection, key));
    return deleted;
  }

  /**
   * One audited write, crash-safe (see src/audit/pending.ts): settle the record's pending
   * entries, write this write's entry as pending, write, then promote the entry (or drop it
   * when the write did not happen). Audit storage failures never fail or block the write: the
   * first one is reported through `onError`, and the write goes on without its safety net.
   */
  private async writeAhead<R>(
    collection: string,
    key: string,
    op: 'put' | 'delete',
    expectedVersion: number,
    current: StoredRecord<unknown> | undefined,
    refused: boolean,
    after: unknown,
    write: () => Promise<R>,
  ): Promise<R> {
    const context = writes.getStore();
    let problem: unknown;
    const note = (error: unknown) => {
      problem ??= error;
    };
    await this.log.settleRecord(collection, key, current).catch(note);
    // A write the record as read already refuses (a create of an existing key, a stale version)
    // writes nothing ahead: a refused write leaves the store as it was, audit collection included.
    if (refused) return write();
    const pending = this.log.prepare({
      actor: context?.actor ?? this.defaultActor(),
      action: context?.action ?? `${collection}.${op === 'delete' ? 'delete' : 'write'}`,
      reason: context?.reason,
      collection,
      key,
      before: current?.value,
      after,
      op,
      expectedVersion,
    });
    let ahead = false;
    if (pending && (op === 'put' || current !== undefined)) {
      ahead = await this.log.begin(pending).then(
        () => true,
        (error: unknown) => (note(error), false),
      );
    }
    let result: R;
    try {
      result = await write();
    } catch (error) {
      if (ahead) await this.log.abandon(pending!).catch(note);
      this.report(problem);
      throw error;
    }
    if (pending && (op === 'put' || result === true)) {
      // Promote; without a pending record (it could not be written) this is the plain entry write.
      await this.log.commit(pending).catch(note);
    } else if (ahead) {
      await this.log.abandon(pending!).catch(note);
    }
    this.report(problem);
    return result;
  }

  count(collection: string): Promise<number> {
    return this.inner.count(collection);
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    return this.inner.subscribe(listener);
  }

  subscribed(): Promise<void> {
    return this.inner.subscribed?.() ?? Promise.resolve();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /**
   * The record the write replaces: the one the write read at the expected version, else read
   * now (a create reads too: a key that exists means the create will be refused).
   */
  private async current(collection: string, key: string, expectedVersion: number | undefined): Promise<StoredRecord<unknown> | undefined> {
    if (expectedVersion === 0) return this.inner.get(collection, key);
    const known = writes.getStore()?.read.get(slot(collection, key));
    if (known && (expectedVersion === undefined || known.version === expectedVersion)) return known;
    return this.inner.get(collection, key);
  }

  private report(problem: unknown): void {
    if (problem === undefined) return;
    try {
      this.onError(toError(problem));
    } catch {
      // The write is committed; a failing error listener changes nothing about that.
    }
  }
}
