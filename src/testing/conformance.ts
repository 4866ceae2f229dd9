import { ConflictError } from '../errors.js';
import type { Store, StoreChange, StoreEvent } from '../storage/store.js';

/** The test functions the suite registers with: vitest's or jest's. */
export interface TestApi {
  describe: (name: string, body: () => void) => void;
  it: (name: string, body: () => Promise<void> | void, timeout?: number) => void;
  expect: (value: unknown) => any;
  afterEach: (body: () => Promise<void> | void) => void;
}

/** Options for {@link runStorageConformance}. */
export interface StorageConformanceOptions {
  /** vitest's or jest's functions. Default: the globals (`describe`, `it`, `expect`, `afterEach`). */
  readonly test?: TestApi;
  /**
   * Whether two stores from the factory share data, like two app instances on one
   * Redis. Enables the cross-instance notification tests. Default `false`.
   */
  readonly shared?: boolean;
  /** How long to wait for a change notification, ms. Default 2000. */
  readonly notificationTimeoutMs?: number;
  /** A name for the describe block. */
  readonly name?: string;
  /**
   * Overwrites a record's stored version behind the store's back (raw SQL, a hand edit of the
   * file, a raw Redis command), as damage would. Enables the tests that a version which is not
   * a safe integer is refused on read as a corrupt record named by its key.
   */
  readonly corruptVersion?: (store: Store, collection: string, key: string, version: number) => Promise<void>;
}

/** Ids that are also names of `Object.prototype` members: user-chosen ids may be any of these. */
export const PROTOTYPE_NAMED_IDS: readonly string[] = [
  'constructor',
  'prototype',
  '__proto__',
  'hasOwnProperty',
  'toString',
  'valueOf',
  'isPrototypeOf',
  '__defineGetter__',
];

function resolveTestApi(given: TestApi | undefined): TestApi {
  if (given) return given;
  const globals = globalThis as unknown as Partial<TestApi>;
  if (globals.describe && globals.it && globals.expect && globals.afterEach) return globals as TestApi;
  throw new Error(
    "runStorageConformance: no test functions found. Pass them: runStorageConformance(factory, { test: { describe, it, expect, afterEach } }) with the functions imported from 'vitest', or enable vitest's `globals`.",
  );
}

let collectionCounter = 0;
/** A collection name no other test uses, so suites need no cleanup between tests. */
function freshCollection(): string {
  collectionCounter++;
  return `conformance-${Date.now().toString(36)}-${process.pid}-${collectionCounter}`;
}

async function waitFor<T>(events: T[], predicate: (event: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = events.find(predicate);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function expectConflict(promise: Promise<unknown>, what: string): Promise<ConflictError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ConflictError || (error as { code?: unknown })?.code === 'CONFLICT') return error as ConflictError;
    throw new Error(`${what}: expected a ConflictError, got ${String(error)}`);
  }
  throw new Error(`${what}: expected a ConflictError, but the write succeeded`);
}

/**
 * Registers the storage adapter conformance suite: every behaviour the `Store`
 * contract promises (docs/storage.md). Call it from a test file with a factory that
 * returns a ready store; each store made is closed after its test.
 *
 * @example
 * ```ts
 * import { describe, it, expect, afterEach } from 'vitest';
 * import { runStorageConformance } from 'phasegate/testing';
 * runStorageConformance(() => new MyStore(), { test: { describe, it, expect, afterEach } });
 * ```
 */
export function runStorageConformance(factory: () => Store | Promise<Store>, options: StorageConformanceOptions = {}): void {
  const { describe, it, expect, afterEach } = resolveTestApi(options.test);
  const timeout = options.notificationTimeoutMs ?? 2000;
  const opened: Store[] = [];
  const open = async (): Promise<Store> => {
    const store = await factory();
    opened.push(store);
    return store;
  };

  describe(options.name ?? 'storage adapter conformance', () => {
    afterEach(async () => {
      const stores = opened.splice(0);
      await Promise.all(stores.map((store) => store.close().catch(() => {})));
    });

    it('returns undefined for a missing record and 0 for an empty collection', async () => {
      const store = await open();
      const collection = freshCollection();
      expect(await store.get(collection, 'missing')).toBe(undefined);
      expect(await store.list(collection)).toEqual([]);
      expect(await store.count(collection)).toBe(0);
    });

    it('creates with expected version 0 and reads back a copy', async () => {
      const store = await open();
      const collection = freshCollection();
      const value = { name: 'Zoë', nested: { list: [1, 2.5, null, true, 'x'], empty: {} }, emoji: '🚀' };
      const written = await store.put(collection, 'a', value, 0);
      expect(written).toEqual({ key: 'a', version: 1, value });
      value.nested.list.push(99);
      expect(await store.get(collection, 'a')).toEqual({
        key: 'a',
        version: 1,
        value: { name: 'Zoë', nested: { list: [1, 2.5, null, true, 'x'], empty: {} }, emoji: '🚀' },
      });
      const read = (await store.get<{ name: string }>(collection, 'a'))!;
      read.value.name = 'changed';
      expect((await store.get<{ name: string }>(collection, 'a'))!.value.name).toBe('Zoë');
    });

    it('increments the version by one on every write', async () => {
      const store = await open();
      const collection = freshCollection();
      for (let version = 1; version <= 5; version++) {
        const record = await store.put(collection, 'k', { n: version }, version - 1);
        expect(record.version).toBe(version);
      }
      expect(await store.get(collection, 'k')).toEqual({ key: 'k', version: 5, value: { n: 5 } });
    });

    it('rejects a stale write with a ConflictError and keeps the stored value', async () => {
      const store = await open();
      const collection = freshCollection();
      await store.put(collection, 'k', { n: 1 }, 0);
      await store.put(collection, 'k', { n: 2 }, 1);
      const stale = await expectConflict(store.put(collection, 'k', { n: 'stale' }, 1), 'stale put');
      expect([stale.expectedVersion, stale.actualVersion]).toEqual([1, 2]);
      await expectConflict(store.put(collection, 'k', { n: 'dup' }, 0), 'create over an existing record');
      await expectConflict(store.put(collection, 'new', { n: 1 }, 3), 'update of a missing record');
      expect(await store.get(collection, 'k')).toEqual({ key: 'k', version: 2, value: { n: 2 } });
      expect(await store.get(collection, 'new')).toBe(undefined);
    });

    it('lets exactly one of many concurrent writers with the same version win', async () => {
      const store = await open();
      const collection = freshCollection();
      await store.put(collection, 'k', { winner: null }, 0);
      const attempts = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => store.put(collection, 'k', { winner: i }, 1)),
      );
      const won = attempts.filter((attempt) => attempt.status === 'fulfilled');
      expect(won.length).toBe(1);
      for (const attempt of attempts) {
        if (attempt.status === 'rejected') expect((attempt.reason as { code?: string }).code).toBe('CONFLICT');
      }
      const stored = (await store.get<{ winner: number }>(collection, 'k'))!;
      expect(stored.version).toBe(2);
      expect(stored.value).toEqual((won[0] as PromiseFulfilledResult<{ value: unknown }>).value.value);
    });

    it('deletes, with and without an expected version', async () => {
      const store = await open();
      const collection = freshCollection();
      await store.put(collection, 'a', 1, 0);
      await store.put(collection, 'b', 2, 0);
      await expectConflict(store.delete(collection, 'a', 7), 'delete with a stale version');
      expect(await store.get(collection, 'a')).toEqual({ key: 'a', version: 1, value: 1 });
      expect(await store.delete(collection, 'a', 1)).toBe(true);
      expect(await store.delete(collection, 'b')).toBe(true);
      expect(await store.delete(collection, 'b')).toBe(false);
      expect(await store.get(collection, 'a')).toBe(undefined);
      expect(await store.count(collection)).toBe(0);
      const recreated = await store.put(collection, 'a', 'again', 0);
      expect(recreated.version).toBeGreaterThan(1);
    });

    it('never lets a version go backwards: a re-created record starts above the deleted one', async () => {
      const store = await open();
      const collection = freshCollection();
      // 'a' reaches version 4, is deleted, re-created: a client holding version 4 must see it as newer.
      let record = await store.put(collection, 'a', { n: 0 }, 0);
      for (let n = 1; n < 4; n++) record = await store.put(collection, 'a', { n }, record.version);
      expect(record.version).toBe(4);
      expect(await store.delete(collection, 'a', 4)).toBe(true);
      const recreated = await store.put(collection, 'a', { n: 'again' }, 0);
      expect(recreated.version).toBeGreaterThan(4);
      expect(await store.get(collection, 'a')).toEqual({ key: 'a', version: recreated.version, value: { n: 'again' } });
      // Updates of the re-created record still go +1, and stale versions still conflict.
      expect((await store.put(collection, 'a', { n: 'next' }, recreated.version)).version).toBe(recreated.version + 1);
      await expectConflict(store.put(collection, 'a', { n: 'stale' }, 4), 'put with the deleted record\'s version');
      // Delete without an expected version, several rounds: every incarnation is newer than the last.
      let previous = recreated.version + 1;
      for (let round = 0; round < 3; round++) {
        expect(await store.delete(collection, 'a')).toBe(true);
        const again = await store.put(collection, 'a', { round }, 0);
        expect(again.version).toBeGreaterThan(previous);
        previous = again.version;
      }
      // Another instance of the store (another app instance on the same backend) agrees.
      if (options.shared) {
        const other = await open();
        expect((await other.get(collection, 'a'))!.version).toBe(previous);
        expect(await other.delete(collection, 'a', previous)).toBe(true);
        expect((await store.put(collection, 'a', { from: 'first' }, 0)).version).toBeGreaterThan(previous);
      }
    });

    it('lists sorted by key, in pages, with a prefix filter', async () => {
      const store = await open();
      const collection = freshCollection();
      const keys = Array.from({ length: 25 }, (_, i) => `user:${String(i).padStart(3, '0')}`).concat(['flag:a', 'flag:b']);
      for (const key of [...keys].reverse()) await store.put(collection, key, { key }, 0);
      const all = await store.list(collection);
      expect(all.map((record) => record.key)).toEqual([...keys].sort());
      expect(all.every((record) => record.version === 1 && (record.value as { key: string }).key === record.key)).toBe(true);
      const pages: string[][] = [];
      let after: string | undefined;
      for (;;) {
        const page = await store.list(collection, after === undefined ? { limit: 10 } : { after, limit: 10 });
        if (page.length === 0) break;
        pages.push(page.map((record) => record.key));
        after = page[page.length - 1]!.key;
      }
      expect(pages.map((page) => page.length)).toEqual([10, 10, 7]);
      expect(pages.flat()).toEqual([...keys].sort());
      expect((await store.list(collection, { prefix: 'flag:' })).map((record) => record.key)).toEqual(['flag:a', 'flag:b']);
      expect((await store.list(collection, { prefix: 'user:', after: 'user:020' })).map((record) => record.key)).toEqual([
        'user:021',
        'user:022',
        'user:023',
        'user:024',
      ]);
      expect(await store.count(collection)).toBe(27);
    });

    it('pages with no duplicates, no skips and a stable order while records are written between pages', async () => {
      const store = await open();
      const collection = freshCollection();
      // Stable records exist from before the walk to after it; churn records come and go during it.
      const stable = Array.from({ length: 40 }, (_, i) => `k${String(i).padStart(2, '0')}`);
      for (const key of stable) await store.put(collection, key, { key }, 0);
      for (let i = 0; i < 40; i += 4) await store.put(collection, `${stable[i]}-churn`, { churn: true }, 0);
      const walked: string[] = [];
      let after: string | undefined;
      for (let round = 0; ; round++) {
        const page = await store.list(collection, after === undefined ? { limit: 7 } : { after, limit: 7 });
        if (page.length === 0) break;
        walked.push(...page.map((record) => record.key));
        after = page[page.length - 1]!.key;
        // Between pages: churn before and after the cursor, update stable records on both sides, grow the collection.
        for (let i = round % 4; i < 40; i += 4) {
          const churn = `${stable[i]}-churn`;
          const existing = await store.get(collection, churn);
          if (existing) await store.delete(collection, churn, existing.version);
          else await store.put(collection, churn, { churn: true }, 0);
        }
        const touched = stable[(round * 11) % 40]!;
        const current = await store.get(collection, touched);
        await store.put(collection, touched, { key: touched, round }, current!.version);
        await store.put(collection, `a-new-${round}`, { before: 'the cursor' }, 0);
        await store.put(collection, `z-new-${round}`, { after: 'the cursor' }, 0);
      }
      // Strictly increasing (code point order, the same as `<` for these ASCII keys): no duplicate, no going back.
      for (let i = 1; i < walked.length; i++) expect(walked[i - 1]! < walked[i]!).toBe(true);
      // Every record that existed throughout was seen exactly once.
      for (const key of stable) expect(walked.filter((seen) => seen === key)).toEqual([key]);
      // Records created past the cursor are seen, records created behind it are not.
      expect(walked.some((key) => key.startsWith('z-new-'))).toBe(true);
      expect(walked.some((key) => key.startsWith('a-new-'))).toBe(false);
    });

    it('keeps collections apart', async () => {
      const store = await open();
      const first = freshCollection();
      const second = freshCollection();
      await store.put(first, 'k', 'first', 0);
      await store.put(second, 'k', 'second', 0);
      expect((await store.get(first, 'k'))!.value).toBe('first');
      expect((await store.get(second, 'k'))!.value).toBe('second');
      await store.delete(first, 'k');
      expect(await store.count(second)).toBe(1);
    });

    it('accepts keys with punctuation and unicode', async () => {
      const store = await open();
      const collection = freshCollection();
      const keys = ['release:2.0.0-beta.1', 'user@example.com', 'a b/c', 'ключ', '用户-7', '🚀'];
      for (const key of keys) await store.put(collection, key, { key }, 0);
      for (const key of keys) expect((await store.get(collection, key))!.value).toEqual({ key });
      expect(await store.count(collection)).toBe(keys.length);
    });

    it('round-trips ids named like prototype members (constructor, __proto__, toString, ...)', async () => {
      const store = await open();
      const collection = freshCollection();
      await store.put(collection, 'plain', { id: 'plain' }, 0);
      for (const key of PROTOTYPE_NAMED_IDS) {
        const written = await store.put(collection, key, { id: key }, 0);
        expect(written.version).toBe(1);
      }
      for (const key of PROTOTYPE_NAMED_IDS) {
        const read = await store.get<Record<string, string>>(collection, key);
        expect(read?.version).toBe(1);
        expect(Object.getPrototypeOf(read!.value)).toBe(Object.prototype);
        expect(Object.entries(read!.value)).toEqual([['id', key]]);
      }
      const expected = ['plain', ...PROTOTYPE_NAMED_IDS].sort();
      expect((await store.list(collection)).map((record) => record.key)).toEqual(expected);
      expect(await store.count(collection)).toBe(expected.length);
      // The collection stays readable and writable around them.
      expect((await store.put(collection, 'constructor', { id: 'again' }, 1)).version).toBe(2);
      expect(await store.delete(collection, '__proto__', 1)).toBe(true);
      expect(await store.get(collection, '__proto__')).toBe(undefined);
      expect((await store.put(collection, 'after', { id: 'after' }, 0)).value).toEqual({ id: 'after' });
      expect((await store.get(collection, 'after'))?.value).toEqual({ id: 'after' });
      expect((await store.get(collection, 'plain'))?.value).toEqual({ id: 'plain' });
      expect(({} as Record<string, unknown>).id).toBe(undefined);
    });

    it('lists keys in code point order (the byte order of their UTF-8), astral characters last', async () => {
      const store = await open();
      const collection = freshCollection();
      // UTF-16 order would put '😀' (a surrogate pair) before U+E000 and U+FFFF.
      for (const key of ['😀', '\uffff', 'z', '\ue000', 'a']) await store.put(collection, key, 1, 0);
      expect((await store.list(collection)).map((record) => record.key)).toEqual(['a', 'z', '\ue000', '\uffff', '😀']);
      expect((await store.list(collection, { after: '\uffff' })).map((record) => record.key)).toEqual(['😀']);
    });

    it('returns versions that are safe integers', async () => {
      const store = await open();
      const collection = freshCollection();
      let record = await store.put(collection, 'k', 1, 0);
      for (let i = 0; i < 3; i++) record = await store.put(collection, 'k', i, record.version);
      for (const read of [record, await store.get(collection, 'k'), ...(await store.list(collection))]) {
        expect(Number.isSafeInteger(read?.version) && read!.version >= 1).toBe(true);
      }
    });

    if (options.corruptVersion) {
      const corruptVersion = options.corruptVersion;
      for (const [label, version] of [
        ['2^53', 2 ** 53],
        ['1e308', 1e308],
        ['0', 0],
        ['2.5', 2.5],
      ] as const) {
        it(`refuses a stored version of ${label} as a corrupt record, naming it`, async () => {
          const store = await open();
          const collection = freshCollection();
          await store.put(collection, 'fine', 1, 0);
          await store.put(collection, 'damaged', 1, 0);
          await corruptVersion(store, collection, 'damaged', version);
          const reading = await store.get(collection, 'damaged').then(
            () => undefined,
            (error: unknown) => error as Error,
          );
          expect(reading?.message).toMatch(/damaged/);
          expect((reading as { code?: string } | undefined)?.code).toBe('STORE');
          await expect(store.list(collection)).rejects.toThrow(/damaged/);
          // A compare-and-set against the damaged version must not succeed either.
          await expect(store.put(collection, 'damaged', 2, version)).rejects.toThrow();
        });
      }
    }

    it('notifies subscribers of writes and deletes, and stops after unsubscribe', async () => {
      const store = await open();
      const collection = freshCollection();
      const events: StoreEvent[] = [];
      const stop = store.subscribe((event) => events.push(event));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const isChange = (key: string, version: number) => (event: StoreEvent) =>
        event.type === 'change' && event.collection === collection && event.key === key && event.version === version;
      await store.put(collection, 'k', 1, 0);
      await waitFor(events, isChange('k', 1), timeout, 'the change event of a put');
      await store.put(collection, 'k', 2, 1);
      await waitFor(events, isChange('k', 2), timeout, 'the change event of an update');
      await store.delete(collection, 'k');
      await waitFor(events, isChange('k', 0), timeout, 'the change event of a delete (version 0)');
      stop();
      const seen = events.length;
      await store.put(collection, 'after-stop', 1, 0);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(events.filter((event) => (event as StoreChange).key === 'after-stop').length).toBe(0);
      expect(events.length).toBe(seen);
    });

    if (options.shared) {
      it('shares data and notifications between two instances', async () => {
        const first = await open();
        const second = await open();
        const collection = freshCollection();
        const events: StoreEvent[] = [];
        second.subscribe((event) => events.push(event));
        await new Promise((resolve) => setTimeout(resolve, 100));
        await first.put(collection, 'shared', { from: 'first' }, 0);
        await waitFor(
          events,
          (event) => event.type === 'change' && event.collection === collection && event.key === 'shared' && event.version === 1,
          timeout,
          'a notification in the second instance',
        );
        expect(await second.get(collection, 'shared')).toEqual({ key: 'shared', version: 1, value: { from: 'first' } });
        await expectConflict(second.put(collection, 'shared', { from: 'second' }, 0), 'create from the second instance');
      });
    }
  });
}
