/**
 * A custom storage adapter in ~70 lines: everything phasegate needs from a backend.
 * Swap the Map for your database; keep the version check atomic there
 * (a conditional UPDATE, a compare-and-set, a transaction).
 */
import { ConflictError, type ListOptions, type Store, type StoreEvent, type StoredRecord } from 'phasegate';

/** Keys sort by their UTF-8 bytes (code point order), as SQLite, PostgreSQL and Redis compare them. */
function byUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export class MapStore implements Store {
  readonly name = 'map';
  private readonly data = new Map<string, { version: number; json: string }>();
  private readonly listeners = new Set<(event: StoreEvent) => void>();
  // Per collection, the highest version ever deleted: creates start above it, so a re-created
  // key never goes back to an old version (the contract's "versions never go backwards").
  private readonly deletedVersionFloors = new Map<string, number>();

  private id(collection: string, key: string): string {
    return `${collection}\u0000${key}`;
  }

  async get<T>(collection: string, key: string): Promise<StoredRecord<T> | undefined> {
    const entry = this.data.get(this.id(collection, key));
    return entry && { key, version: entry.version, value: JSON.parse(entry.json) as T };
  }

  async list<T>(collection: string, options: ListOptions = {}): Promise<StoredRecord<T>[]> {
    const prefix = this.id(collection, '');
    const records: StoredRecord<T>[] = [];
    for (const [id, entry] of this.data) {
      const key = id.slice(prefix.length);
      if (!id.startsWith(prefix)) continue;
      if (options.after !== undefined && byUtf8(key, options.after) <= 0) continue;
      if (options.prefix && !key.startsWith(options.prefix)) continue;
      records.push({ key, version: entry.version, value: JSON.parse(entry.json) as T });
    }
    records.sort((a, b) => byUtf8(a.key, b.key));
    return records.slice(0, Math.min(options.limit ?? 1000, 1000));
  }

  async put<T>(collection: string, key: string, value: T, expectedVersion: number): Promise<StoredRecord<T>> {
    const actual = this.data.get(this.id(collection, key))?.version ?? 0;
    if (actual !== expectedVersion) throw new ConflictError(collection, key, expectedVersion, actual);
    const json = JSON.stringify(value);
    const version = actual === 0 ? (this.deletedVersionFloors.get(collection) ?? 0) + 1 : actual + 1;
    this.data.set(this.id(collection, key), { version, json });
    this.emit({ type: 'change', collection, key, version });
    return { key, version, value: JSON.parse(json) as T };
  }

  async delete(collection: string, key: string, expectedVersion?: number): Promise<boolean> {
    const actual = this.data.get(this.id(collection, key))?.version ?? 0;
    if (expectedVersion !== undefined && actual !== expectedVersion) throw new ConflictError(collection, key, expectedVersion, actual);
    if (actual === 0) return false;
    this.data.delete(this.id(collection, key));
    this.deletedVersionFloors.set(collection, Math.max(actual, this.deletedVersionFloors.get(collection) ?? 0));
    this.emit({ type: 'change', collection, key, version: 0 });
    return true;
  }

  async count(collection: string): Promise<number> {
    return (await this.list(collection)).length;
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }

  private emit(event: StoreEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
