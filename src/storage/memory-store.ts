import { ClosedError, ConflictError, StoreError } from '../errors.js';
import { StoreListeners } from './listeners.js';
import { SortedKeys } from './sorted-keys.js';
import { DEFAULT_PAGE_SIZE, type ListOptions, type Store, type StoreEvent, type StoredRecord } from './store.js';

interface Entry {
  version: number;
  /** Stored as JSON text so callers can never mutate what is stored, and values round-trip like on every other adapter. */
  json: string;
}

/** One collection: the records, and their keys in list order (kept sorted on write, so a page costs O(log n + page)). */
interface Collection {
  readonly records: Map<string, Entry>;
  readonly keys: SortedKeys;
}

/**
 * An in-process store. The default for tests and single-process apps; two clients
 * given the same `MemoryStore` see each other's changes like two app instances would.
 */
export class MemoryStore implements Store {
  readonly name = 'memory';
  private readonly collections = new Map<string, Collection>();
  /**
   * Per collection, the highest version of any record deleted from it. Creates start above
   * it, so a re-created key never reuses a version (see {@link Store}); one number per
   * collection, and no trace of the deleted key.
   */
  private readonly deletedVersionFloors = new Map<string, number>();
  private readonly listeners = new StoreListeners();
  private closed = false;

  private collection(name: string): Collection {
    let collection = this.collections.get(name);
    if (collection === undefined) {
      collection = { records: new Map(), keys: new SortedKeys() };
      this.collections.set(name, collection);
    }
    return collection;
  }

  private assertOpen(): void {
    if (this.closed) throw new ClosedError('MemoryStore is closed');
  }

  async get<T = unknown>(collection: string, key: string): Promise<StoredRecord<T> | undefined> {
    this.assertOpen();
    const entry = this.collections.get(collection)?.records.get(key);
    return entry && { key, version: entry.version, value: JSON.parse(entry.json) as T };
  }

  async list<T = unknown>(collection: string, options: ListOptions = {}): Promise<StoredRecord<T>[]> {
    this.assertOpen();
    const stored = this.collections.get(collection);
    if (!stored) return [];
    const limit = Math.min(options.limit ?? DEFAULT_PAGE_SIZE, DEFAULT_PAGE_SIZE);
    const keys = stored.keys.page({ after: options.after, prefix: options.prefix, limit });
    return keys.map((key) => {
      const entry = stored.records.get(key)!;
      return { key, version: entry.version, value: JSON.parse(entry.json) as T };
    });
  }

  async put<T>(collection: string, key: string, value: T, expectedVersion: number): Promise<StoredRecord<T>> {
    this.assertOpen();
    const { records, keys } = this.collection(collection);
    const actual = records.get(key)?.version ?? 0;
    if (actual !== expectedVersion) throw new ConflictError(collection, key, expectedVersion, actual);
    const json = JSON.stringify(value);
    if (json === undefined) throw new StoreError(`Cannot store ${collection}/${key}: the value is not JSON-serialisable`);
    const version = actual === 0 ? (this.deletedVersionFloors.get(collection) ?? 0) + 1 : actual + 1;
    records.set(key, { version, json });
    if (actual === 0) keys.add(key);
    this.listeners.emit({ type: 'change', collection, key, version });
    return { key, version, value: JSON.parse(json) as T };
  }

  async delete(collection: string, key: string, expectedVersion?: number): Promise<boolean> {
    this.assertOpen();
    const stored = this.collections.get(collection);
    const entry = stored?.records.get(key);
    if (expectedVersion !== undefined && (entry?.version ?? 0) !== expectedVersion) {
      throw new ConflictError(collection, key, expectedVersion, entry?.version ?? 0);
    }
    if (!stored || !entry) return false;
    stored.records.delete(key);
    stored.keys.delete(key);
    if (entry.version > (this.deletedVersionFloors.get(collection) ?? 0)) this.deletedVersionFloors.set(collection, entry.version);
    this.listeners.emit({ type: 'change', collection, key, version: 0 });
    return true;
  }

  async count(collection: string): Promise<number> {
    this.assertOpen();
    return this.collections.get(collection)?.records.size ?? 0;
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    return this.listeners.add(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
  }
}
