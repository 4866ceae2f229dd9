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
  /** Milliseconds between reconnection attempts of the LISTEN connection. Default 500. */
  readonly reconnectIntervalMs?: number;
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
  private listener: pg.Client | undefined;
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
    this.channel = `${this.schema}_changes`;
    this.ownsPool = !options.pool;
    this.pool = options.pool ?? new pg.Pool({ connectionString: options.connectionString, max: 10 });
    this.connectionConfig = options.connectionString
      ? { connectionString: options.connectionString }
      : ((this.pool as unknown as { options: pg.ClientConfig }).options ?? {});
    this.reconnectIntervalMs = options.reconnectIntervalMs ?? 500;
    this.name = `postgres:${this.schema}`;
    // Idle pool clients error when the server goes away; without a handler that would crash the process.
    this.pool.on('error', (error) => this.setAvailable(false, error));
  }

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
      this.setAvailable(false, error as Error);
      throw new StoreError(`PostgreSQL ${what} failed on ${this.name}: ${(error as Error).message}`, { cause: error });
    }
    let broken: Error | undefined;
    try {
      return await run(client);
    } catch (error) {
      if (error instanceof PhasegateError) throw error;
      const code = (error as { code?: string }).code;
      if (code === '42P01' || code === '3F000') {
        throw new StoreError(`PostgreSQL ${what} failed on ${this.name}: the schema is missing; call store.migrate() first`, { cause: error });
      }
      if (!code || code.startsWith('08') || code.startsWith('57')) broken = error as Error;
      throw new StoreError(`PostgreSQL ${what} failed on ${this.name}: ${(error as Error).message}`, { cause: error });
    } finally {
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
        ? client.query<{ version: number }>(
            `INSERT INTO ${this.table} (collection, key, version, value) VALUES ($1, $2, 1, $3::jsonb)
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
    const result = await this.query('delete', (client) =>
      expectedVersion === undefined
        ? client.query(`DELETE FROM ${this.table} WHERE collection = $1 AND key = $2`, [collection, key])
        : client.query(`DELETE FROM ${this.table} WHERE collection = $1 AND key = $2 AND version = $3`, [collection, key, expectedVersion]),
    );
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
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => {});
    if (this.ownsPool) await this.pool.end().catch(() => {});
  }

  /** Opens the LISTEN connection; on loss, reports the outage and retries until it is back. */
  private async listen(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client(this.connectionConfig);
    let lost = false;
    const onLost = (error?: Error): void => {
      if (lost) return;
      lost = true;
      if (this.listener === client) this.listener = undefined;
      client.end().catch(() => {});
      if (this.closed) return;
      this.setAvailable(false, error);
      this.reconnectTimer = setTimeout(() => void this.listen(), this.reconnectIntervalMs);
    };
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
      this.listener = client;
      this.setAvailable(true);
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

  private setAvailable(available: boolean, error?: Error): void {
    if (!this.closed) this.listeners.setAvailable(available, error);
  }
}
