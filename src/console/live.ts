import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FlagChange } from '../events.js';
import type { Phasegate } from '../phasegate.js';
import { Collections, type StoreEvent } from '../storage/store.js';
import { AUDIT_COLLECTION } from '../audit/audit-log.js';

/** One change as sent to the browser: which record moved, never its contents beyond a summary. */
export interface LiveChange {
  /** Sequence number of this console's feed (the SSE `id`). */
  readonly seq: number;
  readonly collection: string;
  readonly key: string;
  /** For `flag` events: the state after the change (`deleted` when it went away). */
  readonly state?: string;
  /** For flags with a percentage strategy: the percentage after the change. */
  readonly percentage?: number;
  /** For flags: when the flag was last written (epoch ms). */
  readonly updatedAt?: number;
  /** For `change` events: the store version after the change (0 after a delete). */
  readonly version?: number;
}

/** Limits of the live feed. */
export interface LiveFeedOptions {
  /** At most this many browsers follow at once; more get 503. Default 500. */
  readonly maxClients?: number;
  /** A client whose unsent data grows past this many bytes is disconnected (it reconnects and reloads). Default 1 MiB. */
  readonly maxBufferedBytes?: number;
  /** Comment lines keep proxies from closing idle streams. Default 15 s. */
  readonly heartbeatMs?: number;
}

/**
 * Server-Sent Events for the console: a `change` for every committed write to the store (any
 * process), and a `flag` once this client has applied a flag change (the page re-renders from
 * its snapshot). Metric writes are frequent and mostly noise to a reader, so they are not
 * forwarded: the pages re-read metrics whenever anything else changes. Events raised
 * together are sent together (one write per follower per turn of the event loop), because the
 * host's own work shares this thread.
 */
export class LiveFeed {
  private readonly clients = new Set<ServerResponse>();
  private readonly maxClients: number;
  private readonly maxBufferedBytes: number;
  private readonly heartbeat: ReturnType<typeof setInterval>;
  private readonly stop: Array<() => void> = [];
  private seq = 0;

  /** Grows with every change sent: pages rendered at the same generation are the same. */
  get generation(): number {
    return this.seq;
  }

  constructor(gate: Phasegate, options: LiveFeedOptions = {}) {
    this.maxClients = options.maxClients ?? 500;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
    // Every committed write reaches every follower as a `change` (with its store version), so
    // none is lost even when the client, busy, folds several versions into one re-read.
    this.stop.push(
      gate.store.subscribe((event: StoreEvent) => {
        if (event.type === 'status') {
          this.send('store', { available: event.available });
          return;
        }
        // Metric samples are too frequent to matter to a reader; an audit entry always
        // accompanies another change that already refreshes the page.
        if (event.collection === Collections.metrics || event.collection === AUDIT_COLLECTION) return;
        this.broadcast('change', { collection: event.collection, key: event.key, version: event.version });
      }),
    );
    // Once the client has applied a flag change, say so with its new state: pages render flags
    // from the client's snapshot, so this is when a refresh shows it.
    const onFlag = (change: FlagChange) => {
      const flag = change.flag;
      this.broadcast('flag', {
        collection: Collections.flags,
        key: change.key,
        state: flag?.state ?? 'deleted',
        ...(flag?.strategy.type === 'percentage' ? { percentage: flag.strategy.percentage } : {}),
        ...(flag ? { updatedAt: flag.updatedAt } : {}),
      });
    };
    gate.events.on('flag:changed', onFlag);
    this.stop.push(() => gate.events.off('flag:changed', onFlag));
    this.heartbeat = setInterval(() => this.write(': keepalive\n\n'), options.heartbeatMs ?? 15_000);
    this.heartbeat.unref?.();
  }

  /** Number of browsers following. */
  get size(): number {
    return this.clients.size;
  }

  /** Starts an event stream on `res`; refuses with 503 when the feed is full. */
  attach(req: IncomingMessage, res: ServerResponse, headers: Readonly<Record<string, string>>): void {
    if (this.clients.size >= this.maxClients) {
      res.writeHead(503, { ...headers, 'content-type': 'text/plain; charset=utf-8', 'retry-after': '5' });
      res.end(`The console's live feed already has ${this.maxClients} followers; try again shortly.\n`);
      return;
    }
    res.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    // Tell the browser how soon to reconnect, and flush the headers through any proxy.
    res.write(`retry: 1000\n: connected\n\n`);
    this.clients.add(res);
    const drop = () => this.clients.delete(res);
    req.on('close', drop);
    res.on('close', drop);
    res.on('error', drop);
  }

  private broadcast(event: 'change' | 'flag', change: Omit<LiveChange, 'seq'>): void {
    const seq = ++this.seq;
    this.send(event, { seq, ...change }, seq);
  }

  private send(event: string, data: unknown, id?: number): void {
    this.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private pending = '';

  private write(chunk: string): void {
    if (this.pending === '') setImmediate(() => this.flush());
    this.pending += chunk;
  }

  private flush(): void {
    const chunk = this.pending;
    this.pending = '';
    if (chunk === '') return;
    for (const res of this.clients) {
      // A reader that stopped reading must not make the host hold its backlog forever.
      if (res.writableLength > this.maxBufferedBytes) {
        this.clients.delete(res);
        res.destroy();
        continue;
      }
      try {
        res.write(chunk);
      } catch {
        this.clients.delete(res);
      }
    }
  }

  /** Ends every stream and stops listening. */
  close(): void {
    clearInterval(this.heartbeat);
    this.pending = '';
    for (const stop of this.stop.splice(0)) stop();
    for (const res of this.clients) res.end();
    this.clients.clear();
  }
}
