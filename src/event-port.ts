import type { EventEmitter } from 'eventemitter3';
import { toError } from './errors.js';

/** A listener threw while phasegate reported something; the write it reported stands. */
export interface ListenerErrorEvent {
  /** The event whose listener threw. */
  readonly event: string;
  /** What it threw. */
  readonly error: Error;
}

/** The event every module may raise about its own listeners. */
export interface CoreEvents {
  /**
   * A listener of another event threw. The change it was told about is committed; the other
   * listeners still ran. Listen here to log listener bugs.
   */
  'listener:error': (event: ListenerErrorEvent) => void;
}

/** The arguments a listener of `Events[Name]` receives. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type EventArgs<Events, Name extends keyof Events> = Events[Name] extends (...args: infer A) => any ? A : never;

/**
 * What a module gets to announce its events: nothing more. Each domain declares its events
 * next to its code and receives a port typed to exactly those.
 */
export interface EventPort<Events extends object> {
  /** Tells every listener, isolated: a throwing listener is reported as `listener:error` and never stops the others or the caller. */
  emit<Name extends keyof Events & string>(name: Name, ...args: EventArgs<Events, Name>): void;
  /** How many listeners `name` has (a rollback step nobody listens for is recorded as unhandled). */
  listenerCount(name: keyof Events & string): number;
}

type AnyListener = (...args: unknown[]) => unknown;

/**
 * Calls each listener of `name` on its own, so one that throws cannot abort the loop (which is
 * what eventemitter3's own `emit` does) or reach the caller: a committed write is reported as
 * committed whatever listeners do. Failures are reported as `listener:error`; a failing
 * `listener:error` listener is ignored.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function emitIsolated(emitter: EventEmitter<any>, name: string, args: readonly unknown[]): void {
  const listeners = emitter.listeners(name) as AnyListener[];
  for (const listener of listeners) {
    // `once` listeners must go before they run, as eventemitter3 does (removes once-registrations only).
    emitter.removeListener(name, listener, undefined, true);
    try {
      listener.apply(emitter, args as unknown[]);
    } catch (error) {
      if (name === 'listener:error') continue;
      emitIsolated(emitter, 'listener:error', [{ event: name, error: toError(error) } satisfies ListenerErrorEvent]);
    }
  }
}

/** A port onto `emitter` for one module's events. */
export function eventPort<Events extends object>(emitter: EventEmitter<any>): EventPort<Events> {
  return {
    emit: (name, ...args) => emitIsolated(emitter, name, args as readonly unknown[]),
    listenerCount: (name) => emitter.listenerCount(name),
  };
}
