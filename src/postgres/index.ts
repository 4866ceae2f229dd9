/**
 * `phasegate/postgres`: a {@link Store} on PostgreSQL through `pg` (an optional peer dependency).
 * @packageDocumentation
 */
import pg from 'pg';
import { ClosedError, ConflictError, PhasegateError, StoreError, ValidationError } from '../errors.js';
import { StoreListeners } from '../storage/listeners.js';
import { DEFAULT_PAGE_SIZE, type ListOptions, type Store, type StoreEvent, type StoredRecord } from '../storage/store.js';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Options for {@link PostgresStore}. */
export interface PostgresStoreOptions {
  /** A `pg.Pool` to use (not ended by `close()`). Give this or `connectionString`. */
  readonly pool?: pg.Pool;
  /** A connection string; the store creates and owns its pool. */
  readonly connectionString?: string;
  /** Schema holding phasegate's table. Default `phasegate`. */
  readonly schema?: string;
  /**
   * Milliseconds before the first reconnection attempt of the LISTEN connection (and of the
   * health check after a lost pool connection). Each failed attempt doubles the wait, up to
   * `maxReconnectIntervalMs`, with random jitter so a fleet does not reconnect in lockstep.
   * Default 500.
   */
  readonly reconnectIntervalMs?: number;
  /** The longest wait between reconnection attempts, ms. Default 5000. */
  readonly maxReconnectIntervalMs?: number;
}

/**
 * Shared state for a fleet of app instances on PostgreSQL.
 *
 * - Call {@link PostgresStore.migrate} once (at deploy time, or at start-up) to create the schema.
 * - Versions are checked in the UPDATE's WHERE clause: a stale writer updates no row and gets a
 *   `ConflictError`.
 * - A trigger sends `NOTIFY` on every change, whoever makes it; a dedicated connection
 *   `LISTEN`s and reconnects on its own. While the server is down the store reports
 *   `available: false` (clients keep answering from their snapshot) and `available: true`
 *   once it is back, when clients resynchronise.
 *
 * @example
 * ```ts
 * import { PostgresStore } from 'phasegate/postgres';
 * const store = new PostgresStore({ connectionString: process.env.DATABASE_URL });
 * await store.migrate();
 * const gate = await createPhasegate({ store });
 * ```
 */
export class PostgresStore implements Store {
  readonly name: string;
  private readonly pool: pg.Pool;
  private readonly ownsPool: boolean;
  private readonly schema: string;
  private readonly table: string;
  private readonly channel: string;
  private readonly connectionConfig: pg.ClientConfig;
  private readonly reconnectIntervalMs: number;
  private readonly maxReconnectIntervalMs: number;
  private readonly floors: string;
  private listener: pg.Client | undefined;
  /** Failed LISTEN attempts in a row (for the backoff). */
  private listenFailures = 0;
  /** Whether pool connections work, as far as the last query or health check knows. */
  private poolUp = true;
  private probeTimer: NodeJS.Timeout | undefined;
  private probeFailures = 0;
  private listening = false;
  private firstListen: Promise<void> = Promise.resolve();
  private firstListenDone: (() => void) | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly listeners = new StoreListeners();
  private closed = false;

  constructor(options: PostgresStoreOptions) {
    if (!options.pool && !options.connectionString) {
      throw ValidationError.because('PostgresStore needs a `pool` or a `connectionString`');
    }
    this.schema = options.schema ?? 'phasegate';
    if (!IDENTIFIER.test(this.schema)) {
      throw new ValidationError('PostgresStore options', [{ path: 'schema', message: 'must be a lowercase SQL identifier' }]);
    }
    this.table = `"${this.schema}".records`;
    this.floors = `"${this.schema}".deleted_version_floors`;
    this.channel = `${this.schema}_changes`;
    this.ownsPool = !options.pool;
    // A bounded wait for a connection: with an unreachable server, writes fail with a StoreError
    // after 10 s instead of waiting for the operating system's TCP timeout (minutes).
    this.pool = options.pool ?? new pg.Pool({ connectionString: options.connectionString, max: 10, connectionTimeoutMillis: 10_000 });
    this.connectionConfig = options.connectionString
      ? { connectionString: options.connectionString }
      : ((this.pool as unknown as { options: pg.ClientConfig }).options ?? {});
    this.reconnectIntervalMs = options.reconnectIntervalMs ?? 500;
    this.maxReconnectIntervalMs = Math.max(options.maxReconnectIntervalMs ?? 5000, this.reconnectIntervalMs);
    this.name = `postgres:${this.schema}`;
    // Idle pool clients error when the server goes away; without a handler that would crash the
    // process. Checked-out clients get their own handler in `query`.
    this.pool.on('error', this.onPoolError);
  }

  private readonly onPoolError = (error: Error): void => this.poolFailed(error);

  /**
   * Creates the schema, table, index and notification trigger if they do not exist.
   * Safe to run concurrently and repeatedly.
   */
  async migrate(): Promise<void> {
    await this.query('migrate', async (client) => {
      await client.query('BEGIN');
      try {
        // Serialise concurrent migrations (two instances starting at once).
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`phasegate-migrate:${this.schema}`]);
        await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
        await client.query(`
          CREATE TABLE IF NOT EXISTS ${this.table} (
            collection text COLLATE "C" NOT NULL,
            key text COLLATE "C" NOT NULL,
            version integer NOT NULL CHECK (version >= 1),
            value jsonb NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (collection, key)
          )`);
        // Per collection, the highest version of any deleted record: creates start above it, so a
        // re-created key never reuses a version (the Store contract) and no deleted key is kept.
        const floorsExisted = await client.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [this.floors]);
        await client.query(`
          CREATE TABLE IF NOT EXISTS ${this.floors} (
            collection text COLLATE "C" PRIMARY KEY,
            deleted_version_floor integer NOT NULL DEFAULT 0 CHECK (deleted_version_floor >= 0)
          )`);
        // Every collection holding records has its floor row (creates and deletes lock it): fill it
        // in once, when upgrading a table from before the floor existed.
        if (!floorsExisted.rows[0]?.exists) {
          await client.query(`INSERT INTO ${this.floors} (collection) SELECT DISTINCT collection FROM ${this.table} ON CONFLICT DO NOTHING`);
        }
        await client.query(`
          CREATE OR REPLACE FUNCTION "${this.schema}".notify_change() RETURNS trigger AS $$
          BEGIN
            IF TG_OP = 'DELETE' THEN
              PERFORM pg_notify('${this.channel}', json_build_object('c', OLD.collection, 'k', OLD.key, 'v', 0)::text);
              RETURN OLD;
            END IF;
            PERFORM pg_notify('${this.channel}', json_build_object('c', NEW.collection, 'k', NEW.key, 'v', NEW.version)::text);
            RETURN NEW;
          END;
          $$ LANGUAGE plpgsql`);
        await client.query(`DROP TRIGGER IF EXISTS records_notify ON ${this.table}`);
        await client.query(
          `CREATE TRIGGER records_notify AFTER INSERT OR UPDATE OR DELETE ON ${this.table} FOR EACH ROW EXECUTE FUNCTION "${this.schema}".notify_change()`,
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      }
    });
  }

  private async query<T>(what: string, run: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    if (this.closed) throw new ClosedError(`${this.name} is closed`);
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      this.poolFailed(error as Error);
      throw new StoreError(`PostgreSQL ${what} failed on ${this.name}: ${(error as Error).message}`, { cause: error });
    }
    // node-postgres: a checked-out client whose server goes away (restart, failover,
    // pg_terminate_backend) emits 'error', and an 'error' event without a listener kills the
    // process. The pool listens only while the client is idle, so listen while it is ours.
    let broken: Error | undefined;
    const onError = (error: Error): void => {
      broken = error;
    };
    client.on('error', onError);
    try {
      const result = await run(client);
      if (!broken) this.poolRecovered();
      return result;
    } catch (error) {
      if (error instanceof PhasegateError) throw error;
      const code = (error as { code?: string }).code;
      if (code === '42P01' || code === '3F000') {
        throw new StoreError(`PostgreSQL ${what} failed on ${this.name}: the schema is missing; call store.migrate() first`, { cause: error });
      }
      if (!code || code.startsWith('08') || code.startsWith('57')) broken ??= error as Error;
      if (broken) this.poolFailed(broken);
      throw new StoreError(`PostgreSQL ${what} failed on ${this.name}: ${(error as Error).message}`, { cause: error });
    } finally {
      client.removeListener('error', onError);
      // A broken client is destroyed instead of going back to the pool.
      client.release(broken);
    }
  }

  async get<T = unknown>(collection: string, key: string): Promise<StoredRecord<T> | undefined> {
    const result = await this.query('get', (client) =>
      client.query<{ version: number; value: T }>(`SELECT version, value FROM ${this.table} WHERE collection = $1 AND key = $2`, [collection, key]),
    );
    const row = result.rows[0];
    return row && { key, version: row.version, value: row.value };
  }

  async list<T = unknown>(collection: string, options: ListOptions = {}): Promise<StoredRecord<T>[]> {
    const limit = Math.min(options.limit ?? DEFAULT_PAGE_SIZE, DEFAULT_PAGE_SIZE);
    const conditions = ['collection = $1'];
    const parameters: unknown[] = [collection];
    if (options.after !== undefined) {
      parameters.push(options.after);
      conditions.push(`key > $${parameters.length}`);
    }
    if (options.prefix) {
      parameters.push(options.prefix);
      conditions.push(`starts_with(key, $${parameters.length})`);
    }
    parameters.push(limit);
    const result = await this.query('list', (client) =>
      client.query<{ key: string; version: number; value: T }>(
        `SELECT key, version, value FROM ${this.table} WHERE ${conditions.join(' AND ')} ORDER BY key LIMIT $${parameters.length}`,
        parameters,
      ),
    );
    return result.rows.map((row) => ({ key: row.key, version: row.version, value: row.value }));
  }

  async put<T>(collection: string, key: string, value: T, expectedVersion: number): Promise<StoredRecord<T>> {
    const json = JSON.stringify(value);
    if (json === undefined) throw new StoreError(`Cannot store ${collection}/${key}: the value is not JSON-serialisable`);
    const result = await this.query('put', (client) =>
      expectedVersion === 0
        ? // A create starts above the collection's deleted-version floor. KEY SHARE on the floor row
          // waits for a delete in progress (which holds it FOR UPDATE) and then reads the floor it
          // raised, so a key deleted and re-created concurrently still gets a higher version.
          // The first create of a collection inserts the floor row (nothing was deleted yet).
          client.query<{ version: number }>(
            `WITH ensure AS (
               INSERT INTO ${this.floors} (collection) VALUES ($1) ON CONFLICT DO NOTHING
             ), floor AS (
               SELECT deleted_version_floor AS value FROM ${this.floors} WHERE collection = $1 FOR KEY SHARE
             )
             INSERT INTO ${this.table} (collection, key, version, value)
             VALUES ($1, $2, COALESCE((SELECT value FROM floor), 0) + 1, $3::jsonb)
             ON CONFLICT (collection, key) DO NOTHING RETURNING version`,
            [collection, key, json],
          )
        : client.query<{ version: number }>(
            `UPDATE ${this.table} SET value = $3::jsonb, version = version + 1, updated_at = now()
             WHERE collection = $1 AND key = $2 AND version = $4 RETURNING version`,
            [collection, key, json, expectedVersion],
          ),
    );
    const row = result.rows[0];
    if (!row) throw new ConflictError(collection, key, expectedVersion, await this.versionOf(collection, key));
    return { key, version: row.version, value: JSON.parse(json) as T };
  }

  async delete(collection: string, key: string, expectedVersion?: number): Promise<boolean> {
    const result = await this.query('delete', async (client) => {
      await client.query('BEGIN');
      try {
        // Lock the floor row before the record (creates take it first too: no deadlock), then
        // delete and raise the floor to the deleted version in one statement.
        await client.query(`INSERT INTO ${this.floors} (collection) VALUES ($1) ON CONFLICT DO NOTHING`, [collection]);
        await client.query(`SELECT 1 FROM ${this.floors} WHERE collection = $1 FOR UPDATE`, [collection]);
        const deleted = await client.query<{ version: number }>(
          `WITH gone AS (
             DELETE FROM ${this.table} WHERE collection = $1 AND key = $2 ${expectedVersion === undefined ? '' : 'AND version = $3'}
             RETURNING version
           )
           UPDATE ${this.floors} SET deleted_version_floor = GREATEST(deleted_version_floor, gone.version)
           FROM gone WHERE ${this.floors}.collection = $1 RETURNING gone.version`,
          expectedVersion === undefined ? [collection, key] : [collection, key, expectedVersion],
        );
        await client.query('COMMIT');
        return deleted;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      }
    });
    if (result.rowCount === 0 && expectedVersion !== undefined) {
      throw new ConflictError(collection, key, expectedVersion, await this.versionOf(collection, key));
    }
    return (result.rowCount ?? 0) > 0;
  }

  async count(collection: string): Promise<number> {
    const result = await this.query('count', (client) =>
      client.query<{ count: string }>(`SELECT count(*) AS count FROM ${this.table} WHERE collection = $1`, [collection]),
    );
    return Number(result.rows[0]?.count ?? 0);
  }

  private async versionOf(collection: string, key: string): Promise<number> {
    return (await this.get(collection, key))?.version ?? 0;
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    const remove = this.listeners.add(listener);
    if (!this.listening) {
      this.listening = true;
      this.firstListen = new Promise((resolve) => (this.firstListenDone = resolve));
      void this.listen();
    }
    return remove;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.probeTimer);
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => {});
    if (this.ownsPool) await this.pool.end().catch(() => {});
    // A caller's pool outlives the store: leave no listener behind on it (they would pile up).
    else this.pool.removeListener('error', this.onPoolError);
  }

  /**
   * Opens the LISTEN connection; on loss, reports the store unavailable and retries with
   * backoff. Once LISTEN is back (and pool connections work) the store reports available, and
   * clients reload: whatever changed while nobody was listening is picked up then.
   */
  private async listen(): Promise<void> {
    if (this.closed) return;
    // TCP keepalive: a LISTEN connection is idle for long stretches, and without it a silently
    // vanished server (a failover behind a load balancer) would never be noticed (the periodic
    // resync of clients covers the minutes the operating system takes to give up on it).
    const client = new pg.Client({ keepAlive: true, keepAliveInitialDelayMillis: 10_000, connectionTimeoutMillis: 10_000, ...this.connectionConfig });
    let lost = false;
    const onLost = (error?: Error): void => {
      if (lost) return;
      lost = true;
      if (this.listener === client) this.listener = undefined;
      client.end().catch(() => {});
      if (this.closed) return;
      this.updateAvailability(error ?? new Error(`the LISTEN connection of ${this.name} closed`));
      this.listenFailures++;
      // Not unref'd: a subscribed store keeps trying until close(), as before.
      this.reconnectTimer = setTimeout(() => void this.listen(), this.backoff(this.listenFailures));
    };
    // Stays attached for the client's whole life: a late 'error' (after end()) must not crash the host.
    client.on('error', (error) => onLost(error));
    client.on('end', () => onLost());
    client.on('notification', (message) => {
      if (message.channel !== this.channel || !message.payload) return;
      try {
        const notice = JSON.parse(message.payload) as { c: string; k: string; v: number };
        this.listeners.emit({ type: 'change', collection: notice.c, key: notice.k, version: notice.v });
      } catch {
        // Not one of ours.
      }
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel}"`);
      if (this.closed) {
        await client.end();
        return;
      }
      if (lost) return;
      this.listener = client;
      this.listenFailures = 0;
      this.updateAvailability();
      // The server is back: check the pool now rather than at the health check's next turn.
      if (!this.poolUp) this.query('health check', (pool) => pool.query('SELECT 1')).catch(() => {});
    } catch (error) {
      onLost(error as Error);
    } finally {
      // The first attempt is over, LISTEN or not: never keep a caller waiting on an outage.
      this.firstListenDone?.();
      this.firstListenDone = undefined;
    }
  }

  /** Resolves once the first LISTEN attempt has finished (normally: notifications are flowing). */
  subscribed(): Promise<void> {
    return this.firstListen;
  }

  /** The wait before reconnection attempt `attempt` (1-based): doubling, capped, jittered. */
  private backoff(attempt: number): number {
    const ceiling = Math.min(this.reconnectIntervalMs * 2 ** Math.min(attempt - 1, 20), this.maxReconnectIntervalMs);
    // Between half and all of the ceiling, so a fleet of instances spreads its reconnections.
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  }

  /** A pool connection failed: unavailable until a query or the health check succeeds. */
  private poolFailed(error: Error): void {
    if (this.closed) return;
    this.poolUp = false;
    this.updateAvailability(error);
    this.scheduleProbe();
  }

  private poolRecovered(): void {
    if (this.poolUp || this.closed) return;
    this.poolUp = true;
    this.probeFailures = 0;
    clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    this.updateAvailability();
  }

  /**
   * While pool connections fail, checks with `SELECT 1` (with backoff) so availability comes
   * back even when the app makes no query of its own (a read-only app evaluates from its snapshot).
   */
  private scheduleProbe(): void {
    if (this.probeTimer || this.closed) return;
    this.probeFailures++;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      if (this.closed || this.poolUp) return;
      this.query('health check', (client) => client.query('SELECT 1')).catch(() => this.scheduleProbe());
    }, this.backoff(this.probeFailures));
    // Auxiliary: a script that forgot close() must not be kept alive by health checks.
    this.probeTimer.unref?.();
  }

  /**
   * Available when pool connections work and, once someone subscribed, LISTEN is in place: a
   * store that cannot notify is reported unavailable, so clients reload when it can again.
   */
  private updateAvailability(error?: Error): void {
    if (this.closed) return;
    const available = this.poolUp && (!this.listening || this.listener !== undefined);
    this.listeners.setAvailable(available, available ? undefined : error);
  }
}
