import { StoreError, type ListOptions, type Store, type StoreEvent, type StoredRecord } from '../../src/index.js';

/**
 * A real store (usually a MemoryStore) behind a link the test controls, to put an OpenFeature
 * provider through the states of its life: `hold()` keeps every read waiting (a store that is
 * still connecting: the client is not ready), `fail(n)` makes the next n reads fail (a store
 * that cannot be read), `mute()` loses change notifications, and `outage()` / `restore()` drop and restore the connection, reporting
 * it to subscribers as a real adapter does (`status` events).
 */
export class ControlledLink implements Store {
  readonly name: string;
  private held: Array<() => void> | undefined;
  private failures = 0;
  private down = false;
  private muted = false;
  private readonly listeners = new Set<(event: StoreEvent) => void>();

  constructor(private readonly inner: Store) {
    this.name = `controlled:${inner.name}`;
  }

  /** Every read waits until `release()`. */
  hold(): void {
    this.held ??= [];
  }

  /** Lets held reads go on. */
  release(): void {
    const waiting = this.held ?? [];
    this.held = undefined;
    for (const go of waiting) go();
  }

  /** Change notifications are lost (a dead pub/sub connection nobody noticed) until `unmute()`. */
  mute(): void {
    this.muted = true;
  }

  /** Change notifications flow again (the ones lost stay lost). */
  unmute(): void {
    this.muted = false;
  }

  /** The next `count` reads fail with a StoreError. */
  fail(count: number): void {
    this.failures = count;
  }

  /** The connection drops: reads fail and subscribers hear `available: false`. */
  outage(message = 'connection reset'): void {
    this.down = true;
    this.emit({ type: 'status', available: false, error: new StoreError(message) });
  }

  /** The connection is back: subscribers hear `available: true`. */
  restore(): void {
    this.down = false;
    this.emit({ type: 'status', available: true });
  }

  private emit(event: StoreEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }

  private async read<T>(run: () => Promise<T>): Promise<T> {
    if (this.held) await new Promise<void>((resolve) => this.held!.push(resolve));
    if (this.down) throw new StoreError(`store ${this.name} is unreachable`);
    if (this.failures > 0) {
      this.failures--;
      throw new StoreError(`store ${this.name} failed a read`);
    }
    return run();
  }

  get<T>(collection: string, key: string): Promise<StoredRecord<T> | undefined> {
    return this.read(() => this.inner.get<T>(collection, key));
  }
  list<T>(collection: string, options?: ListOptions): Promise<StoredRecord<T>[]> {
    return this.read(() => this.inner.list<T>(collection, options));
  }
  put<T>(collection: string, key: string, value: T, expectedVersion: number): Promise<StoredRecord<T>> {
    return this.inner.put(collection, key, value, expectedVersion);
  }
  delete(collection: string, key: string, expectedVersion?: number): Promise<boolean> {
    return this.inner.delete(collection, key, expectedVersion);
  }
  count(collection: string): Promise<number> {
    return this.inner.count(collection);
  }
  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    const off = this.inner.subscribe((event) => {
      if (!(this.muted && event.type === 'change')) listener(event);
    });
    return () => {
      this.listeners.delete(listener);
      off();
    };
  }
  async close(): Promise<void> {
    await this.inner.close();
  }
}
