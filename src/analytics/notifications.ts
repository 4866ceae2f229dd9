import * as z from 'zod';
import type { Clock } from '../clock.js';
import { ConflictError, toError } from '../errors.js';
import { hmacSha256Hex, sha256Hex } from '../runtime.js';
import type { Store, StoredRecord } from '../storage/store.js';

/**
 * Notifications that are not lost: the outbox pattern.
 *
 * A decision (a hold, a rollback, an alert) is committed first, in its own record. The
 * notification is then written to the outbox collection under an idempotency key derived from
 * the decision, and `tick()` delivers what is due: POST with a JSON body, an HMAC-SHA256
 * signature header, retries with exponential backoff. Each tick also re-derives the outbox
 * entries from the committed decisions (inserting only missing keys), so a process killed
 * between the decision and the outbox write, or between the write and the delivery, loses
 * nothing: the next tick of any process delivers it. Delivery is at least once; the
 * `Idempotency-Key` header lets the receiver drop a repeat (a process killed after the POST but
 * before recording success is the only way one happens).
 */

/** The outbox collection. */
export const OUTBOX_COLLECTION = 'notifications-outbox';

/** What a notification is about. */
export const NOTIFICATION_EVENTS = ['hold', 'rollback', 'alert'] as const;
/** What a notification is about. */
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

const httpUrl = z
  .string({ error: 'must be a string' })
  .max(2000, 'must be at most 2000 characters')
  .refine((url) => {
    try {
      const parsed = new URL(url);
      return parsed.protocol === 'https:' || parsed.protocol === 'http:';
    } catch {
      return false;
    }
  }, 'must be an http(s) URL');

/** Input to `gate.analytics.addWebhook`: where to POST, and for which events. */
export const webhookInputSchema = z.strictObject({
  url: httpUrl,
  events: z
    .array(z.enum(NOTIFICATION_EVENTS, { error: "must be 'hold', 'rollback' or 'alert'" }))
    .min(1, 'must name at least one event')
    .default(['hold', 'rollback', 'alert']),
});
/** Input to `gate.analytics.addWebhook`. */
export type WebhookInput = z.input<typeof webhookInputSchema>;

/** A stored webhook subscription. */
export interface Webhook {
  readonly url: string;
  readonly events: readonly NotificationEvent[];
  /** Decisions made before this are not sent to it. */
  readonly createdAt: number;
}

/** A stored webhook subscription, validated on read. */
export const storedWebhookSchema = z.strictObject({
  url: httpUrl,
  events: z.array(z.enum(NOTIFICATION_EVENTS)).min(1),
  createdAt: z.number().int().min(0),
});

/** One notification in the outbox. */
export interface OutboxEntry {
  /** The idempotency key: the same decision and target always give the same key. */
  readonly id: string;
  readonly event: NotificationEvent;
  readonly url: string;
  /** The JSON body, exactly as POSTed. */
  readonly body: string;
  readonly createdAt: number;
  readonly state: 'pending' | 'delivered' | 'failed';
  readonly attempts: number;
  readonly nextAttemptAt: number;
  /** A process is delivering it until then; others leave it alone. */
  readonly claimedUntil: number;
  readonly deliveredAt: number | null;
  readonly lastError: string | null;
}

const outboxEntrySchema = z.strictObject({
  id: z.string().regex(/^pg_[0-9a-f]{32}$/),
  event: z.enum(NOTIFICATION_EVENTS),
  url: httpUrl,
  body: z.string().max(100_000),
  createdAt: z.number().int().min(0),
  state: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int().min(0),
  nextAttemptAt: z.number().min(0),
  claimedUntil: z.number().min(0),
  deliveredAt: z.number().min(0).nullable(),
  lastError: z.string().max(2000).nullable(),
});

/** Validates an outbox record read from the store; `undefined` when it is not a valid entry. */
export function parseOutboxEntry(record: StoredRecord): OutboxEntry | undefined {
  const parsed = outboxEntrySchema.safeParse(record.value);
  return parsed.success && parsed.data.id === record.key ? parsed.data : undefined;
}

/** The idempotency key of a decision's notification to one target: `pg_` and 32 hex digits. */
export function idempotencyKey(...parts: readonly (string | number)[]): string {
  return `pg_${sha256Hex(JSON.stringify(parts)).slice(0, 32)}`;
}

/**
 * The signature header value: `sha256=` and the hex HMAC-SHA256, keyed by the shared secret,
 * of `<timestamp>.<body>`. Receivers recompute it and compare in constant time, and refuse old
 * timestamps to stop replays.
 */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `sha256=${hmacSha256Hex(secret, `${timestamp}.${body}`)}`;
}

/** Writes a notification to the outbox unless one with its key exists. Returns whether it wrote. */
export async function enqueueNotification(
  store: Store,
  entry: { readonly id: string; readonly event: NotificationEvent; readonly url: string; readonly payload: Readonly<Record<string, unknown>>; readonly at: number },
): Promise<boolean> {
  const body = JSON.stringify({ id: entry.id, event: entry.event, at: entry.at, ...entry.payload });
  const value: OutboxEntry = {
    id: entry.id,
    event: entry.event,
    url: entry.url,
    body,
    createdAt: entry.at,
    state: 'pending',
    attempts: 0,
    nextAttemptAt: entry.at,
    claimedUntil: 0,
    deliveredAt: null,
    lastError: null,
  };
  try {
    await store.put(OUTBOX_COLLECTION, entry.id, value, 0);
    return true;
  } catch (error) {
    if (error instanceof ConflictError) return false; // already queued (or delivered): once is enough.
    throw error;
  }
}

/** How `deliverNotifications` behaves. */
export interface DeliveryOptions {
  /** The shared HMAC secret. Without one nothing is sent (and every due entry is reported). */
  readonly secret: string | undefined;
  /** Attempts before an entry is marked `failed`. Default 8. */
  readonly maxAttempts?: number;
  /** First retry delay; doubles per attempt up to `maxBackoffMs`. Default 30 s. */
  readonly backoffMs?: number;
  /** Default 1 hour. */
  readonly maxBackoffMs?: number;
  /** Per request. Default 10 s. */
  readonly timeoutMs?: number;
  /** How long a claim keeps other processes off an entry. Default 60 s. */
  readonly claimMs?: number;
}

/** What one delivery round did. */
export interface DeliveryReport {
  readonly delivered: readonly string[];
  /** Entries that failed this round: retried later unless `willRetryAt` is `null`. */
  readonly failed: ReadonlyArray<{ readonly id: string; readonly url: string; readonly error: string; readonly attempts: number; readonly willRetryAt: number | null }>;
  /** Entries due but not sent because this process has no webhook secret. */
  readonly unsigned: number;
  /** Records in the outbox that failed validation (left in place, never sent). */
  readonly invalid: readonly string[];
}

/**
 * Delivers every due, unclaimed outbox entry: claim (CAS), POST, then record the outcome (CAS).
 * Never throws for a failed delivery; store errors propagate.
 */
export async function deliverNotifications(store: Store, clock: Clock, options: DeliveryOptions): Promise<DeliveryReport> {
  const maxAttempts = options.maxAttempts ?? 8;
  const backoffMs = options.backoffMs ?? 30_000;
  const maxBackoffMs = options.maxBackoffMs ?? 3_600_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const claimMs = options.claimMs ?? 60_000;
  const delivered: string[] = [];
  const failed: Array<{ id: string; url: string; error: string; attempts: number; willRetryAt: number | null }> = [];
  const invalid: string[] = [];
  let unsigned = 0;
  const due: Array<{ record: StoredRecord; entry: OutboxEntry }> = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.list(OUTBOX_COLLECTION, after === undefined ? { limit: 1000 } : { after, limit: 1000 });
    for (const record of page) {
      const entry = parseOutboxEntry(record);
      if (!entry) {
        invalid.push(record.key);
        continue;
      }
      const now = clock.now();
      if (entry.state === 'pending' && entry.nextAttemptAt <= now && entry.claimedUntil <= now) due.push({ record, entry });
    }
    if (page.length < 1000) break;
    after = page[page.length - 1]!.key;
  }
  due.sort((a, b) => a.entry.createdAt - b.entry.createdAt);
  for (const { record, entry } of due) {
    if (options.secret === undefined || options.secret === '') {
      unsigned++;
      continue;
    }
    let claimed: StoredRecord<OutboxEntry>;
    try {
      claimed = await store.put<OutboxEntry>(OUTBOX_COLLECTION, entry.id, { ...entry, claimedUntil: clock.now() + claimMs }, record.version);
    } catch (error) {
      if (error instanceof ConflictError) continue; // another process has it.
      throw error;
    }
    const timestamp = clock.now();
    let problem: string | null = null;
    try {
      const response = await fetch(entry.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': entry.id,
          'x-phasegate-event': entry.event,
          'x-phasegate-timestamp': String(timestamp),
          'x-phasegate-signature': webhookSignature(options.secret, timestamp, entry.body),
        },
        body: entry.body,
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      });
      // Drain the body so the connection can be reused.
      await response.arrayBuffer().catch(() => undefined);
      if (!response.ok) problem = `HTTP ${response.status}`;
    } catch (error) {
      problem = toError(error).message.slice(0, 500);
    }
    const attempts = entry.attempts + 1;
    const now = clock.now();
    const next: OutboxEntry =
      problem === null
        ? { ...entry, state: 'delivered', attempts, deliveredAt: now, claimedUntil: 0, lastError: null }
        : attempts >= maxAttempts
          ? { ...entry, state: 'failed', attempts, claimedUntil: 0, lastError: problem }
          : { ...entry, attempts, nextAttemptAt: now + Math.min(maxBackoffMs, backoffMs * 2 ** (attempts - 1)), claimedUntil: 0, lastError: problem };
    try {
      await store.put(OUTBOX_COLLECTION, entry.id, next, claimed.version);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
    if (problem === null) delivered.push(entry.id);
    else failed.push({ id: entry.id, url: entry.url, error: problem, attempts, willRetryAt: next.state === 'failed' ? null : next.nextAttemptAt });
  }
  return { delivered, failed, unsigned, invalid };
}
