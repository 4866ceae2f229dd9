import { closeSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { ClosedError, ConflictError, PhasegateError, StoreError } from '../errors.js';
import { makeDirectoriesSync } from '../storage/directories.js';
import { StoreListeners } from '../storage/listeners.js';
import { DEFAULT_PAGE_SIZE, type ListOptions, type Store, type StoreEvent, type StoredRecord } from '../storage/store.js';
import { nextVersion, parseStoredVersion } from '../storage/versions.js';

type Database = BetterSqlite3.Database;
type DatabaseConstructor = new (path: string, options?: BetterSqlite3.Options) => Database;

/** Options for {@link SqliteStore}. */
export interface SqliteStoreOptions {
  /**
   * How often, in ms, to look for other processes' writes while someone is subscribed.
   * Each look is one `PRAGMA data_version` unless something changed. Default 50.
   */
  readonly pollIntervalMs?: number;
  /** How long a write waits for another process's write transaction, in ms. Default 5000. */
  readonly busyTimeoutMs?: number;
  /**
   * How many change-log rows are kept for other processes to catch up from. A process that
   * falls further behind reports the store unavailable and available again, so its client
   * reloads everything. Default 10,000.
   */
  readonly changeLogLimit?: number;
}

const SCHEMA_VERSION = 1;

let driver: Promise<DatabaseConstructor> | undefined;

/**
 * Loads better-sqlite3 on first use, so that importing `phasegate/sqlite` never fails: it is an
 * optional peer, and {@link sqliteIsAvailable} must be able to say "not installed" instead.
 */
function loadDriver(): Promise<DatabaseConstructor> {
  driver ??= import('better-sqlite3').then(
    (module) => {
      const Database = ((module as { default?: unknown }).default ?? module) as DatabaseConstructor;
      // A package whose native binding did not build imports fine and fails on first open: find out now.
      new Database(':memory:').close();
      return Database;
    },
    (error: unknown) => {
      throw new StoreError(
        `SqliteStore needs the optional peer dependency better-sqlite3 (npm install better-sqlite3@12): ${(error as Error).message}`,
        { cause: error },
      );
    },
  );
  return driver;
}

/**
 * Whether `better-sqlite3` is installed and its native binding loads, i.e. whether a
 * {@link SqliteStore} can be opened here.
 */
export async function sqliteIsAvailable(): Promise<boolean> {
  try {
    await loadDriver();
    return true;
  } catch {
    return false;
  }
}

interface Row {
  key: string;
  version: number | bigint;
  value: string;
}

interface Change {
  seq: number;
  collection: string;
  key: string;
  version: number;
}

/**
 * The embedded store on SQLite (`better-sqlite3`, an optional peer dependency): correct under
 * concurrency by construction, for one machine and any number of processes.
 *
 * - One row per record, in WAL mode: readers never wait for writers, and a write costs one
 *   row, not a rewrite of the collection.
 * - Compare-and-set runs inside a `BEGIN IMMEDIATE` transaction: the version check and the
 *   write are one step that SQLite's own file locks serialise across processes, whatever
 *   their PID namespace. A writer that finds the database busy waits `busyTimeoutMs`.
 * - Versions never go backwards: each collection keeps the highest version it ever deleted
 *   (one number, no trace of the key) and re-created records start above it.
 * - Every write appends to a bounded change log in the same transaction; other processes
 *   poll it (cheaply, through `PRAGMA data_version`) and turn it into change events.
 * - The database, `-wal` and `-shm` files are created 0600. `secure_delete` is on and the WAL
 *   is checkpointed and truncated after a delete, so a deleted record (an email, feedback
 *   text) does not linger in the files.
 * - Every record read is checked: a value that is not JSON or a version that is not a safe
 *   integer is reported as corrupt, naming the record.
 *
 * @example
 * ```ts
 * import { createPhasegate } from 'phasegate';
 * import { SqliteStore } from 'phasegate/sqlite';
 * const gate = await createPhasegate({ store: new SqliteStore('./.phasegate/phasegate.db') });
 * ```
 */
export class SqliteStore implements Store {
  readonly name: string;
  /** The database file. */
  readonly path: string;
  private readonly pollIntervalMs: number;
  private readonly busyTimeoutMs: number;
  private readonly changeLogLimit: number;
  private readonly listeners = new StoreListeners();
  private db: Database | undefined;
  private opening: Promise<Database> | undefined;
  private statements: ReturnType<SqliteStore['prepare']> | undefined;
  private closed = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  /** The last change-log entry this process has turned into events. */
  private lastSeen = 0;
  /** Change-log entries written by this process and already emitted, not yet passed by the poller. */
  private readonly ownChanges = new Set<number>();
  private dataVersion = -1;
  /** A delete happened whose old bytes may still sit in the WAL. */
  private scrubPending = false;

  /**
   * @param path - the database file; its directory is created (0700) if missing
   * @param options - see {@link SqliteStoreOptions}
   */
  constructor(path: string, options: SqliteStoreOptions = {}) {
    this.path = resolve(path);
    this.name = `sqlite:${this.path}`;
    this.pollIntervalMs = options.pollIntervalMs ?? 50;
    this.busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    this.changeLogLimit = Math.max(100, options.changeLogLimit ?? 10_000);
  }

  async get<T = unknown>(collection: string, key: string): Promise<StoredRecord<T> | undefined> {
    const { statements } = await this.ready();
    const row = this.run('get', () => statements.get.get(collection, key) as Row | undefined);
    return row && this.toRecord<T>(collection, row);
  }

  async list<T = unknown>(collection: string, options: ListOptions = {}): Promise<StoredRecord<T>[]> {
    const { statements } = await this.ready();
    const limit = Math.max(0, Math.min(options.limit ?? DEFAULT_PAGE_SIZE, DEFAULT_PAGE_SIZE));
    const rows = this.run('list', () => {
      if (options.prefix) {
        // GLOB keeps the prefix scan on the primary key (SQLite turns a literal GLOB prefix into a range).
        const pattern = `${options.prefix.replace(/[*?[]/g, '[$&]')}*`;
        return options.after === undefined
          ? (statements.listPrefix.all(collection, pattern, limit) as Row[])
          : (statements.listPrefixAfter.all(collection, options.after, pattern, limit) as Row[]);
      }
      return options.after === undefined
        ? (statements.list.all(collection, limit) as Row[])
        : (statements.listAfter.all(collection, options.after, limit) as Row[]);
    });
    return rows.map((row) => this.toRecord<T>(collection, row));
  }

  async count(collection: string): Promise<number> {
    const { statements } = await this.ready();
    return this.run('count', () => Number((statements.count.get(collection) as { n: number }).n));
  }

  async put<T>(collection: string, key: string, value: T, expectedVersion: number): Promise<StoredRecord<T>> {
    const json = JSON.stringify(value);
    if (json === undefined) throw new StoreError(`Cannot store ${collection}/${key}: the value is not JSON-serialisable`);
    const { db, statements } = await this.ready();
    const { version, seq } = this.run('put', () =>
      db
        .transaction(() => {
          const current = statements.version.get(collection, key) as { version: number | bigint } | undefined;
          const actual = current === undefined ? 0 : parseStoredVersion(current.version, this.where(collection, key));
          if (actual !== expectedVersion) throw new ConflictError(collection, key, expectedVersion, actual);
          const base = actual === 0 ? this.floorOf(collection) : actual;
          const version = nextVersion(base, this.where(collection, key));
          statements.upsert.run(collection, key, version, json);
          return { version, seq: this.logChange(collection, key, version) };
        })
        .immediate(),
    );
    this.emitOwn(seq, { type: 'change', collection, key, version });
    return { key, version, value: JSON.parse(json) as T };
  }

  async delete(collection: string, key: string, expectedVersion?: number): Promise<boolean> {
    const { db, statements } = await this.ready();
    const seq = this.run('delete', () =>
      db
        .transaction(() => {
          const current = statements.version.get(collection, key) as { version: number | bigint } | undefined;
          const actual = current === undefined ? 0 : parseStoredVersion(current.version, this.where(collection, key));
          if (expectedVersion !== undefined && actual !== expectedVersion) throw new ConflictError(collection, key, expectedVersion, actual);
          if (current === undefined) return undefined;
          statements.remove.run(collection, key);
          // Remember the highest version deleted, so a re-created record starts above it.
          statements.raiseFloor.run(collection, actual);
          return this.logChange(collection, key, 0);
        })
        .immediate(),
    );
    if (seq === undefined) return false;
    this.scrubPending = true;
    this.scrub();
    this.emitOwn(seq, { type: 'change', collection, key, version: 0 });
    return true;
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    const remove = this.listeners.add(listener);
    this.polling ??= this.ready().then(
      ({ statements }) => {
        this.lastSeen = Number((statements.lastChange.get() as { seq: number | null }).seq ?? 0);
        this.dataVersion = this.readDataVersion();
        this.schedulePoll();
      },
      (error: unknown) => this.listeners.setAvailable(false, error as Error),
    );
    return () => {
      remove();
      if (this.listeners.size === 0) this.stopPolling();
    };
  }

  /** Resolves once the database is open and polling for other processes' writes has started. */
  subscribed(): Promise<void> {
    return this.polling ?? Promise.resolve();
  }

  /**
   * Closes the database. Any deleted bytes still in the WAL are checkpointed away first
   * (best effort: another process reading at that moment can delay it to its own close).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopPolling();
    this.listeners.clear();
    const db = this.db ?? (await this.opening?.catch(() => undefined));
    if (!db) return;
    try {
      if (this.scrubPending) db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // Best effort: the next writer that deletes, or the last connection to close, truncates the WAL.
    }
    db.close();
  }

  // ---- internals ------------------------------------------------------------------------------

  private async ready(): Promise<{ db: Database; statements: NonNullable<SqliteStore['statements']> }> {
    if (this.closed) throw new ClosedError(`${this.name} is closed`);
    if (!this.db) {
      this.opening ??= this.open();
      try {
        await this.opening;
      } catch (error) {
        this.opening = undefined;
        throw error;
      }
      if (this.closed) throw new ClosedError(`${this.name} is closed`);
    }
    return { db: this.db!, statements: this.statements! };
  }

  private async open(): Promise<Database> {
    const Database = await loadDriver();
    let db: Database | undefined;
    try {
      makeDirectoriesSync(dirname(this.path), 0o700);
      // Create the file 0600 ourselves: SQLite gives -wal and -shm the mode of the database file.
      try {
        closeSync(openSync(this.path, 'wx', 0o600));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      db = new Database(this.path, { timeout: this.busyTimeoutMs });
      db.pragma(`busy_timeout = ${Math.max(0, Math.floor(this.busyTimeoutMs))}`);
      // Deleted rows and freed pages are overwritten with zeros, so removed data does not linger.
      db.pragma('secure_delete = ON');
      // Acknowledged writes survive a power cut (WAL with NORMAL may lose the last ones).
      db.pragma('synchronous = FULL');
      if (String(db.pragma('journal_mode = WAL', { simple: true })).toLowerCase() !== 'wal') {
        throw new StoreError(`${this.name}: the database cannot use WAL mode (is it on a network filesystem?)`);
      }
      this.migrate(db);
      const statements = this.prepare(db);
      if (this.closed) throw new ClosedError(`${this.name} is closed`);
      this.db = db;
      this.statements = statements;
      return db;
    } catch (error) {
      if (db?.open) db.close();
      if (error instanceof PhasegateError) throw error;
      throw new StoreError(`Cannot open ${this.name}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Creates the tables if missing; refuses a database written by a newer schema. */
  private migrate(db: Database): void {
    db.transaction(() => {
      db.exec(`
        CREATE TABLE IF NOT EXISTS phasegate_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS records (
          collection TEXT NOT NULL,
          key TEXT NOT NULL,
          version INTEGER NOT NULL,
          value TEXT NOT NULL,
          PRIMARY KEY (collection, key)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS deleted_floors (collection TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS changes (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          collection TEXT NOT NULL,
          key TEXT NOT NULL,
          version INTEGER NOT NULL
        );
      `);
      const row = db.prepare(`SELECT value FROM phasegate_meta WHERE name = 'schema'`).get() as { value: string } | undefined;
      if (row === undefined) db.prepare(`INSERT INTO phasegate_meta (name, value) VALUES ('schema', ?)`).run(String(SCHEMA_VERSION));
      else if (Number(row.value) !== SCHEMA_VERSION) {
        throw new StoreError(`${this.name} has schema version ${row.value}; this phasegate reads version ${SCHEMA_VERSION}`);
      }
    }).immediate();
  }

  private prepare(db: Database) {
    const select = 'SELECT key, version, value FROM records WHERE collection = ?';
    const statements = {
      get: db.prepare('SELECT key, version, value FROM records WHERE collection = ? AND key = ?'),
      version: db.prepare('SELECT version FROM records WHERE collection = ? AND key = ?'),
      list: db.prepare(`${select} ORDER BY key LIMIT ?`),
      listAfter: db.prepare(`${select} AND key > ? ORDER BY key LIMIT ?`),
      listPrefix: db.prepare(`${select} AND key GLOB ? ORDER BY key LIMIT ?`),
      listPrefixAfter: db.prepare(`${select} AND key > ? AND key GLOB ? ORDER BY key LIMIT ?`),
      count: db.prepare('SELECT count(*) AS n FROM records WHERE collection = ?'),
      upsert: db.prepare(
        'INSERT INTO records (collection, key, version, value) VALUES (?, ?, ?, ?) ON CONFLICT (collection, key) DO UPDATE SET version = excluded.version, value = excluded.value',
      ),
      remove: db.prepare('DELETE FROM records WHERE collection = ? AND key = ?'),
      floor: db.prepare('SELECT version FROM deleted_floors WHERE collection = ?'),
      raiseFloor: db.prepare(
        'INSERT INTO deleted_floors (collection, version) VALUES (?, ?) ON CONFLICT (collection) DO UPDATE SET version = max(version, excluded.version)',
      ),
      logChange: db.prepare('INSERT INTO changes (collection, key, version) VALUES (?, ?, ?)'),
      pruneChanges: db.prepare('DELETE FROM changes WHERE seq <= ?'),
      lastChange: db.prepare('SELECT max(seq) AS seq FROM changes'),
      firstChange: db.prepare('SELECT min(seq) AS seq FROM changes'),
      changesAfter: db.prepare('SELECT seq, collection, key, version FROM changes WHERE seq > ? ORDER BY seq LIMIT 1000'),
    };
    // Versions come back as bigint, so a corrupt 2^63 is seen as what it is, not rounded into range.
    for (const statement of [statements.get, statements.version, statements.list, statements.listAfter, statements.listPrefix, statements.listPrefixAfter, statements.floor]) {
      statement.safeIntegers(true);
    }
    return statements;
  }

  private floorOf(collection: string): number {
    const row = this.statements!.floor.get(collection) as { version: number | bigint } | undefined;
    return row === undefined ? 0 : parseStoredVersion(row.version, `${this.name}, the deleted-version floor of ${collection}`);
  }

  /** Appends to the change log (inside the caller's transaction) and prunes it to its bound. */
  private logChange(collection: string, key: string, version: number): number {
    const seq = Number(this.statements!.logChange.run(collection, key, version).lastInsertRowid);
    if (seq > this.changeLogLimit) this.statements!.pruneChanges.run(seq - this.changeLogLimit);
    return seq;
  }

  private where(collection: string, key: string): string {
    return `${this.name}, record ${collection}/${key}`;
  }

  private toRecord<T>(collection: string, row: Row): StoredRecord<T> {
    const version = parseStoredVersion(row.version, this.where(collection, row.key));
    let value: T;
    try {
      if (typeof row.value !== 'string') throw new Error(`the value is a ${typeof row.value}, not JSON text`);
      value = JSON.parse(row.value) as T;
    } catch (error) {
      throw new StoreError(`${this.where(collection, row.key)} is corrupt: ${(error as Error).message}`);
    }
    return { key: row.key, version, value };
  }

  /** Runs a synchronous database call, turning driver errors into a {@link StoreError}. */
  private run<T>(what: string, call: () => T): T {
    try {
      return call();
    } catch (error) {
      if (error instanceof PhasegateError) throw error;
      throw new StoreError(`SQLite ${what} failed on ${this.name}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Emits a change this process made, and remembers it so the poller does not emit it again. */
  private emitOwn(seq: number, event: StoreEvent): void {
    if (this.pollTimer !== undefined || this.polling !== undefined) {
      if (seq === this.lastSeen + 1 && this.ownChanges.size === 0) this.lastSeen = seq;
      else this.ownChanges.add(seq);
    }
    this.listeners.emit(event);
  }

  /** Truncates the WAL so the old bytes of deleted records leave the files; retried until it succeeds. */
  private scrub(): void {
    if (!this.scrubPending || !this.db) return;
    try {
      const [result] = this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      if (result?.busy === 0) this.scrubPending = false;
    } catch {
      // Another process holds the database: try again on the next poll, delete or close.
    }
  }

  private readDataVersion(): number {
    return Number(this.db!.pragma('data_version', { simple: true }));
  }

  private schedulePoll(): void {
    if (this.closed || this.listeners.size === 0) return;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      this.poll();
      this.schedulePoll();
    }, this.pollIntervalMs);
    this.pollTimer.unref();
  }

  private stopPolling(): void {
    clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    this.polling = undefined;
    this.ownChanges.clear();
  }

  /** Reads the change log past what this process has seen and emits other processes' changes. */
  private poll(): void {
    if (this.closed || !this.db) return;
    try {
      if (this.scrubPending) this.scrub();
      const dataVersion = this.readDataVersion();
      // data_version only moves when another connection committed: nothing to read otherwise.
      if (dataVersion === this.dataVersion && this.ownChanges.size === 0) {
        this.listeners.setAvailable(true);
        return;
      }
      this.dataVersion = dataVersion;
      const statements = this.statements!;
      const first = Number((statements.firstChange.get() as { seq: number | null }).seq ?? 0);
      const last = Number((statements.lastChange.get() as { seq: number | null }).seq ?? 0);
      if ((first > this.lastSeen + 1 && last > this.lastSeen) || last < this.lastSeen) {
        // We fell behind the bounded log (or the file was replaced): changes were missed. An outage
        // and a recovery make every client reload in full, which heals whatever was missed.
        this.lastSeen = last;
        this.ownChanges.clear();
        this.listeners.setAvailable(false, new StoreError(`${this.name}: missed changes (the change log moved past this process)`));
        this.listeners.setAvailable(true);
        return;
      }
      for (;;) {
        const changes = statements.changesAfter.all(this.lastSeen) as Change[];
        for (const change of changes) {
          this.lastSeen = change.seq;
          if (this.ownChanges.delete(change.seq)) continue;
          this.listeners.emit({ type: 'change', collection: change.collection, key: change.key, version: change.version });
        }
        if (changes.length < 1000) break;
      }
      // Own writes made before polling started (or already passed) need no further tracking.
      for (const seq of this.ownChanges) if (seq <= this.lastSeen) this.ownChanges.delete(seq);
      this.listeners.setAvailable(true);
    } catch (error) {
      this.listeners.setAvailable(false, error as Error);
    }
  }
}
