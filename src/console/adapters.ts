import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConsoleHandler } from './console.js';

/** The part of a Koa context the adapter uses. */
export interface KoaLikeContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The full URL before koa-mount stripped the mount path. */
  readonly originalUrl?: string;
  /** Set to `false` so Koa leaves the response to the console. */
  respond?: boolean;
  /** A body parsed by koa-bodyparser, when one runs before the console. */
  readonly request?: { readonly body?: unknown };
}

/**
 * Koa middleware for the console: `app.use(mount('/console', koaConsole(handler)))`, or
 * `app.use(koaConsole(handler))` with `basePath` set on the console.
 */
export function koaConsole(handler: ConsoleHandler): (ctx: KoaLikeContext, next: () => Promise<unknown>) => Promise<void> {
  return (ctx, next) =>
    new Promise<void>((resolve, reject) => {
      const req = ctx.req as IncomingMessage & { originalUrl?: string; body?: unknown };
      if (ctx.originalUrl !== undefined) req.originalUrl = ctx.originalUrl;
      if (ctx.request?.body !== undefined && req.body === undefined) req.body = ctx.request.body;
      ctx.respond = false;
      ctx.res.once('finish', () => resolve());
      ctx.res.once('close', () => resolve());
      handler(req, ctx.res, () => {
        // Outside the console: give the request back to Koa.
        ctx.respond = true;
        next().then(() => resolve(), reject);
      });
    });
}

/** The part of a Fastify request and reply the adapter uses. */
export interface FastifyLikeRequest {
  readonly raw: IncomingMessage;
  readonly body?: unknown;
}
/** The part of a Fastify reply the adapter uses. */
export interface FastifyLikeReply {
  readonly raw: ServerResponse;
  hijack(): void;
}

/**
 * A Fastify route handler for the console. Register it for every method under the mount path,
 * with `basePath` set on the console:
 * `app.all('/console', fastifyConsole(handler)); app.all('/console/*', fastifyConsole(handler));`
 * Fastify parses JSON bodies itself; the console's forms are urlencoded, so add
 * `app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (req, body, done) => done(null, body))`.
 */
export function fastifyConsole(handler: ConsoleHandler): (request: FastifyLikeRequest, reply: FastifyLikeReply) => void {
  return (request, reply) => {
    reply.hijack();
    const req = request.raw as IncomingMessage & { body?: unknown };
    if (request.body !== undefined && req.body === undefined) req.body = request.body;
    handler(req, reply.raw);
  };
}
