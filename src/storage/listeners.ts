import type { StoreEvent } from './store.js';

/**
 * The subscriber list every adapter keeps: delivers events, isolates listener failures from the
 * store, and reports availability only when it changes.
 */
export class StoreListeners {
  private readonly listeners = new Set<(event: StoreEvent) => void>();
  private available = true;

  /** Adds a listener; returns the function that removes it. */
  add(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Number of listeners. */
  get size(): number {
    return this.listeners.size;
  }

  /** Delivers an event to every listener; a throwing listener does not stop the others or the store. */
  emit(event: StoreEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A failing listener must not break the store or the write that already succeeded.
      }
    }
  }

  /** Emits a status event when availability changes (and only then). */
  setAvailable(available: boolean, error?: Error): void {
    if (available === this.available) return;
    this.available = available;
    this.emit(available ? { type: 'status', available } : { type: 'status', available, ...(error ? { error } : {}) });
  }

  /** Removes every listener. */
  clear(): void {
    this.listeners.clear();
  }
}
