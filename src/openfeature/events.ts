import { ProviderEvents, type OpenFeatureEventEmitter } from '@openfeature/server-sdk';
import type { FlagChange } from '../flags/events.js';
import type { SegmentChange } from '../flags/segment-sync.js';
import type { Phasegate } from '../phasegate.js';

/**
 * Forwards a phasegate client's events to an OpenFeature provider's emitter, and returns the
 * function that stops it.
 *
 * - Flag changes (created, updated, deleted; here or in another process) and segment changes
 *   (naming the flags recompiled with them) become one `PROVIDER_CONFIGURATION_CHANGED` per
 *   turn of the event loop, listing every changed key once: a resync that touches 500 flags
 *   is one event, not 500. Nothing is announced before `announce()` (the first load is not a
 *   change, READY says it).
 * - A store outage (`store:unavailable`) is `PROVIDER_STALE`: phasegate keeps answering from
 *   its last snapshot, which is exactly what STALE means. Recovery (`store:available`, sent
 *   once the snapshot has been resynchronised) is `PROVIDER_READY`.
 * - `store:error` (one failed read) is deliberately not forwarded as `PROVIDER_ERROR`: the SDK
 *   would hold the client in ERROR until a READY that phasegate has no occasion to send, while
 *   the client goes on answering correctly. It stays on `gate.events`.
 */
export function forwardGateEvents(gate: Phasegate, emitter: OpenFeatureEventEmitter, onFlag: (change: FlagChange) => void): { detach(): void; announce(): void } {
  const pending = new Set<string>();
  let scheduled = false;
  let announcing = false;
  const flush = (): void => {
    scheduled = false;
    if (pending.size === 0) return;
    const flagsChanged = [...pending].sort();
    pending.clear();
    if (announcing) emitter.emit(ProviderEvents.ConfigurationChanged, { flagsChanged });
  };
  const changed = (keys: readonly string[]): void => {
    for (const key of keys) pending.add(key);
    if (!scheduled && pending.size > 0) {
      scheduled = true;
      queueMicrotask(flush);
    }
  };
  const flag = (change: FlagChange): void => {
    onFlag(change);
    changed([change.key]);
  };
  const segment = (change: SegmentChange): void => changed(change.flags);
  const stale = (event: { readonly error?: Error }): void =>
    emitter.emit(ProviderEvents.Stale, {
      message: `phasegate store unreachable${event.error ? `: ${event.error.message}` : ''}; answering from the last snapshot`,
    });
  const back = (): void => emitter.emit(ProviderEvents.Ready, { message: 'phasegate store reachable again; snapshot resynchronised' });
  gate.events.on('flag:changed', flag).on('segment:changed', segment).on('store:unavailable', stale).on('store:available', back);
  return {
    announce(): void {
      pending.clear();
      announcing = true;
    },
    detach(): void {
      announcing = false;
      pending.clear();
      gate.events.off('flag:changed', flag).off('segment:changed', segment).off('store:unavailable', stale).off('store:available', back);
    },
  };
}
