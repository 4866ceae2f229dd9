import { EventEmitter } from 'eventemitter3';
import type { AnalyticsEvents } from './analytics/events.js';
import type { EarlyAccessEvents } from './early-access/events.js';
import type { CoreEvents } from './event-port.js';
import type { FlagEvents } from './flags/events.js';
import type { ReleaseEvents } from './releases/events.js';

// The composition root of events: each domain declares its own (next to its code) and gets a
// port typed to exactly those; only this file and the client see them all.
export type { EvaluationErrorEvent, FlagChange, FlagEvents, StoreErrorEvent } from './flags/events.js';
export type { ReleaseEvents } from './releases/events.js';
export type { EarlyAccessEvents } from './early-access/events.js';
export type { AnalyticsEvents } from './analytics/events.js';
export type { CoreEvents, EventPort, ListenerErrorEvent } from './event-port.js';

/**
 * Every event phasegate emits, by name: the union of each domain's events. The emitter is the
 * host's: pass your own to `createPhasegate({ events })` to wire modules and monitoring together.
 * Listeners run isolated: one that throws is reported as `listener:error` and never undoes or
 * hides the write it was told about.
 */
export interface PhasegateEvents extends CoreEvents, FlagEvents, ReleaseEvents, EarlyAccessEvents, AnalyticsEvents {}

/** The typed event emitter shared by phasegate's modules and the host. */
export type PhasegateEventEmitter = EventEmitter<PhasegateEvents>;

/** A new, empty typed event emitter. */
export function createEventEmitter(): PhasegateEventEmitter {
  return new EventEmitter<PhasegateEvents>();
}
