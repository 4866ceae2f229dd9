import { StoreError, type ListOptions, type Store, type StoreEvent, type StoredRecord } from '../../src/index.js';

/**
 * A real store reached over a slow, jittery link: every call waits 0-2 ms before and after,
 * as a network store does, so two clients' read-modify-write cycles interleave. `failWrites`
 * makes writes to the named collections fail, as a process dying between two writes would
 * leave them unwritten.
 */
export class SlowLink implements Store {
  readonly name: string;
  failWrites = new Set<string>();
  constructor(private readonly inner: Store) {
    this.name = `slow:${inner.name}`;
  }
  private lag(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, Math.random() * 2));
  }
  private async around<T>(run: () => Promise<T>): Promise<T> {
    await this.lag();
    const result = await run();
    await this.lag();
    return result;
  }
  get<T>(collection: string, key: string): Promise<StoredRecord<T> | undefined> {
    return this.around(() => this.inner.get<T>(collection, key));
  }
  list<T>(collection: string, options?: ListOptions): Promise<StoredRecord<T>[]> {
    return this.around(() => this.inner.list<T>(collection, options));
  }
  put<T>(collection: string, key: string, value: T, expectedVersion: number): Promise<StoredRecord<T>> {
    if (this.failWrites.has(collection)) return Promise.reject(new StoreError(`simulated crash before writing ${collection}/${key}`));
    return this.around(() => this.inner.put(collection, key, value, expectedVersion));
  }
  delete(collection: string, key: string, expectedVersion?: number): Promise<boolean> {
    return this.around(() => this.inner.delete(collection, key, expectedVersion));
  }
  count(collection: string): Promise<number> {
    return this.inner.count(collection);
  }
  subscribe(listener: (event: StoreEvent) => void): () => void {
    return this.inner.subscribe(listener);
  }
  async close(): Promise<void> {}
}

