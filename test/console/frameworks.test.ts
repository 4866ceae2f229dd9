import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import Koa from 'koa';
import mount from 'koa-mount';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPhasegate, MemoryStore, type Phasegate } from '../../src/index.js';
import { createConsole, fastifyConsole, koaConsole, type ConsoleHandler, type ConsoleOptions } from '../../src/console/index.js';

// Issue 20 item 2: the console mounted under a sub-path of real Express, Koa and Fastify apps on
// loopback: pages, Server-Sent Events, actions with CSRF, 403 refusals, and the host's own routes.

let gate: Phasegate;
let handler: ConsoleHandler;
let close: () => Promise<void>;

/** Who may act: the `x-role: operator` header (a stand-in for the host's own auth). */
const options: Omit<ConsoleOptions, 'gate'> = {
  authorize: (request, action) => action.readOnly || request.headers['x-role'] === 'operator',
  actor: (request) => String(request.headers['x-user'] ?? 'someone'),
};

async function listening(server: Server): Promise<string> {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

type App = (gate: Phasegate) => Promise<{ url: string; handler: ConsoleHandler; close: () => Promise<void> }>;

const apps: Array<[string, App]> = [
  [
    'Express',
    async () => {
      const app = express();
      const console_ = createConsole({ gate, ...options });
      // A body parser ahead of the console, as many apps have: the console reads req.body.
      app.use(express.urlencoded({ extended: false }));
      app.get('/', (_req, res) => void res.send('host home'));
      app.use('/admin/console', console_);
      const server = createServer(app);
      const url = await listening(server);
      return { url, handler: console_, close: () => stop(server) };
    },
  ],
  [
    'Koa',
    async () => {
      const app = new Koa();
      const console_ = createConsole({ gate, ...options });
      const router = new Router();
      router.get('/', (ctx) => void (ctx.body = 'host home'));
      app.use(mount('/admin/console', koaConsole(console_)));
      app.use(router.routes());
      const server = createServer(app.callback());
      const url = await listening(server);
      return { url, handler: console_, close: () => stop(server) };
    },
  ],
  [
    'Fastify',
    async () => {
      const app: FastifyInstance = Fastify();
      const console_ = createConsole({ gate, basePath: '/admin/console', ...options });
      const route = fastifyConsole(console_);
      app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body));
      app.get('/', async () => 'host home');
      app.all('/admin/console', route);
      app.all('/admin/console/*', route);
      await app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = app.server.address() as AddressInfo;
      return {
        url: `http://127.0.0.1:${port}`,
        handler: console_,
        close: async () => {
          app.server.closeAllConnections();
          await app.close();
        },
      };
    },
  ],
];

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
}

function post(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields).toString() });
}

/** Reads Server-Sent Events until `until` holds for one of them (or the time runs out). */
async function waitForEvent(response: Response, until: (event: { type: string; data: string }) => boolean, timeoutMs = 5000): Promise<{ type: string; data: string }> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const deadline = Date.now() + timeoutMs;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    while (Date.now() < deadline) {
      const chunk = await Promise.race([reader.read(), new Promise<undefined>((done) => (timer = setTimeout(() => done(undefined), deadline - Date.now())))]);
      clearTimeout(timer);
      if (chunk === undefined || chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const type = /^event: (.*)$/m.exec(message)?.[1] ?? 'message';
        const data = /^data: (.*)$/m.exec(message)?.[1] ?? '';
        if (until({ type, data })) return { type, data };
      }
    }
  } finally {
    clearTimeout(timer);
    await reader.cancel().catch(() => {});
  }
  throw new Error(`no matching event within ${timeoutMs} ms; received: ${buffer}`);
}

beforeEach(async () => {
  gate = await createPhasegate({ store: new MemoryStore(), resyncIntervalMs: 0 });
  await gate.flags.create({ key: 'checkout', state: 'rollout', strategy: { type: 'percentage', percentage: 10 } });
});

afterEach(async () => {
  handler?.close();
  await close?.();
  await gate.close();
});

describe.each(apps)('the console mounted at /admin/console in a real %s app', (_name, build) => {
  let base: string;
  let root: string;

  beforeEach(async () => {
    const app = await build(gate);
    ({ handler, close } = app);
    root = app.url;
    base = `${app.url}/admin/console`;
  });

  async function token(): Promise<string> {
    const page = await (await fetch(`${base}/flags/checkout`)).text();
    return /name="csrf" value="([^"]+)"/.exec(page)![1]!;
  }

  it('serves its pages and assets under the mount path, and leaves the host app its own routes', async () => {
    const overview = await fetch(`${base}/`);
    expect(overview.status).toBe(200);
    expect(overview.headers.get('content-security-policy')).toContain("default-src 'none'");
    const markup = await overview.text();
    expect(markup).toContain('data-base="/admin/console"');
    expect(markup).toContain('href="/admin/console/assets/console.css"');
    expect((await fetch(`${base}/assets/console.js`)).headers.get('content-type')).toContain('text/javascript');
    expect(await (await fetch(`${root}/`)).text()).toBe('host home');
    expect((await fetch(`${base}/flags/no-such-flag`)).status).toBe(404);
  });

  it('streams changes over Server-Sent Events through the framework', async () => {
    const events = await fetch(`${base}/events`);
    expect(events.status).toBe(200);
    expect(events.headers.get('content-type')).toContain('text/event-stream');
    const seen = waitForEvent(events, (event) => event.type === 'change' && event.data.includes('"checkout"'));
    // Give the stream a moment to be registered before changing the flag.
    for (let i = 0; i < 100 && handler.liveClients === 0; i++) await new Promise((done) => setTimeout(done, 10));
    await gate.flags.update('checkout', { strategy: { type: 'percentage', percentage: 20 } });
    expect(JSON.parse((await seen).data)).toMatchObject({ collection: 'flags', key: 'checkout' });
  });

  it('performs an allowed POST action with the CSRF token, recording the actor and reason', async () => {
    const response = await post(
      `${base}/actions`,
      { csrf: await token(), action: 'flag.update', flag: 'checkout', state: 'enabled', reason: 'launch day', return: '/flags/checkout' },
      { 'x-role': 'operator', 'x-user': 'dana@ops', origin: root },
    );
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/admin/console/flags/checkout?done=flag.update');
    expect((await gate.flags.get('checkout'))!.state).toBe('enabled');
    const [entry] = await gate.audit.list({ key: 'checkout' });
    expect(entry).toMatchObject({ actor: 'dana@ops', reason: 'launch day', changes: [{ path: 'state', before: 'rollout', after: 'enabled' }] });
  });

  it('refuses with 403 and changes nothing: no token, a wrong token, a cross-site origin, or authorize saying no', async () => {
    const before = await gate.store.get('flags', 'checkout');
    const fields = { action: 'flag.update', flag: 'checkout', state: 'disabled', reason: 'x' };
    const operator = { 'x-role': 'operator' };
    const refusals = [
      [await post(`${base}/actions`, fields, operator), /CSRF token/],
      [await post(`${base}/actions`, { ...fields, csrf: 'forged' }, operator), /CSRF token/],
      [await post(`${base}/actions`, { ...fields, csrf: await token() }, { ...operator, origin: 'http://evil.example' }), /Origin &#39;http:\/\/evil\.example&#39; is not this console&#39;s host/],
      [await post(`${base}/actions`, { ...fields, csrf: await token() }, { ...operator, 'sec-fetch-site': 'cross-site' }), /another site/],
      [await post(`${base}/actions`, { ...fields, csrf: await token() }, { 'x-role': 'viewer' }), /not allowed to flag\.update: the host&#39;s authorize hook refused/],
    ] as const;
    for (const [response, message] of refusals) {
      expect(response.status).toBe(403);
      const text = await response.text();
      expect(text).toMatch(message);
      expect(text).toContain('Nothing was changed');
    }
    expect(await gate.store.get('flags', 'checkout')).toEqual(before);
  });
});
