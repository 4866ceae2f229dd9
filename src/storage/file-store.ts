import { readdirSync, watch, type FSWatcher } from 'node:fs';
import { copyFile, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ClosedError, ConflictError, StoreError, ValidationError } from '../errors.js';
import { assertNoPollutingKeys } from '../validation.js';
import { withFileLock } from './file-lock.js';
import { StoreListeners } from './listeners.js';
import { DEFAULT_PAGE_SIZE, type ListOptions, type Store, type StoreEvent, type StoredRecord } from './store.js';

const FORMAT = 'phasegate-store';
const FORMAT_VERSION = 1;
const COLLECTION_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;

interface FileRecord {
  version: number;
  value: unknown;
}

interface CollectionFile {
  /** Records by key (a Map, so no key can reach a prototype). */
  records: Map<string, FileRecord>;
  /** The highest version of any record deleted from the collection; creates start above it. */
  deletedVersionFloor: number;
  /** Identity of the file this was read from, to notice other processes' writes. */
  stamp: string;
}

/** Options for {@link FileStore}. */
export interface FileStoreOptions {
  /** Follow other processes' writes with a file watcher (default `true`). */
  readonly watch?: boolean;
}

/**
 * The embedded store: one directory, one JSON file per collection.
 *
 * - Writes are atomic: a temp file is written, fsynced and renamed over the old one.
 * - A lock file serialises writers across processes, so no read-modify-write interleaves.
 * - Files are created 0600 and the directory 0700.
 * - A corrupt or hand-broken file is reported with its path and the problem and is never
 *   overwritten; the previous good copy is kept beside it as `<collection>.json.bak`.
 * - Other processes' writes are noticed through a file watcher and turned into change events.
 *
 * Each write rewrites its collection's file, which suits flags, releases and an early-access
 * program of thousands; use Redis or PostgreSQL for a million records.
 */
export class FileStore implements Store {
  readonly name: string;
  /** The store directory. */
  readonly directory: string;
  private readonly cache = new Map<string, CollectionFile>();
  private readonly listeners = new StoreListeners();
  private readonly watchEnabled: boolean;
  private watcher: FSWatcher | undefined;
  private watching: Promise<void> = Promise.resolve();
  private ready: Promise<void> | undefined;
  private closed = false;
  private readonly pendingRefresh = new Set<string>();

  constructor(directory: string, options: FileStoreOptions = {}) {
    this.directory = resolve(directory);
    this.name = `file:${this.directory}`;
    this.watchEnabled = options.watch ?? true;
  }

  /** Path of a collection's file. */
  fileOf(collection: string): string {
    return join(this.directory, `${collection}.json`);
  }

  async get<T = unknown>(collection: string, key: string): Promise<StoredRecord<T> | undefined> {
    const file = await this.read(collection);
    const record = file.records.get(key);
    return record && { key, version: record.version, value: structuredClone(record.value) as T };
  }

  async list<T = unknown>(collection: string, options: ListOptions = {}): Promise<StoredRecord<T>[]> {
    const file = await this.read(collection);
    const limit = Math.min(options.limit ?? DEFAULT_PAGE_SIZE, DEFAULT_PAGE_SIZE);
    return [...file.records.keys()]
      .filter((key) => (options.after === undefined || key > options.after) && (!options.prefix || key.startsWith(options.prefix)))
      .sort()
      .slice(0, limit)
      .map((key) => {
        const record = file.records.get(key)!;
        return { key, version: record.version, value: structuredClone(record.value) as T };
      });
  }

  async count(collection: string): Promise<number> {
    return (await this.read(collection)).records.size;
  }

  async put<T>(collection: string, key: string, value: T, expectedVersion: number): Promise<StoredRecord<T>> {
    const json = JSON.stringify(value);
    if (json === undefined) throw new StoreError(`Cannot store ${collection}/${key}: the value is not JSON-serialisable`);
    const stored = JSON.parse(json) as T;
    const version = await this.mutate(collection, key, expectedVersion, (file, actual) => {
      // A create starts above every deleted version, so a re-created key never reuses one.
      const next = actual === 0 ? file.deletedVersionFloor + 1 : actual + 1;
      file.records.set(key, { version: next, value: stored });
      return next;
    });
    return { key, version, value: structuredClone(stored) };
  }

  async delete(collection: string, key: string, expectedVersion?: number): Promise<boolean> {
    const deleted = await this.mutate(collection, key, expectedVersion, (file, actual) => {
      if (!file.records.delete(key)) return -1;
      file.deletedVersionFloor = Math.max(file.deletedVersionFloor, actual);
      return 0;
    });
    return deleted === 0;
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    const remove = this.listeners.add(listener);
    if (this.watchEnabled) this.watching = this.ensureDirectory().then(() => this.startWatching(), () => {});
    return remove;
  }

  /** Resolves once the directory watcher is running. */
  subscribed(): Promise<void> {
    return this.watching;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watcher?.close();
    this.watcher = undefined;
    this.listeners.clear();
  }

  private assertOpen(): void {
    if (this.closed) throw new ClosedError(`FileStore ${this.directory} is closed`);
  }

  private assertCollection(collection: string): void {
    if (!COLLECTION_PATTERN.test(collection)) {
      throw new ValidationError('collection name', [
        { path: 'collection', message: `'${collection}' must be lowercase letters, digits and '-' (it names a file)` },
      ]);
    }
  }

  private ensureDirectory(): Promise<void> {
    this.ready ??= mkdir(this.directory, { recursive: true, mode: 0o700 }).then(() => undefined);
    return this.ready;
  }

  /**
   * Applies one change under the directory lock, against the file as it is on disk now.
   * `change` returns the new version, 0 for a delete, or -1 for "nothing to do".
   */
  private async mutate(
    collection: string,
    key: string,
    expectedVersion: number | undefined,
    change: (file: { records: Map<string, FileRecord>; deletedVersionFloor: number }, actualVersion: number) => number,
  ): Promise<number> {
    this.assertOpen();
    this.assertCollection(collection);
    await this.ensureDirectory();
    const result = await withFileLock(join(this.directory, '.lock'), async () => {
      const current = await this.load(collection);
      const actual = current.records.get(key)?.version ?? 0;
      if (expectedVersion !== undefined && actual !== expectedVersion) {
        throw new ConflictError(collection, key, expectedVersion, actual);
      }
      const next = { records: new Map(current.records), deletedVersionFloor: current.deletedVersionFloor };
      const outcome = change(next, actual);
      if (outcome === -1) return { outcome, file: current };
      const file = await this.writeFile(collection, next.records, next.deletedVersionFloor);
      return { outcome, file };
    });
    const previous = this.cache.get(collection);
    this.cache.set(collection, result.file);
    if (result.outcome !== -1) this.emitDifferences(collection, previous, result.file);
    return result.outcome;
  }

  private async writeFile(collection: string, records: Map<string, FileRecord>, deletedVersionFloor: number): Promise<CollectionFile> {
    const path = this.fileOf(collection);
    const body = {
      format: FORMAT,
      formatVersion: FORMAT_VERSION,
      collection,
      // Omitted while 0, so files of collections nothing was deleted from look as before.
      ...(deletedVersionFloor > 0 ? { deletedVersionFloor } : {}),
      records: Object.fromEntries([...records.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    };
    const temp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(body, null, 2)}\n`);
      await handle.sync();
    } catch (error) {
      await handle.close();
      await rm(temp, { force: true });
      throw error;
    }
    await handle.close();
    // Keep the last good copy beside the file; the copy is renamed in so it is never half-written.
    const existed = await stat(path).then(() => true, () => false);
    if (existed) {
      const backupTemp = `${path}.bak.tmp-${process.pid}`;
      await copyFile(path, backupTemp);
      await rename(backupTemp, `${path}.bak`);
    }
    await rename(temp, path);
    await this.syncDirectory();
    return { records, deletedVersionFloor, stamp: await this.stampOf(path) };
  }

  private async syncDirectory(): Promise<void> {
    const handle = await open(this.directory, 'r');
    try {
      await handle.sync();
    } catch {
      // Some filesystems refuse fsync on directories; the rename is still atomic.
    } finally {
      await handle.close();
    }
  }

  private async stampOf(path: string): Promise<string> {
    const info = await stat(path, { bigint: true }).catch(() => undefined);
    return info ? `${info.ino}:${info.size}:${info.mtimeNs}` : 'missing';
  }

  /** The collection as on disk, using the cache while the file is unchanged. */
  private async read(collection: string): Promise<CollectionFile> {
    this.assertOpen();
    this.assertCollection(collection);
    const path = this.fileOf(collection);
    const stamp = await this.stampOf(path);
    const cached = this.cache.get(collection);
    if (cached && cached.stamp === stamp) return cached;
    const file = await this.load(collection);
    this.cache.set(collection, file);
    if (cached) this.emitDifferences(collection, cached, file);
    return file;
  }

  /** Reads and checks a collection file. Never repairs or rewrites it. */
  private async load(collection: string): Promise<CollectionFile> {
    const path = this.fileOf(collection);
    const stamp = await this.stampOf(path);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: new Map(), deletedVersionFloor: 0, stamp: 'missing' };
      throw new StoreError(`Cannot read store file ${path}: ${(error as Error).message}`, { cause: error });
    }
    const corrupt = (problem: string): StoreError =>
      new StoreError(
        `Store file ${path} is corrupt: ${problem}. It was left untouched; the last good copy is ${path}.bak (if present).`,
      );
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw corrupt(`invalid JSON (${(error as Error).message})`);
    }
    try {
      assertNoPollutingKeys(data, `store file ${path}`);
    } catch (error) {
      throw corrupt((error as Error).message);
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data)) throw corrupt('the top level is not an object');
    const body = data as Record<string, unknown>;
    if (body.format !== FORMAT) throw corrupt(`"format" must be "${FORMAT}"`);
    if (body.formatVersion !== FORMAT_VERSION) throw corrupt(`"formatVersion" ${String(body.formatVersion)} is not supported (expected ${FORMAT_VERSION})`);
    if (typeof body.records !== 'object' || body.records === null || Array.isArray(body.records)) throw corrupt('"records" must be an object');
    const floor = body.deletedVersionFloor ?? 0;
    if (!Number.isSafeInteger(floor) || (floor as number) < 0) throw corrupt('"deletedVersionFloor" must be an integer ≥ 0');
    const records = new Map<string, FileRecord>();
    for (const [key, record] of Object.entries(body.records as Record<string, unknown>)) {
      const entry = record as Partial<FileRecord> | null;
      if (typeof entry !== 'object' || entry === null || !Number.isInteger(entry.version) || (entry.version as number) < 1 || !('value' in entry)) {
        throw corrupt(`record "${key}" must be { "version": <integer ≥ 1>, "value": ... }`);
      }
      records.set(key, { version: entry.version as number, value: entry.value });
    }
    return { records, deletedVersionFloor: floor as number, stamp };
  }

  private startWatching(): void {
    if (this.watcher || this.closed || this.listeners.size === 0) return;
    try {
      this.watcher = watch(this.directory, { persistent: false }, (_event, filename) => {
        const name = filename?.toString();
        if (!name || !name.endsWith('.json')) return;
        this.scheduleRefresh(name.slice(0, -'.json'.length));
      });
      this.watcher.on('error', (error) => this.listeners.setAvailable(false, error));
    } catch (error) {
      this.listeners.setAvailable(false, error as Error);
    }
  }

  /** Coalesces bursts of watcher events into one re-read per collection. */
  private scheduleRefresh(collection: string): void {
    if (!COLLECTION_PATTERN.test(collection) || this.pendingRefresh.has(collection)) return;
    this.pendingRefresh.add(collection);
    setTimeout(() => {
      this.pendingRefresh.delete(collection);
      if (this.closed) return;
      const known = this.cache.has(collection);
      this.read(collection).then(
        // `read` reports differences from what was cached; a collection never read before is all new.
        (file) => known || this.emitDifferences(collection, undefined, file),
        // A corrupt file written by someone else surfaces on the next read as an error; nothing to emit here.
        () => {},
      );
    }, 5).unref();
  }

  private emitDifferences(collection: string, before: CollectionFile | undefined, after: CollectionFile): void {
    if (this.listeners.size === 0) return;
    const previous = before?.records ?? new Map<string, FileRecord>();
    for (const [key, record] of after.records) {
      if (previous.get(key)?.version !== record.version) this.listeners.emit({ type: 'change', collection, key, version: record.version });
    }
    for (const key of previous.keys()) {
      if (!after.records.has(key)) this.listeners.emit({ type: 'change', collection, key, version: 0 });
    }
  }
}

/**
 * Whether `directory` holds FileStore collection files, so tools that default to another
 * embedded store (SQLite) keep opening existing data with a FileStore.
 */
export function holdsFileStoreData(directory: string): boolean {
  try {
    return readdirSync(directory).some((name) => /^[a-z0-9][a-z0-9-]{0,63}(\.\d+)?\.json$/.test(name));
  } catch {
    return false;
  }
}
