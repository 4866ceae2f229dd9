import { readdirSync, watch, type FSWatcher } from 'node:fs';
import { link, open, readFile, readdir, rm, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ClosedError, ConflictError, StoreError, ValidationError } from '../errors.js';
import { assertNoPollutingKeys } from '../validation.js';
import { makeDirectories } from './directories.js';
import { compareKeys } from './keys.js';
import { StoreListeners } from './listeners.js';
import { DEFAULT_PAGE_SIZE, type ListOptions, type Store, type StoreEvent, type StoredRecord } from './store.js';
import { nextVersion, parseStoredVersion } from './versions.js';

const FORMAT = 'phasegate-store';
const FORMAT_VERSION = 2;
const COLLECTION_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;
/** `<collection>.<generation>.json`, or `<collection>.json` (format 1, read as generation 0). */
const DATA_FILE = /^([a-z0-9][a-z0-9-]{0,63})(?:\.(\d{1,15}))?\.json$/;
/**
 * When a generation's file name may be removed (its data is emptied at once, the name stays so
 * that link() keeps failing for a writer that read an older generation): once it is KEPT_NAMES
 * generations behind and was emptied more than `nameReuseAfterMs` ago, or once it is
 * KEPT_NAMES_MAX generations behind whatever its age. A writer that publishes within half that
 * time of its read, or fewer than KEPT_NAMES generations behind, therefore knows its name was
 * never used before (see `publish`).
 */
const KEPT_NAMES = 64;
const KEPT_NAMES_MAX = 10_000;
/** Temp files: `<collection>.json.tmp-<random>`; format 1 also left `<collection>.json.bak.tmp-<pid>`. */
const TEMP_FILE = /^([a-z0-9][a-z0-9-]{0,63})\.json\.(?:bak\.)?tmp-[A-Za-z0-9-]+$/;

interface FileRecord {
  version: number;
  value: unknown;
}

interface CollectionFile {
  /** Records by key (a Map, so no key can reach a prototype). */
  records: Map<string, FileRecord>;
  /** The highest version of any record deleted from the collection; creates start above it. */
  deletedVersionFloor: number;
  /** The generation this was read from (0: the format-1 file or no file at all). */
  generation: number;
  /** Whether a file exists for that generation. */
  exists: boolean;
  /** Identity of the file read (see `stampOf`), to notice a hand edit. */
  stamp: string;
  /** The keys in order, computed on first list (generation files never change once written). */
  sorted?: string[];
}

/** Options for {@link FileStore}. */
export interface FileStoreOptions {
  /** Follow other processes' writes with a file watcher (default `true`). */
  readonly watch?: boolean;
  /**
   * A temp file older than this (ms) belongs to a writer that died (kill -9, power cut) and is
   * removed. A live writer holds one for milliseconds; one paused longer simply fails its write
   * (nothing acknowledged is lost). Default 60,000.
   */
  readonly abandonedTempAfterMs?: number;
  /** How long a write keeps retrying while other processes commit first, ms. Default 10,000. */
  readonly writeTimeoutMs?: number;
  /**
   * How long (ms) the name of an emptied generation file stays on disk after it falls 64
   * generations behind. A writer paused for less than half this time can never publish into a
   * reused name; one paused longer may get a `StoreError` saying its outcome is unknown. Every
   * process sharing the directory should use the same value. Default 120,000.
   */
  readonly nameReuseAfterMs?: number;
}

/**
 * The zero-dependency embedded store: one directory, one JSON file per collection and
 * generation. Right for small data on one host (the CLI, a single app, tests); for more, or
 * for many processes writing, use `SqliteStore` from `phasegate/sqlite` (or Redis/PostgreSQL).
 *
 * Correct under concurrency without any lock (docs/storage.md, "FileStore"):
 *
 * - Each write produces the next generation, `<collection>.<n>.json`. It is written to a temp
 *   file, fsynced, then published with `link()`, which fails if that generation already exists.
 *   That is a compare-and-set in the filesystem itself: of two writers that read generation n,
 *   exactly one publishes n + 1; the other re-reads and retries, or gets a `ConflictError` when
 *   the record it expected changed. No lock means no stale lock to take over, no PID to check
 *   (PID namespaces do not matter) and no lease a paused writer can outlive: a writer resumed
 *   after any pause finds its generation taken and cannot overwrite anything.
 * - Generation files never change once published, so a reader sees a whole file or none.
 * - The previous generation is kept as the backup, except after a write that removed records:
 *   then every older generation is deleted at once, so deleted data (an email, feedback text)
 *   leaves the directory with the delete.
 * - Temp files of writers that died are removed (see {@link FileStoreOptions.abandonedTempAfterMs}).
 * - Files are created 0600 and the directory 0700. Every record read is checked (keys are
 *   strings, versions safe integers); a corrupt file is reported with its path and never
 *   overwritten.
 * - Other processes' writes are noticed through a file watcher and turned into change events.
 *
 * Each write rewrites its collection's file: fine for flags, releases and an early-access
 * program of thousands, wrong for a million records.
 */
export class FileStore implements Store {
  readonly name: string;
  /** The store directory. */
  readonly directory: string;
  private readonly cache = new Map<string, CollectionFile>();
  private readonly listeners = new StoreListeners();
  private readonly watchEnabled: boolean;
  private readonly abandonedTempAfterMs: number;
  private readonly writeTimeoutMs: number;
  private readonly nameReuseAfterMs: number;
  private watcher: FSWatcher | undefined;
  private watching: Promise<void> = Promise.resolve();
  private ready: Promise<void> | undefined;
  private cleaned: Promise<void> | undefined;
  private closed = false;
  private readonly pendingRefresh = new Set<string>();

  constructor(directory: string, options: FileStoreOptions = {}) {
    this.directory = resolve(directory);
    this.name = `file:${this.directory}`;
    this.watchEnabled = options.watch ?? true;
    this.abandonedTempAfterMs = options.abandonedTempAfterMs ?? 60_000;
    this.writeTimeoutMs = options.writeTimeoutMs ?? 10_000;
    this.nameReuseAfterMs = options.nameReuseAfterMs ?? 120_000;
  }

  /** Path of a collection's file for `generation` (0: the format-1 file, `<collection>.json`). */
  fileOf(collection: string, generation = 0): string {
    return join(this.directory, generation === 0 ? `${collection}.json` : `${collection}.${generation}.json`);
  }

  /** Path of the file holding a collection's current data, or `undefined` when it has none. */
  async currentFileOf(collection: string): Promise<string | undefined> {
    const file = await this.read(collection);
    return file.exists ? this.fileOf(collection, file.generation) : undefined;
  }

  async get<T = unknown>(collection: string, key: string): Promise<StoredRecord<T> | undefined> {
    const file = await this.read(collection);
    const record = file.records.get(key);
    return record && { key, version: record.version, value: structuredClone(record.value) as T };
  }

  async list<T = unknown>(collection: string, options: ListOptions = {}): Promise<StoredRecord<T>[]> {
    const file = await this.read(collection);
    const limit = Math.max(0, Math.min(options.limit ?? DEFAULT_PAGE_SIZE, DEFAULT_PAGE_SIZE));
    file.sorted ??= [...file.records.keys()].sort(compareKeys);
    const keys = file.sorted;
    const prefix = options.prefix ?? '';
    // Binary search for the first key past `after` and at or past the prefix: a page costs O(page + log n).
    const from = options.after !== undefined && compareKeys(options.after, prefix) >= 0 ? options.after : undefined;
    let low = 0;
    let high = keys.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const key = keys[middle]!;
      if (from !== undefined ? compareKeys(key, from) <= 0 : compareKeys(key, prefix) < 0) low = middle + 1;
      else high = middle;
    }
    const page: StoredRecord<T>[] = [];
    for (let index = low; index < keys.length && page.length < limit; index++) {
      const key = keys[index]!;
      if (!key.startsWith(prefix)) break;
      const record = file.records.get(key)!;
      page.push({ key, version: record.version, value: structuredClone(record.value) as T });
    }
    return page;
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
      const version = nextVersion(actual === 0 ? file.deletedVersionFloor : actual, `${this.name}, record ${collection}/${key}`);
      file.records.set(key, { version, value: stored });
      return version;
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

  /** Creates the directory (0700) and, once per store, removes what dead writers left behind. */
  private ensureDirectory(): Promise<void> {
    this.ready ??= makeDirectories(this.directory, 0o700).then(() => this.cleanOnce());
    return this.ready;
  }

  /** Removes what dead writers left behind, once per store, on its first read or write. */
  private cleanOnce(): Promise<void> {
    this.cleaned ??= this.removeLeftovers().catch(() => {});
    return this.cleaned;
  }

  /**
   * Applies one change against the newest generation and publishes the next one with `link()`.
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
    const deadline = Date.now() + this.writeTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      const readAt = performance.now();
      const current = await this.read(collection);
      const actual = current.records.get(key)?.version ?? 0;
      if (expectedVersion !== undefined && actual !== expectedVersion) {
        throw new ConflictError(collection, key, expectedVersion, actual);
      }
      const next = { records: new Map(current.records), deletedVersionFloor: current.deletedVersionFloor };
      const outcome = change(next, actual);
      if (outcome === -1) return outcome;
      const { records, deletedVersionFloor } = next;
      const generation = current.generation + 1;
      const dropsRecords = [...current.records.keys()].some((existing) => !records.has(existing));
      const published = await this.publish(collection, generation, records, deletedVersionFloor, dropsRecords, readAt);
      if (published) {
        const stamp = await this.stampOf(this.fileOf(collection, generation));
        const file: CollectionFile = { records, deletedVersionFloor, generation, exists: true, stamp };
        this.cache.set(collection, file);
        this.emitDifferences(collection, current, file);
        await this.removeOldGenerations(collection, dropsRecords ? generation : generation - 1, generation);
        return outcome;
      }
      // Another process published this generation first: look again at what it wrote.
      if (Date.now() > deadline) {
        throw new StoreError(`Gave up writing ${collection}/${key} in ${this.directory} after ${attempt} attempts: other writers kept committing first`);
      }
      await new Promise((done) => setTimeout(done, Math.random() * Math.min(attempt, 20)));
    }
  }

  /**
   * Writes `records` as generation `generation`. Resolves `false` when that generation exists
   * already (another writer won the compare-and-set); nothing is overwritten either way.
   */
  private async publish(
    collection: string,
    generation: number,
    records: Map<string, FileRecord>,
    deletedVersionFloor: number,
    dropsRecords: boolean,
    readAt: number,
  ): Promise<boolean> {
    const path = this.fileOf(collection, generation);
    const keys = [...records.keys()].sort(compareKeys);
    const lines = keys.map((key) => {
      const record = records.get(key)!;
      return `    ${JSON.stringify({ key, version: record.version, value: record.value })}`;
    });
    const header = {
      format: FORMAT,
      formatVersion: FORMAT_VERSION,
      collection,
      generation,
      ...(dropsRecords ? { dropsRecords } : {}),
      // Omitted while 0, so collections nothing was deleted from look as before.
      ...(deletedVersionFloor > 0 ? { deletedVersionFloor } : {}),
    };
    const body = `${JSON.stringify(header, null, 2).slice(0, -2)},\n  "records": [\n${lines.join(',\n')}${lines.length ? '\n' : ''}  ]\n}\n`;
    const temp = join(this.directory, `${collection}.json.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(body);
      await handle.sync();
    } catch (error) {
      await handle.close();
      await rm(temp, { force: true });
      throw new StoreError(`Cannot write ${temp}: ${(error as Error).message}`, { cause: error });
    }
    await handle.close();
    try {
      // The compare-and-set: link() refuses to replace an existing file.
      await link(temp, path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      // ENOENT: our temp file was removed as abandoned while this process was paused. Not written.
      throw new StoreError(`Cannot publish ${path}: ${(error as Error).message}`, { cause: error });
    } finally {
      await rm(temp, { force: true });
    }
    // link() found the name free. It was never used if the collection is fewer than KEPT_NAMES
    // generations ahead, or if this writer read it less than half the name-reuse time ago and it
    // is fewer than KEPT_NAMES_MAX ahead (see `nameReuseAfterMs`). Otherwise this writer was
    // paused so long that the name may have been used and freed: the write may be an orphan.
    const newest = (await this.newestGeneration(collection)) ?? generation;
    const ahead = newest - generation;
    const quick = performance.now() - readAt < this.nameReuseAfterMs / 2;
    if (ahead >= KEPT_NAMES && !(quick && ahead < KEPT_NAMES_MAX)) {
      await this.truncate(path);
      throw new StoreError(
        `Write to ${collection} in ${this.directory} abandoned: the collection moved on by ${ahead} generations while this process was paused; the change may or may not have been applied, re-read it`,
      );
    }
    await this.syncDirectory();
    return true;
  }

  /**
   * Empties generations below `keep` (their data is gone, their names stay so that no paused
   * writer can publish into them) and removes names as KEPT_NAMES and `nameReuseAfterMs` allow,
   * oldest first. Also removes the format-1 backup once format 2 has taken over.
   */
  private async removeOldGenerations(collection: string, keep: number, newest: number, everything = false): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch {
      return;
    }
    const old = names
      .map((name) => ({ name, match: DATA_FILE.exec(name) }))
      .filter(({ match }) => match?.[1] === collection && Number(match[2] ?? 0) < keep)
      .map(({ name, match }) => ({ name, generation: Number(match![2] ?? 0) }))
      .sort((a, b) => a.generation - b.generation);
    let removing = true;
    for (const { name, generation } of old) {
      const path = join(this.directory, name);
      if (generation === 0 || generation <= newest - KEPT_NAMES_MAX) {
        await unlink(path).catch(() => {});
        continue;
      }
      if (removing && generation <= newest - KEPT_NAMES) {
        const info = await stat(path).catch(() => undefined);
        if (info && info.size === 0 && Date.now() - info.mtimeMs > this.nameReuseAfterMs) {
          await unlink(path).catch(() => {});
          continue;
        }
        // Names were emptied in order: the ones after this are younger still.
        removing = false;
      }
      // After a write only the generations it made stale need emptying; earlier writes did the rest.
      if (everything || generation >= keep - 2) await this.truncate(path);
    }
    if (keep >= 1) await unlink(join(this.directory, `${collection}.json.bak`)).catch(() => {});
    if (old.length > 0) await this.syncDirectory();
  }

  /** Empties a generation file in place (an empty file reads as "superseded"). */
  private async truncate(path: string): Promise<void> {
    const handle = await open(path, 'r+').catch(() => undefined);
    if (!handle) return;
    try {
      if ((await handle.stat()).size > 0) {
        await handle.truncate(0);
        await handle.sync();
      }
    } catch {
      // Best effort: the next write or open of this collection tries again.
    } finally {
      await handle.close();
    }
  }

  /** Removes temp files of dead writers and finishes the clean-up a crash interrupted. */
  private async removeLeftovers(): Promise<void> {
    const names = await readdir(this.directory).catch(() => [] as string[]);
    const newest = new Map<string, { generation: number; name: string }>();
    for (const name of names) {
      const temp = TEMP_FILE.exec(name);
      if (temp) {
        const info = await stat(join(this.directory, name)).catch(() => undefined);
        if (info && Date.now() - info.mtimeMs > this.abandonedTempAfterMs) await unlink(join(this.directory, name)).catch(() => {});
        continue;
      }
      const data = DATA_FILE.exec(name);
      if (!data) continue;
      const generation = Number(data[2] ?? 0);
      if (generation > (newest.get(data[1]!)?.generation ?? -1)) newest.set(data[1]!, { generation, name });
    }
    for (const [collection, { generation, name }] of newest) {
      if (generation === 0) continue;
      const dropsRecords = await readFile(join(this.directory, name), 'utf8').then(
        (text) => /^\s*"dropsRecords": true,?$/m.test(text.slice(0, 400)),
        () => false,
      );
      await this.removeOldGenerations(collection, dropsRecords ? generation : generation - 1, generation, true);
    }
  }

  private async syncDirectory(): Promise<void> {
    const handle = await open(this.directory, 'r');
    try {
      await handle.sync();
    } catch {
      // Some filesystems refuse fsync on directories; the link is still atomic.
    } finally {
      await handle.close();
    }
  }

  /** Identity of a file's current content: inode, size and modification time (ns). */
  private async stampOf(path: string): Promise<string> {
    const info = await stat(path, { bigint: true }).catch(() => undefined);
    return info && info.size > 0n ? `${info.ino}:${info.size}:${info.mtimeNs}` : 'missing';
  }

  private async exists(path: string): Promise<boolean> {
    return stat(path).then(
      () => true,
      () => false,
    );
  }

  /**
   * The collection's newest generation. The cached one is still newest when its file exists and
   * the next does not: generations are published one after another and removed oldest first.
   */
  private async read(collection: string): Promise<CollectionFile> {
    this.assertOpen();
    this.assertCollection(collection);
    await this.cleanOnce();
    const cached = this.cache.get(collection);
    // Still the newest when no next generation exists and its file is the one read (not emptied,
    // not edited by hand): names are removed oldest first, and only far behind the newest.
    if (cached && cached.exists && !(await this.exists(this.fileOf(collection, cached.generation + 1)))) {
      if ((await this.stampOf(this.fileOf(collection, cached.generation))) === cached.stamp) return cached;
    }
    for (let attempt = 0; ; attempt++) {
      const generation = await this.newestGeneration(collection);
      try {
        const file = await this.load(collection, generation);
        this.cache.set(collection, file);
        if (cached) this.emitDifferences(collection, cached, file);
        return file;
      } catch (error) {
        // Emptied or removed between the listing and the read because a newer one was published: list again.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        if (attempt >= 100) throw new StoreError(`Store file ${this.fileOf(collection, generation)} is empty or keeps disappearing; restore the previous generation`);
      }
    }
  }

  private async newestGeneration(collection: string): Promise<number | undefined> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new StoreError(`Cannot read store directory ${this.directory}: ${(error as Error).message}`, { cause: error });
    }
    let newest: number | undefined;
    for (const name of names) {
      const match = DATA_FILE.exec(name);
      if (match?.[1] !== collection) continue;
      const generation = Number(match[2] ?? 0);
      if (newest === undefined || generation > newest) newest = generation;
    }
    return newest;
  }

  /** Reads and checks one generation file. Never repairs or rewrites it. */
  private async load(collection: string, generation: number | undefined): Promise<CollectionFile> {
    if (generation === undefined) return { records: new Map(), deletedVersionFloor: 0, generation: 0, exists: false, stamp: 'missing' };
    const path = this.fileOf(collection, generation);
    const stamp = await this.stampOf(path);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw error;
      throw new StoreError(`Cannot read store file ${path}: ${(error as Error).message}`, { cause: error });
    }
    if (text === '') throw Object.assign(new Error(`${path} was superseded`), { code: 'ENOENT' });
    const backup = generation === 0 ? `${path}.bak` : this.fileOf(collection, generation - 1);
    const corrupt = (problem: string): StoreError =>
      new StoreError(`Store file ${path} is corrupt: ${problem}. It was left untouched; the last good copy is ${backup} (if present).`);
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw corrupt(`invalid JSON (${(error as Error).message})`);
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data)) throw corrupt('the top level is not an object');
    const body = data as Record<string, unknown>;
    if (body.format !== FORMAT) throw corrupt(`"format" must be "${FORMAT}"`);
    const floor = body.deletedVersionFloor ?? 0;
    if (!Number.isSafeInteger(floor) || (floor as number) < 0) throw corrupt('"deletedVersionFloor" must be an integer ≥ 0');
    const entries: [string, unknown][] = [];
    if (body.formatVersion === 1 && generation === 0) {
      // Format 1 kept records in an object keyed by record key. JSON.parse makes every key an own
      // property (even "__proto__"), so reading them through Object.entries into a Map is safe.
      if (typeof body.records !== 'object' || body.records === null || Array.isArray(body.records)) throw corrupt('"records" must be an object');
      entries.push(...Object.entries(body.records as Record<string, unknown>));
    } else if (body.formatVersion === FORMAT_VERSION) {
      if (!Array.isArray(body.records)) throw corrupt('"records" must be an array');
      for (const [index, item] of (body.records as unknown[]).entries()) {
        const entry = item as { key?: unknown } | null;
        if (typeof entry !== 'object' || entry === null || typeof entry.key !== 'string') throw corrupt(`record #${index} must have a string "key"`);
        entries.push([entry.key, entry]);
      }
    } else {
      throw corrupt(`"formatVersion" ${String(body.formatVersion)} is not supported (expected ${FORMAT_VERSION})`);
    }
    const records = new Map<string, FileRecord>();
    for (const [key, record] of entries) {
      const entry = record as Partial<FileRecord> | null;
      if (typeof entry !== 'object' || entry === null || !('value' in entry) || !('version' in entry)) {
        throw corrupt(`record "${key}" must be { "version": <integer ≥ 1>, "value": ... }`);
      }
      if (records.has(key)) throw corrupt(`record "${key}" appears twice`);
      let version: number;
      try {
        version = parseStoredVersion(entry.version, `record "${key}"`);
      } catch (error) {
        throw corrupt((error as Error).message);
      }
      try {
        // Keys inside values are checked; record keys are data in a Map and may be anything.
        assertNoPollutingKeys(entry.value, `record "${key}"`);
      } catch (error) {
        throw corrupt((error as Error).message);
      }
      records.set(key, { version, value: entry.value });
    }
    return { records, deletedVersionFloor: floor as number, generation, exists: true, stamp };
  }

  private startWatching(): void {
    if (this.watcher || this.closed || this.listeners.size === 0) return;
    try {
      this.watcher = watch(this.directory, { persistent: false }, (_event, filename) => {
        const match = filename ? DATA_FILE.exec(filename.toString()) : null;
        if (match) this.scheduleRefresh(match[1]!);
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
    if (this.listeners.size === 0 || before === after) return;
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
    return readdirSync(directory).some((name) => DATA_FILE.test(name));
  } catch {
    return false;
  }
}
