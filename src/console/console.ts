import type { IncomingMessage, ServerResponse } from 'node:http';
import { IllegalTransitionError, NotFoundError, PhasegateError, ValidationError, toError } from '../errors.js';
import type { Phasegate } from '../phasegate.js';
import { parseAction, performAction, type ConsoleAction } from './actions.js';
import { CONSOLE_CSS, CONSOLE_JS } from './assets.js';
import type { SafeHtml } from './html.js';
import { messagePage, type PageContext } from './layout.js';
import { LiveFeed, type LiveFeedOptions } from './live.js';
import { auditPage, flagPage, memberPage, membersPage, overviewPage, releasePage, type PageSources } from './pages.js';
import { CsrfToken, SECURITY_HEADERS, crossSiteReason, isLoopback } from './security.js';

/**
 * Decides whether `request` may perform `action`. Return `true` to allow. Called for every
 * request: reads come as `{ kind: 'view', readOnly: true }`, writes with their details.
 */
export type ConsoleAuthorize = (request: IncomingMessage, action: ConsoleAction) => boolean | Promise<boolean>;

/** Options for {@link createConsole}. */
export interface ConsoleOptions {
  /** The client the console reads and acts through (the host's own). */
  readonly gate: Phasegate;
  /**
   * The path the console is mounted at, as the browser sees it (e.g. `/admin/rollouts`).
   * Default: worked out from Express/Koa mounting (`req.originalUrl`), else the root.
   */
  readonly basePath?: string;
  /**
   * The host's permission check. Without it the console is read-only and answers only
   * requests from this machine (loopback); with it, every request goes through it.
   */
  readonly authorize?: ConsoleAuthorize;
  /** Who acts, recorded in release and member history and in the audit log. Default `console`. */
  readonly actor?: string | ((request: IncomingMessage) => string | Promise<string>);
  /** Secret the CSRF token is derived from; share it between processes behind one load balancer. Default: random per console. */
  readonly csrfSecret?: string;
  /** Extra origins allowed to post actions (for proxies that rewrite `Host`), e.g. `https://admin.example.com`. */
  readonly trustedOrigins?: readonly string[];
  /** Limits of the live feed. */
  readonly live?: LiveFeedOptions;
}

/** A `(req, res)` request handler for the console, plus its lifecycle. */
export interface ConsoleHandler {
  /**
   * Answers one request. Mount it in `node:http`, Express (`app.use('/console', handler)`),
   * or through the Koa and Fastify adapters. With Express, requests outside the console go to `next`.
   */
  (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void;
  /** Browsers following the live feed now. */
  readonly liveClients: number;
  /** Ends the live streams and stops listening to the client (it does not close the client). */
  close(): void;
}

const MAX_BODY_BYTES = 64 * 1024;
/** Rendered pages shared between requests, at most, and for at most this long. */
const PAGE_CACHE_ENTRIES = 100;
const PAGE_CACHE_MS = 500;

class ConsoleHttpError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

function normaliseBase(path: string): string {
  const trimmed = path.trim().replace(/\/+$/, '');
  if (trimmed !== '' && !trimmed.startsWith('/')) throw new ValidationError('console options', [{ path: 'basePath', message: `must start with '/', got '${path}'` }]);
  return trimmed;
}

type MountedRequest = IncomingMessage & { originalUrl?: string; body?: unknown };

/** Where the console is mounted, and the request's path under it (or `undefined` when outside). */
function locate(req: MountedRequest, basePath: string | undefined): { base: string; path: string; query: URLSearchParams } | undefined {
  const url = new URL(req.url ?? '/', 'http://console.invalid');
  if (basePath === undefined) {
    // Express and koa-mount strip the mount path from req.url and keep the whole in originalUrl.
    const original = req.originalUrl !== undefined ? new URL(req.originalUrl, 'http://console.invalid').pathname : url.pathname;
    const base = original.endsWith(url.pathname) ? original.slice(0, original.length - url.pathname.length).replace(/\/+$/, '') : '';
    return { base, path: url.pathname, query: url.searchParams };
  }
  const full = req.originalUrl !== undefined ? new URL(req.originalUrl, 'http://console.invalid') : url;
  if (full.pathname !== basePath && !full.pathname.startsWith(`${basePath}/`)) return undefined;
  return { base: basePath, path: full.pathname.slice(basePath.length) || '/', query: full.searchParams };
}

async function readForm(req: MountedRequest): Promise<URLSearchParams> {
  // A framework may have parsed the body already (Express body parsers, Fastify).
  if (req.body !== undefined && req.body !== null) {
    if (typeof req.body === 'string') return new URLSearchParams(req.body);
    if (typeof req.body === 'object' && !Buffer.isBuffer(req.body)) {
      const form = new URLSearchParams();
      for (const [name, value] of Object.entries(req.body as Record<string, unknown>)) if (typeof value === 'string') form.set(name, value);
      return form;
    }
  }
  const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new ConsoleHttpError(415, 'Unsupported form', `Actions are posted as application/x-www-form-urlencoded forms, got '${type || 'no content type'}'.`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ConsoleHttpError(413, 'Form too large', `An action form may be at most ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ConsoleHttpError(400, 'Bad address', `'${segment}' is not a valid address segment.`);
  }
}

/**
 * Creates the live rollout console: a request handler serving server-rendered pages (overview,
 * flags with an evaluation explorer, releases, early-access members, audit log), a live feed
 * over Server-Sent Events, and actions guarded by `authorize` and CSRF checks.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createPhasegate, MemoryStore } from 'phasegate';
 * import { createConsole } from 'phasegate/console';
 *
 * const gate = await createPhasegate({ store: new MemoryStore() });
 * const handler = createConsole({ gate, basePath: '/console' });
 * const server = createServer(handler).listen(0, '127.0.0.1');
 * // ... later
 * handler.close();
 * server.close();
 * await gate.close();
 * ```
 */
export function createConsole(options: ConsoleOptions): ConsoleHandler {
  const gate = options?.gate;
  if (!gate || typeof gate.isEnabled !== 'function' || !gate.store) {
    throw new ValidationError('console options', [{ path: 'gate', message: 'must be a phasegate client (from createPhasegate)' }]);
  }
  if (options.authorize !== undefined && typeof options.authorize !== 'function') {
    throw new ValidationError('console options', [{ path: 'authorize', message: 'must be a function (request, action) => boolean' }]);
  }
  const basePath = options.basePath === undefined ? undefined : normaliseBase(options.basePath);
  const csrf = new CsrfToken(options.csrfSecret);
  const trustedOrigins = options.trustedOrigins ?? [];
  const sources: PageSources = { gate, audit: gate.audit };
  const live = new LiveFeed(gate, options.live);
  const authorize = options.authorize;

  async function actorOf(req: IncomingMessage): Promise<string> {
    const configured = options.actor;
    const actor = typeof configured === 'function' ? await configured(req) : configured;
    return typeof actor === 'string' && actor.trim() !== '' ? actor.trim().slice(0, 200) : 'console';
  }

  async function allowed(req: IncomingMessage, action: ConsoleAction): Promise<true | string> {
    if (!authorize) {
      if (!action.readOnly) return 'This console is read-only: createConsole was given no authorize hook, so no action is allowed.';
      if (!isLoopback(req)) return 'This console answers only this machine (loopback) unless createConsole is given an authorize hook.';
      return true;
    }
    try {
      return (await authorize(req, action)) === true ? true : `You are not allowed to ${action.kind === 'view' ? 'view this console' : action.kind}: the host's authorize hook refused.`;
    } catch (error) {
      return `The host's authorize hook failed (${toError(error).message}); nothing was changed.`;
    }
  }

  function send(res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
    res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': String(Buffer.byteLength(body)), ...extra });
    res.end(body);
  }

  function page(res: ServerResponse, status: number, markup: SafeHtml): void {
    send(res, status, 'text/html; charset=utf-8', markup.value);
  }

  // Every open browser re-fetches its page after a change: one render serves all of them
  // while nothing else changes (same generation), for at most PAGE_CACHE_MS so counts stay fresh.
  const rendered = new Map<string, { generation: number; at: number; markup: Promise<SafeHtml> }>();
  function shared(key: string, render: () => Promise<SafeHtml>): Promise<SafeHtml> {
    const now = Date.now();
    const hit = rendered.get(key);
    if (hit && hit.generation === live.generation && now - hit.at < PAGE_CACHE_MS) return hit.markup;
    const markup = render();
    rendered.delete(key);
    rendered.set(key, { generation: live.generation, at: now, markup });
    if (rendered.size > PAGE_CACHE_ENTRIES) rendered.delete(rendered.keys().next().value!);
    markup.catch(() => rendered.delete(key));
    return markup;
  }

  async function route(req: MountedRequest, res: ServerResponse, next?: (error?: unknown) => void): Promise<void> {
    const where = locate(req, basePath);
    if (!where) {
      if (next) return next();
      return send(res, 404, 'text/plain; charset=utf-8', 'Not found: this address is outside the phasegate console.\n');
    }
    const ctx: PageContext = {
      base: where.base,
      csrf: csrf.value,
      actionsEnabled: authorize !== undefined,
      storeName: gate.store.name,
      query: where.query,
      path: where.path,
      now: gate.clock.now(),
    };
    try {
      const method = req.method ?? 'GET';
      const segments = where.path.split('/').filter(Boolean);
      if (method === 'GET' || method === 'HEAD') {
        if (segments[0] === 'assets' && segments.length === 2) {
          if (segments[1] === 'console.js') return send(res, 200, 'text/javascript; charset=utf-8', CONSOLE_JS, { 'cache-control': 'no-cache' });
          if (segments[1] === 'console.css') return send(res, 200, 'text/css; charset=utf-8', CONSOLE_CSS, { 'cache-control': 'no-cache' });
        }
        const verdict = await allowed(req, { kind: 'view', readOnly: true, path: where.path });
        if (verdict !== true) throw new ConsoleHttpError(403, 'Refused', verdict);
        if (segments[0] === 'events' && segments.length === 1) return live.attach(req, res, SECURITY_HEADERS);
        const render = pageFor(segments, ctx);
        if (!render) throw new ConsoleHttpError(404, 'Not found', `There is no console page at '${where.path}'.`);
        return page(res, 200, await shared(`${where.base}${where.path}?${where.query}`, render));
      }
      if (method === 'POST' && where.path === '/actions') return await act(req, res, ctx);
      throw new ConsoleHttpError(405, 'Method not allowed', `${method} is not supported here: pages are read with GET and actions posted to ${where.base}/actions.`);
    } catch (error) {
      failed(res, ctx, error);
    }
  }

  function pageFor(segments: readonly string[], ctx: PageContext): (() => Promise<SafeHtml>) | undefined {
    const [section, item] = segments;
    if (segments.length === 0) return () => overviewPage(ctx, sources);
    if (segments.length === 2 && section === 'flags') return () => flagPage(ctx, sources, decodeSegment(item!));
    if (segments.length === 2 && section === 'releases') return () => releasePage(ctx, sources, decodeSegment(item!));
    if (segments.length === 1 && section === 'members') return () => membersPage(ctx, sources);
    if (segments.length === 2 && section === 'members') return () => memberPage(ctx, sources, decodeSegment(item!));
    if (segments.length === 1 && section === 'audit') return () => auditPage(ctx, sources);
    return undefined;
  }

  async function act(req: MountedRequest, res: ServerResponse, ctx: PageContext): Promise<void> {
    if (!authorize) throw new ConsoleHttpError(403, 'Refused', 'This console is read-only: createConsole was given no authorize hook, so no action is allowed. Nothing was changed.');
    const crossSite = crossSiteReason(req, trustedOrigins);
    if (crossSite) throw new ConsoleHttpError(403, 'Refused', `Cross-site request refused: ${crossSite}. Nothing was changed.`);
    const form = await readForm(req);
    if (!csrf.matches(form.get('csrf'))) {
      throw new ConsoleHttpError(403, 'Refused', 'The form is missing this console\'s CSRF token or it does not match (reload the page and try again). Nothing was changed.');
    }
    const action = parseAction(form);
    const verdict = await allowed(req, action);
    if (verdict !== true) throw new ConsoleHttpError(403, 'Refused', `${verdict} Nothing was changed.`);
    await performAction(gate, action, await actorOf(req));
    rendered.clear();
    const back = form.get('return') ?? '/';
    // Only ever redirect inside the console: a path, no scheme, no protocol-relative '//'.
    const target = /^\/(?!\/)[^\\\s]*$/.test(back) ? back.split('?')[0]! : '/';
    res.writeHead(303, { ...SECURITY_HEADERS, location: `${ctx.base}${target}?done=${action.kind}`, 'content-length': '0' });
    res.end();
  }

  function failed(res: ServerResponse, ctx: PageContext, error: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    let status = 500;
    let title = 'Something went wrong';
    let message = 'The console could not answer this request; nothing was changed by it.';
    if (error instanceof ConsoleHttpError) ({ status, title, message } = error);
    else if (error instanceof ValidationError) [status, title, message] = [400, 'Invalid request', error.message];
    else if (error instanceof NotFoundError) [status, title, message] = [404, 'Not found', error.message];
    else if (error instanceof IllegalTransitionError) [status, title, message] = [409, 'Not possible now', error.message];
    else if (error instanceof PhasegateError) [status, title, message] = [error.code === 'CONFLICT' || error.code === 'ALREADY_EXISTS' ? 409 : 503, 'Could not complete', error.message];
    try {
      page(res, status, messagePage(ctx, title, message, status === 403 ? 'refused' : 'error'));
    } catch {
      res.destroy();
    }
  }

  const handler = ((req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => {
    // Never let a console failure become an unhandled rejection in the host.
    route(req, res, next).catch(() => {
      if (!res.headersSent) {
        res.writeHead(500, SECURITY_HEADERS);
        res.end();
      } else res.destroy();
    });
  }) as ConsoleHandler;
  Object.defineProperty(handler, 'liveClients', { get: () => live.size });
  handler.close = () => live.close();
  return handler;
}
