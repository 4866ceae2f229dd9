import { ConflictError } from '../errors.js';
import { Collections, type Store, type StoredRecord } from '../storage/store.js';
import { parseStructuredKey, recordsWithPrefix, structuredPrefix } from './keys.js';
import type { RetentionPolicy } from './model.js';
import { OUTBOX_COLLECTION, parseOutboxEntry } from './notifications.js';
import { ANALYTICS_STATE_COLLECTION, alertStateSchema, armsSchema, seriesSchema } from './state.js';

const DAY = 86_400_000;

/** UTC day `YYYY-MM-DD` of an instant. */
export function dayKey(at: number): string {
  return new Date(Math.floor(at / DAY) * DAY).toISOString().slice(0, 10);
}

/** Deletes the oldest alerts beyond `limit` (alert ids sort by time). */
export async function pruneAlertsToLimit(store: Store, limit: number): Promise<void> {
  const excess = (await store.count(Collections.alerts)) - limit;
  if (excess <= 0) return;
  const oldest = await store.list(Collections.alerts, { limit: Math.min(excess, 1000) });
  for (const record of oldest) await store.delete(Collections.alerts, record.key);
}

/**
 * Applies the retention policy at `now`: drops metric observations, series and per-arm
 * aggregates older than `observationDays`, adoption sketches older than `adoptionDays`, alerts
 * older than `alertDays` (and beyond `alertLimit`), settled alert states, and delivered or
 * failed notifications older than `notificationDays`. Every delete names the version it read,
 * so a record written meanwhile is kept. Returns how many records it deleted or rewrote.
 */
export async function applyRetention(store: Store, now: number, policy: RetentionPolicy): Promise<number> {
  const observationCutoff = now - policy.observationDays * DAY;
  const adoptionCutoff = dayKey(now - policy.adoptionDays * DAY);
  let changed = 0;
  const remove = async (collection: string, record: StoredRecord) => {
    try {
      if (await store.delete(collection, record.key, record.version)) changed++;
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error; // written meanwhile: it is not stale.
    }
  };
  for await (const record of recordsWithPrefix(store, Collections.metrics, structuredPrefix('series'))) {
    const parsed = seriesSchema.safeParse(record.value);
    if (!parsed.success) continue;
    const series = parsed.data;
    const kept = series.recent.filter((o) => o.at >= observationCutoff);
    if (kept.length === 0) await remove(Collections.metrics, record);
    else if (kept.length < series.recent.length) {
      try {
        await store.put(Collections.metrics, record.key, { ...series, recent: kept }, record.version);
        changed++;
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
      }
    }
  }
  for await (const record of recordsWithPrefix(store, Collections.metrics, structuredPrefix('adoption'))) {
    const day = parseStructuredKey(record.key)?.[3];
    if (typeof day === 'string' && day < adoptionCutoff) await remove(Collections.metrics, record);
  }
  // Records written before keys were structured (`metric|release|feature`, `adoption|…|day`) are
  // no longer read; they go once they are as old as the policy allows.
  for await (const record of recordsWithPrefix(store, Collections.metrics, '')) {
    if (record.key.startsWith('[')) continue;
    const legacyDay = /\|(\d{4}-\d{2}-\d{2})$/.exec(record.key)?.[1];
    const recent = (record.value as { recent?: unknown }).recent;
    const lastAt = Array.isArray(recent) ? Math.max(0, ...recent.map((o: { at?: unknown }) => (typeof o?.at === 'number' ? o.at : 0))) : null;
    if ((legacyDay !== undefined && legacyDay < adoptionCutoff) || (lastAt !== null && lastAt < observationCutoff)) await remove(Collections.metrics, record);
  }
  for await (const record of recordsWithPrefix(store, Collections.alerts, '')) {
    const at = (record.value as { at?: unknown }).at;
    if (typeof at !== 'number' || at >= now - policy.alertDays * DAY) break; // keys sort by time
    await remove(Collections.alerts, record);
  }
  await pruneAlertsToLimit(store, policy.alertLimit);
  for await (const record of recordsWithPrefix(store, ANALYTICS_STATE_COLLECTION, structuredPrefix('arms'))) {
    const arms = armsSchema.safeParse(record.value);
    if (arms.success && arms.data.lastAt < observationCutoff) await remove(ANALYTICS_STATE_COLLECTION, record);
  }
  for await (const record of recordsWithPrefix(store, ANALYTICS_STATE_COLLECTION, structuredPrefix('alert-state'))) {
    const state = alertStateSchema.safeParse(record.value);
    if (state.success && state.data.severity === null && state.data.published) await remove(ANALYTICS_STATE_COLLECTION, record);
  }
  for await (const record of recordsWithPrefix(store, OUTBOX_COLLECTION, '')) {
    const entry = parseOutboxEntry(record);
    if (entry && entry.state !== 'pending' && entry.createdAt < now - policy.notificationDays * DAY) await remove(OUTBOX_COLLECTION, record);
  }
  return changed;
}
