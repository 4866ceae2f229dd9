/**
 * `phasegate/redis`: a {@link Store} on Redis through ioredis (an optional peer dependency).
 * @packageDocumentation
 */
import { Redis, type RedisOptions } from 'ioredis';
import { ClosedError, ConflictError, PhasegateError, StoreError, ValidationError } from '../errors.js';
import { StoreListeners } from '../storage/listeners.js';
import { DEFAULT_PAGE_SIZE, type ListOptions, type Store, type StoreEvent, type StoredRecord } from '../storage/store.js';
import { parseStoredVersion } from '../storage/versions.js';

// Each collection is four keys: a hash of JSON values, a hash of versions, a sorted set
// (all scores 0) of keys for lexicographic paging, and the deleted-version floor (the highest
// version of any record deleted from the collection; creates start above it so a re-created
// key never reuses a version). Scripts keep check-and-write atomic and publish the change in
// the same step, so a notification never precedes its write.
const PUT = `
local stored = redis.call('HGET', KEYS[2], ARGV[1])
local current = tonumber(stored or '0')
if stored and (current == nil or current < 1 or current ~= math.floor(current) or current >= 9007199254740991) then return {-1, 0} end
if current ~= tonumber(ARGV[2]) then return {0, current} end
local version = current + 1
if current == 0 then version = tonumber(redis.call('GET', KEYS[4]) or '0') + 1 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], version)
redis.call('ZADD', KEYS[3], 0, ARGV[1])
redis.call('PUBLISH', ARGV[4], ARGV[5] .. version)
return {1, version}
`;

const DELETE = `
local current = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if ARGV[2] ~= '' and current ~= tonumber(ARGV[2]) then return {0, current} end
if current == 0 then return {1, 0} end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
if current > tonumber(redis.call('GET', KEYS[4]) or '0') then redis.call('SET', KEYS[4], current) end
redis.call('PUBLISH', ARGV[3], ARGV[4] .. '0')
return {1, current}
`;

// One command instead of MULTI, HGET, HGET, EXEC: the value and its version read atomically.
const GET = `
return {redis.call('HGET', KEYS[1], ARGV[1]), redis.call('HGET', KEYS[2], ARGV[1])}
`;

const LIST = `
local keys = redis.call('ZRANGEBYLEX', KEYS[3], ARGV[1], ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
if #keys == 0 then return {} end
local values = redis.call('HMGET', KEYS[1], unpack(keys))
local versions = redis.call('HMGET', KEYS[2], unpack(keys))
local out = {}
for i = 1, #keys do
  out[#out + 1] = keys[i]
  out[#out + 1] = versions[i]
  out[#out + 1] = values[i]
end
return out
`;

/** Options for {@link RedisStore}. */
export interface RedisStoreOptions {
  /** An ioredis client to use (the store duplicates it for pub/sub). Give this or `url`. */
  readonly client?: Redis;
  /** A Redis URL (`redis://127.0.0.1:6379/0`); the store creates and owns its clients. */
  readonly url?: string;
  /** Extra ioredis options when the store creates the client from `url`. */
  readonly redisOptions?: RedisOptions;
  /** Prefix of every key and of the change channel. Default `phasegate`. */
  readonly prefix?: string;
}

interface Notice {
  readonly c: string;
  readonly k: string;
}

/**
 * Shared state for a fleet of app instances on Redis.
 *
 * - Versions are checked and bumped atomically in a Lua script.
 * - Every write publishes on `<prefix>:changes`, so every client's snapshot follows it.
 * - ioredis reconnects on its own; while Redis is down the store reports `available: false`
 *   (clients keep answering from their snapshot) and `available: true` once it is back,
 *   when clients resynchronise.
 *
 * @example
 * ```ts
 * import { createPhasegate } from 'phasegate';
 * import { RedisStore } from 'phasegate/redis';
 * const gate = await createPhasegate({ store: new RedisStore({ url: 'redis://127.0.0.1:6379' }) });
 * ```
 */
export class RedisStore implements Store {
  readonly name: string;
  private readonly client: Redis;
  private readonly ownsClient: boolean;
  private readonly prefix: string;
  private readonly channel: string;
  private subscriber: Redis | undefined;
  private subscription: Promise<void> = Promise.resolve();
  /** Whether the command connection is up, as far as its events say. */
  private clientUp = true;
  /** Whether the pub/sub connection is subscribed (true until it is first known to be down). */
  private subscriberUp = true;
  private readonly listeners = new StoreListeners();
  private closed = false;

  constructor(options: RedisStoreOptions) {
    if (!options.client && !options.url) throw ValidationError.because('RedisStore needs a `client` or a `url`');
    this.ownsClient = !options.client;
    this.client =
      options.client ??
      new Redis(options.url!, {
        // Fail fast while Redis is down instead of queueing writes for minutes; reads never wait on Redis anyway.
        maxRetriesPerRequest: 1,
        retryStrategy: (times) => Math.min(50 * times, 1000),
        ...options.redisOptions,
      });
    this.prefix = options.prefix ?? 'phasegate';
    this.channel = `${this.prefix}:changes`;
    this.name = `redis:${this.prefix}`;
    this.client.on('error', this.onClientError);
    this.client.on('close', this.onClientClose);
    this.client.on('ready', this.onClientReady);
    this.client.defineCommand('phasegatePut', { numberOfKeys: 4, lua: PUT });
    this.client.defineCommand('phasegateDelete', { numberOfKeys: 4, lua: DELETE });
    this.client.defineCommand('phasegateList', { numberOfKeys: 4, lua: LIST });
    this.client.defineCommand('phasegateGet', { numberOfKeys: 2, lua: GET });
  }

  private readonly onClientError = (error: Error): void => this.clientChanged(false, error);
  private readonly onClientClose = (): void => this.clientChanged(false);
  private readonly onClientReady = (): void => this.clientChanged(true);

  private keys(collection: string): [string, string, string, string] {
    const base = `${this.prefix}:${collection}`;
    return [`${base}:values`, `${base}:versions`, `${base}:keys`, `${base}:deleted-version-floor`];
  }

  private async call<T>(what: string, run: () => Promise<T>): Promise<T> {
    if (this.closed) throw new ClosedError(`${this.name} is closed`);
    try {
      return await run();
    } catch (error) {
      if (error instanceof PhasegateError) throw error;
      throw new StoreError(`Redis ${what} failed on ${this.name}: ${(error as Error).message}`, { cause: error });
    }
  }

  async get<T = unknown>(collection: string, key: string): Promise<StoredRecord<T> | undefined> {
    const [values, versions] = this.keys(collection);
    // A Lua nil ends the reply table early: a missing value comes back as [] and a missing version as [value].
    const [value, version] = await this.call('get', () => (this.client as unknown as Commands).phasegateGet(values, versions, key));
    if (value == null || version == null) return undefined;
    return { key, version: parseStoredVersion(Number(version), `Redis store ${this.name}, record ${collection}/${key}`), value: JSON.parse(value) as T };
  }

  async list<T = unknown>(collection: string, options: ListOptions = {}): Promise<StoredRecord<T>[]> {
    const limit = Math.min(options.limit ?? DEFAULT_PAGE_SIZE, DEFAULT_PAGE_SIZE);
    const { after, prefix } = options;
    let min = after === undefined ? '-' : `(${after}`;
    if (prefix && (after === undefined || after < prefix)) min = `[${prefix}`;
    // 0xFF as a raw byte (a JS string would be UTF-8 encoded to C3 BF and cut off higher keys).
    const max = prefix ? Buffer.concat([Buffer.from(`[${prefix}`), Buffer.from([0xff])]) : '+';
    const flat = await this.call('list', () =>
      (this.client as unknown as Commands).phasegateList(...this.keys(collection), min, max, String(limit)),
    );
    const records: StoredRecord<T>[] = [];
    for (let i = 0; i < flat.length; i += 3) {
      const key = flat[i]!;
      if (prefix && !key.startsWith(prefix)) continue;
      records.push({ key, version: parseStoredVersion(Number(flat[i + 1]), `Redis store ${this.name}, record ${collection}/${key}`), value: JSON.parse(flat[i + 2]!) as T });
    }
    return records;
  }

  async put<T>(collection: string, key: string, value: T, expectedVersion: number): Promise<StoredRecord<T>> {
    const json = JSON.stringify(value);
    if (json === undefined) throw new StoreError(`Cannot store ${collection}/${key}: the value is not JSON-serialisable`);
    const notice = this.notice(collection, key);
    const [ok, version] = await this.call('put', () =>
      (this.client as unknown as Commands).phasegatePut(...this.keys(collection), key, String(expectedVersion), json, this.channel, notice),
    );
    // A damaged version (not a whole number from 1 to 2^53-2) must never take part in a compare-and-set.
    if (ok === -1) throw new StoreError(`Redis store ${this.name}, record ${collection}/${key} is corrupt: its version is not a whole number from 1 to 2^53-1`);
    if (ok !== 1) throw new ConflictError(collection, key, expectedVersion, version);
    return { key, version, value: JSON.parse(json) as T };
  }

  async delete(collection: string, key: string, expectedVersion?: number): Promise<boolean> {
    const [ok, version] = await this.call('delete', () =>
      (this.client as unknown as Commands).phasegateDelete(
        ...this.keys(collection),
        key,
        expectedVersion === undefined ? '' : String(expectedVersion),
        this.channel,
        this.notice(collection, key),
      ),
    );
    if (ok !== 1) throw new ConflictError(collection, key, expectedVersion ?? 0, version);
    return version > 0;
  }

  async count(collection: string): Promise<number> {
    return this.call('count', () => this.client.hlen(this.keys(collection)[1]));
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    const remove = this.listeners.add(listener);
    this.ensureSubscriber();
    return remove;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    subscriber?.disconnect();
    if (this.ownsClient) this.client.disconnect();
    else {
      // A caller's client outlives the store: leave no listeners behind on it (they would pile up).
      this.client.removeListener('error', this.onClientError);
      this.client.removeListener('close', this.onClientClose);
      this.client.removeListener('ready', this.onClientReady);
    }
  }

  /** The message prefix; the script appends the new version. JSON then `|` then version. */
  private notice(collection: string, key: string): string {
    return `${JSON.stringify({ c: collection, k: key } satisfies Notice)}|`;
  }

  /**
   * Opens the pub/sub connection. It is watched on its own: when only it drops (a
   * `CLIENT KILL TYPE pubsub`, a proxy timeout) the store reports unavailable, and available
   * again once it has re-subscribed, so clients reload whatever was published meanwhile.
   */
  private ensureSubscriber(): void {
    if (this.subscriber || this.closed) return;
    // We re-subscribe ourselves on every 'ready', to know when the SUBSCRIBE is acknowledged
    // (ioredis's own resubscription is fire-and-forget, after it has already said 'ready').
    const subscriber = this.client.duplicate({ autoResubscribe: false });
    this.subscriber = subscriber;
    let first = true;
    let finishFirst: () => void = () => {};
    this.subscription = new Promise((resolve) => (finishFirst = resolve));
    const subscribe = (): void => {
      subscriber.subscribe(this.channel).then(
        () => {
          if (this.subscriber === subscriber) this.subscriberChanged(true);
        },
        (error: Error) => {
          if (this.subscriber === subscriber) this.subscriberChanged(false, error);
        },
      ).finally(() => {
        // The first attempt is over, subscribed or not: never keep a caller waiting on an outage.
        if (first) {
          first = false;
          finishFirst();
        }
      });
    };
    subscriber.on('error', (error: Error) => this.subscriberChanged(false, error));
    subscriber.on('close', () => this.subscriberChanged(false, new Error(`the pub/sub connection of ${this.name} closed`)));
    subscriber.on('ready', subscribe);
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      const split = message.lastIndexOf('|');
      try {
        const notice = JSON.parse(message.slice(0, split)) as Notice;
        const version = Number(message.slice(split + 1));
        this.listeners.emit({ type: 'change', collection: notice.c, key: notice.k, version });
      } catch {
        // Not one of ours: ignore foreign messages on the channel.
      }
    });
    // Redis down at start: 'ready' never comes; let `subscribed()` resolve once the first attempt fails.
    subscriber.once('error', () => {
      if (first) {
        first = false;
        finishFirst();
      }
    });
    // A duplicate of a `lazyConnect` client waits for a first command; we wait for 'ready' instead.
    if (subscriber.status === 'wait') subscriber.connect().catch(() => {});
  }

  /** Resolves once the change channel's SUBSCRIBE has been acknowledged (or the first attempt failed). */
  subscribed(): Promise<void> {
    return this.subscription;
  }

  private clientChanged(up: boolean, error?: Error): void {
    this.clientUp = up;
    this.updateAvailability(error);
  }

  private subscriberChanged(up: boolean, error?: Error): void {
    if (!this.subscriber) return;
    this.subscriberUp = up;
    this.updateAvailability(error);
  }

  /**
   * Available when commands work and, once someone subscribed, the change channel is
   * subscribed: a store that cannot notify is reported unavailable, so clients reload after.
   */
  private updateAvailability(error?: Error): void {
    if (this.closed) return;
    const available = this.clientUp && (this.subscriber === undefined || this.subscriberUp);
    this.listeners.setAvailable(available, available ? undefined : error);
  }
}

interface Commands {
  phasegatePut(...args: string[]): Promise<[number, number]>;
  phasegateDelete(...args: string[]): Promise<[number, number]>;
  phasegateList(...args: Array<string | Buffer>): Promise<string[]>;
  phasegateGet(values: string, versions: string, key: string): Promise<Array<string | null>>;
}
