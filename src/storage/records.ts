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

/**
 * Read-modify-write with optimistic concurrency: reads the record, applies `change`,
 * writes with the version it read, and on a {@link ConflictError} re-reads and tries
 * again (up to `attempts` times). `change` must be a pure function of the current
 * value, because it may run more than once. Returning `undefined` cancels the write.
 */
export async function updateRecord<T>(
  store: Store,
  collection: string,
  key: string,
  change: (current: StoredRecord<T> | undefined) => T | undefined,
  attempts = 20,
): Promise<StoredRecord<T> | undefined> {
  for (let attempt = 1; ; attempt++) {
    const current = await store.get<T>(collection, key);
    const next = change(current);
    if (next === undefined) return current;
    try {
      return await store.put(collection, key, next, current?.version ?? 0);
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= attempts) throw error;
      // Back off a little so competing writers spread out.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 2 * attempt));
    }
  }
}
