import { AlreadyExistsError, ConflictError } from '../errors.js';
import type { Store, StoredRecord } from './store.js';

/**
 * Every record of a collection, page by page (never one giant read).
 * Use for collections that are small enough to hold, such as flags.
 */
export async function* iterateRecords<T>(
  store: Store,
  collection: string,
  pageSize = 1000,
): AsyncGenerator<StoredRecord<T>> {
  let after: string | undefined;
  for (;;) {
    const page = await store.list<T>(collection, after === undefined ? { limit: pageSize } : { after, limit: pageSize });
    yield* page;
    if (page.length < pageSize) return;
    after = page[page.length - 1]!.key;
  }
}

/**
 * Every record of a collection, a page at a time (in key order): for callers that handle many
 * records, where {@link iterateRecords}' one promise per record is the larger cost.
 */
export async function* iteratePages<T>(store: Store, collection: string, pageSize = 1000): AsyncGenerator<readonly StoredRecord<T>[]> {
  let after: string | undefined;
  for (;;) {
    const page = await store.list<T>(collection, after === undefined ? { limit: pageSize } : { after, limit: pageSize });
    if (page.length > 0) yield page;
    if (page.length < pageSize) return;
    after = page[page.length - 1]!.key;
  }
}

/**
 * Creates a record that must not exist yet (expected version 0). A conflict means the key is
 * taken: it becomes an {@link AlreadyExistsError} naming `what`, and nothing is overwritten.
 */
export async function insertRecord<T>(store: Store, collection: string, key: string, value: T, what: string): Promise<StoredRecord<T>> {
  try {
    return await store.put(collection, key, value, 0);
  } catch (error) {
    if (error instanceof ConflictError) throw new AlreadyExistsError(what, key);
    throw error;
  }
}

/** How many times a read-modify-write retries after a version conflict before giving up. One limit for every module. */
export const UPDATE_ATTEMPTS = 20;

/** Options for {@link updateRecord}. */
export interface UpdateRecordOptions<T> {
  /** Validates the current record before `change` sees it (a bad record throws, naming its key). */
  readonly parse?: (record: StoredRecord<unknown>) => T;
  /** Attempts before a conflict is given up on. Default {@link UPDATE_ATTEMPTS}. */
  readonly attempts?: number;
}

/** Reads one record and validates it with `parse`; `undefined` when absent. */
export async function readRecord<T>(store: Store, collection: string, key: string, parse: (record: StoredRecord<unknown>) => T): Promise<StoredRecord<T> | undefined> {
  const record = await store.get<unknown>(collection, key);
  return record && { ...record, value: parse(record) };
}

/** Every record of a collection, each validated with `parse` (see {@link iterateRecords}). */
export async function* iterateParsed<T>(
  store: Store,
  collection: string,
  parse: (record: StoredRecord<unknown>) => T,
  pageSize = 1000,
): AsyncGenerator<StoredRecord<T>> {
  for await (const record of iterateRecords<unknown>(store, collection, pageSize)) yield { ...record, value: parse(record) };
}

/**
 * Read-modify-write with optimistic concurrency: reads the record, applies `change`,
 * writes with the version it read, and on a {@link ConflictError} re-reads and tries
 * again (up to {@link UPDATE_ATTEMPTS} times), backing off with jitter so competing writers
 * spread out. `change` must be a pure function of the current value, because it may run more
 * than once. Returning `undefined` cancels the write.
 */
export async function updateRecord<T>(
  store: Store,
  collection: string,
  key: string,
  change: (current: StoredRecord<T> | undefined) => T | undefined,
  options: UpdateRecordOptions<T> = {},
): Promise<StoredRecord<T> | undefined> {
  const attempts = options.attempts ?? UPDATE_ATTEMPTS;
  const parse = options.parse;
  for (let attempt = 1; ; attempt++) {
    const raw = await store.get<T>(collection, key);
    const current = raw && parse ? { ...raw, value: parse(raw) } : raw;
    const next = change(current);
    if (next === undefined) return current;
    try {
      return await store.put(collection, key, next, current?.version ?? 0);
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= attempts) throw error;
      await backOff(attempt);
    }
  }
}

/**
 * Deletes a record with optimistic concurrency, like {@link updateRecord}: reads it, lets
 * `check` refuse (it throws) or approve the deletion of what it read, deletes at that version,
 * and re-reads on a conflict. Resolves the record deleted, or `undefined` when there was none
 * (after `check(undefined)` had its say).
 */
export async function deleteRecord<T>(
  store: Store,
  collection: string,
  key: string,
  check: (current: StoredRecord<T> | undefined) => void,
  options: UpdateRecordOptions<T> = {},
): Promise<StoredRecord<T> | undefined> {
  const attempts = options.attempts ?? UPDATE_ATTEMPTS;
  for (let attempt = 1; ; attempt++) {
    const raw = await store.get<T>(collection, key);
    const current = raw && options.parse ? { ...raw, value: options.parse(raw) } : raw;
    check(current);
    if (!current) return undefined;
    try {
      await store.delete(collection, key, current.version);
      return current;
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= attempts) throw error;
      await backOff(attempt);
    }
  }
}

/** Waits a jittered, growing moment before retry `attempt + 1` (full jitter, capped at 100 ms). */
export function backOff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(100, 2 ** attempt)));
}
