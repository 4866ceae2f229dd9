import { createServer, IncomingMessage, ServerResponse, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Socket } from 'node:net';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPhasegate, MemoryStore, type Phasegate } from '../../src/index.js';
import { createConsole, fastifyConsole, koaConsole, type ConsoleHandler, type ConsoleOptions } from '../../src/console/index.js';
import { escapeHtml, html, maskEmail } from '../../src/console/html.js';
import { exposureSeries, plannedExposure } from '../../src/markup/charts.js';
import { defaultRolloutPlan, RELEASE_TYPES, type Release } from '../../src/index.js';

let gate: Phasegate;
const servers: Server[] = [];
const handlers: ConsoleHandler[] = [];

async function serve(options: Omit<ConsoleOptions, 'gate'>, wrap?: (handler: ConsoleHandler) => RequestListener): Promise<{ url: string; handler: ConsoleHandler }> {
  const handler = createConsole({ gate, ...options });
  handlers.push(handler);
  const server = createServer(wrap ? wrap(handler) : handler);
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, handler };
}

async function tokenOf(url: string): Promise<string> {
  const page = await (await fetch(url)).text();
  return /name="csrf" value="([^"]+)"/.exec(page)![1]!;
}

function post(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

beforeEach(async () => {
  gate = await createPhasegate({ store: new MemoryStore() });
  await gate.flags.create({ key: 'checkout', state: 'rollout', strategy: { type: 'percentage', percentage: 10 } });
  await gate.releases.plan({ version: '1.0.0', type: 'minor', features: ['search'] });
  await gate.releases.start('1.0.0');
});

afterEach(async () => {
  for (const handler of handlers.splice(0)) handler.close();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  }
  await gate.close();
});

describe('console over HTTP', () => {
  it('sends the strict Content-Security-Policy and no-store on pages, assets, errors and refusals', async () => {
    const { url } = await serve({ basePath: '/c' });
    for (const [path, status] of [['/c/', 200], ['/c/assets/console.js', 200], ['/c/assets/console.css', 200], ['/c/flags/nope', 404], ['/c/flags/checkout', 200]] as const) {
      const response = await fetch(`${url}${path}`);
      expect(response.status, path).toBe(status);
      expect(response.headers.get('content-security-policy'), path).toBe(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      );
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      const body = await response.text();
      // No inline script or style anywhere in the markup.
      if (path.endsWith('/') || path.includes('flags')) {
        expect(body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
        expect(body).not.toMatch(/<style|\sstyle="/);
      }
    }
    const refused = await post(`${url}/c/actions`, { action: 'flag.update' });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('is read-only without an authorize hook: an action is refused with 403 and changes nothing', async () => {
    const { url } = await serve({ basePath: '/c' });
    const before = await gate.store.get('flags', 'checkout');
    const token = await tokenOf(`${url}/c/flags/checkout`).catch(() => 'no-form-in-read-only-mode');
    const response = await post(`${url}/c/actions`, { csrf: token, action: 'flag.update', flag: 'checkout', state: 'enabled', reason: 'x' });
    expect(response.status).toBe(403);
    expect(await response.text()).toMatch(/read-only: createConsole was given no authorize hook/);
    expect(await gate.store.get('flags', 'checkout')).toEqual(before);
  });

  it('without an authorize hook, answers nobody but this machine', async () => {
    const handler = createConsole({ gate, basePath: '/c' });
    handlers.push(handler);
    const socket = new Socket();
    Object.defineProperty(socket, 'remoteAddress', { value: '203.0.113.7' });
    const req = new IncomingMessage(socket);
    req.method = 'GET';
    req.url = '/c/';
    const res = new ServerResponse(req);
    const chunks: string[] = [];
    res.write = ((chunk: string | Buffer) => (chunks.push(String(chunk)), true)) as typeof res.write;
    const finished = new Promise<void>((done) => {
      res.end = ((chunk?: string | Buffer) => {
        if (chunk) chunks.push(String(chunk));
        done();
        return res;
      }) as typeof res.end;
    });
    handler(req, res);
    await finished;
    expect(res.statusCode).toBe(403);
    expect(chunks.join('')).toContain('answers only this machine (loopback) unless createConsole is given an authorize hook');
  });

  it('needs the per-console token and a reason; refusals change nothing and write no audit entry', async () => {
    const { url } = await serve({ basePath: '/c', authorize: () => true, actor: 'ops' });
    const token = await tokenOf(`${url}/c/flags/checkout`);
    const before = await gate.store.get('flags', 'checkout');
    const audited = await gate.audit.list();
    const missing = await post(`${url}/c/actions`, { action: 'flag.update', flag: 'checkout', state: 'enabled', reason: 'x' });
    expect(missing.status).toBe(403);
    expect(await missing.text()).toContain('CSRF token');
    const wrong = await post(`${url}/c/actions`, { csrf: `${token.slice(0, -2)}xx`, action: 'flag.update', flag: 'checkout', state: 'enabled', reason: 'x' });
    expect(wrong.status).toBe(403);
    const noReason = await post(`${url}/c/actions`, { csrf: token, action: 'flag.update', flag: 'checkout', state: 'enabled' });
    expect(noReason.status).toBe(400);
    expect(await noReason.text()).toContain('reason: is required');
    const badPercentage = await post(`${url}/c/actions`, { csrf: token, action: 'flag.update', flag: 'checkout', percentage: '150', reason: 'x' });
    expect(badPercentage.status).toBe(400);
    expect(await badPercentage.text()).toContain('strategy.percentage: must be at most 100');
    const foreign = await post(`${url}/c/actions`, { csrf: token, action: 'flag.update', flag: 'checkout', state: 'enabled', reason: 'x' }, { origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(await foreign.text()).toContain("Origin &#39;https://evil.example&#39; is not this console&#39;s host");
    const sameSite = await post(`${url}/c/actions`, { csrf: token, action: 'flag.update', flag: 'checkout', state: 'enabled', reason: 'x' }, { 'sec-fetch-site': 'same-site' });
    expect(sameSite.status).toBe(403);
    expect(await gate.store.get('flags', 'checkout')).toEqual(before);
    expect(await gate.audit.list()).toEqual(audited);
  });

  it('performs an allowed action as the actor, redirects inside the console only, and audits it', async () => {
    const { url } = await serve({ basePath: '/c', authorize: (_req, action) => action.readOnly || action.kind === 'release.hold', actor: (req) => String(req.headers['x-user']) });
    const token = await tokenOf(`${url}/c/releases/1.0.0`);
    const response = await post(`${url}/c/actions`, { csrf: token, action: 'release.hold', version: '1.0.0', reason: 'error budget', return: '//evil.example/x' }, { 'x-user': 'kim', origin: url });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/c/?done=release.hold');
    expect((await gate.releases.get('1.0.0'))!.hold).toMatchObject({ by: 'kim', reason: 'error budget' });
    const [entry] = await gate.audit.list();
    expect(entry).toMatchObject({ actor: 'kim', action: 'release.hold', collection: 'releases', key: '1.0.0', reason: 'error budget' });
    expect(entry!.changes.map((c) => c.path)).toContain('hold');
    // The hook said no to anything else.
    const refused = await post(`${url}/c/actions`, { csrf: token, action: 'release.rollback', version: '1.0.0', reason: 'x' }, { origin: url });
    expect(refused.status).toBe(403);
    expect((await gate.releases.get('1.0.0'))!.status).toBe('in_progress');
  });

  it('answers an action the domain rejects with its message (409 for an illegal transition)', async () => {
    const { url } = await serve({ basePath: '/c', authorize: () => true });
    const token = await tokenOf(`${url}/c/releases/1.0.0`);
    const response = await post(`${url}/c/actions`, { csrf: token, action: 'release.resume', version: '1.0.0', reason: 'x' });
    expect(response.status).toBe(409);
    expect(await response.text()).toContain('it is not held');
  });

  it('streams changes as Server-Sent Events, and refuses followers past the limit with 503', async () => {
    const { url, handler } = await serve({ basePath: '/c', live: { maxClients: 1 } });
    const controller = new AbortController();
    const response = await fetch(`${url}/c/events`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = response.body!.getReader();
    const second = await fetch(`${url}/c/events`);
    expect(second.status).toBe(503);
    expect(handler.liveClients).toBe(1);
    await gate.flags.update('checkout', { strategy: { type: 'percentage', percentage: 42 } });
    let text = '';
    while (!text.includes('"percentage":42')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toMatch(/event: flag\ndata: \{"seq":\d+,"collection":"flags","key":"checkout","state":"rollout","percentage":42/);
    expect(text).toMatch(/event: change\ndata: \{"seq":\d+,"collection":"flags","key":"checkout","version":2\}/);
    controller.abort();
  });

  it('lists members a page at a time with masked emails, and reports a bad member record instead of failing the page', async () => {
    for (let i = 0; i < 55; i++) await gate.earlyAccess.enroll({ userId: `m-${String(i).padStart(2, '0')}`, email: `person${i}@example.com` });
    await gate.store.put('early-access-users', 'm-99', { userId: 'm-99', status: 'whatever' }, 0);
    const reported: string[] = [];
    gate.events.on('store:error', (event) => reported.push(event.error.message));
    const { url } = await serve({ basePath: '/c' });
    const first = await (await fetch(`${url}/c/members`)).text();
    expect(first.match(/data-member="/g)).toHaveLength(50);
    expect(first).not.toMatch(/person\d+@/);
    expect(first).toContain('p•••@e•••.com');
    const next = /rel="next" href="([^"]+)"/.exec(first)![1]!;
    const second = await (await fetch(`${url}${next.replace(/&amp;/g, '&')}`)).text();
    expect(second.match(/data-member="m-\d+"/g)).toEqual(['data-member="m-50"', 'data-member="m-51"', 'data-member="m-52"', 'data-member="m-53"', 'data-member="m-54"', 'data-member="m-99"']);
    expect(second).toContain('invalid member record');
    expect(reported.some((message) => message.includes("early-access member record 'm-99'"))).toBe(true);
  });

  it('works mounted the Express way (path stripped, originalUrl kept) and hands other paths to next', async () => {
    const { url } = await serve({}, (handler) => (req, res) => {
      const mounted = req as IncomingMessage & { originalUrl?: string };
      if (!req.url!.startsWith('/admin/console')) return void res.end('host app');
      mounted.originalUrl = req.url;
      req.url = req.url!.slice('/admin/console'.length) || '/';
      handler(req, res, () => res.end('next'));
    });
    const page = await (await fetch(`${url}/admin/console/flags/checkout`)).text();
    expect(page).toContain('href="/admin/console/assets/console.css"');
    expect(page).toContain('data-base="/admin/console"');
    const { url: other } = await serve({ basePath: '/ops' }, (handler) => (req, res) => handler(req, res, () => res.end('next')));
    expect(await (await fetch(`${other}/elsewhere`)).text()).toBe('next');
  });

  it('runs behind the Koa and Fastify adapters (their request and reply shapes)', async () => {
    const { url: koa } = await serve({ basePath: '/c' }, (handler) => (req, res) => {
      const ctx: { req: IncomingMessage; res: ServerResponse; originalUrl?: string; respond?: boolean } = { req, res, originalUrl: req.url! };
      void koaConsole(handler)(ctx, async () => void res.end('koa next'));
    });
    expect((await fetch(`${koa}/c/`)).status).toBe(200);
    expect(await (await fetch(`${koa}/other`)).text()).toBe('koa next');
    const { url: fastify } = await serve({ basePath: '/c', authorize: () => true }, (handler) => (req, res) => {
      fastifyConsole(handler)({ raw: req }, { raw: res, hijack: () => {} });
    });
    const token = await tokenOf(`${fastify}/c/flags/checkout`);
    const response = await post(`${fastify}/c/actions`, { csrf: token, action: 'flag.update', flag: 'checkout', state: 'enabled', reason: 'via fastify' });
    expect(response.status).toBe(303);
    expect((await gate.flags.get('checkout'))!.state).toBe('enabled');
  });
});

describe('console building blocks', () => {
  it('escapes every interpolated value: the text decodes back and holds no markup (property)', () => {
    const decode = (s: string) => s.replace(/&(amp|lt|gt|quot|#39|#96);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#96': '`' })[e]!);
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const escaped = escapeHtml(text);
        expect(escaped).not.toMatch(/[<>"'`]/);
        expect(decode(escaped)).toBe(text);
        expect(html`<p title="${text}">${text}</p>`.value).toBe(`<p title="${escaped}">${escaped}</p>`);
      }),
    );
  });

  it('masks emails: the name and domain never appear whole (property)', () => {
    fc.assert(
      fc.property(fc.emailAddress(), (email) => {
        const masked = maskEmail(email);
        const [name, domain] = [email.slice(0, email.lastIndexOf('@')), email.slice(email.lastIndexOf('@') + 1)];
        if (name.length > 1) expect(masked).not.toContain(`${name}@`);
        if (domain.split('.')[0]!.length > 1) expect(masked).not.toContain(domain);
      }),
    );
  });

  it("a plan's exposure never goes down over time, and the chart's plan line ends at the last phase (property)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...RELEASE_TYPES), fc.array(fc.integer({ min: 0, max: 30 * 86_400_000 }), { minLength: 2, maxLength: 20 }), (type, offsets) => {
        const startedAt = Date.UTC(2026, 0, 1);
        const plan = defaultRolloutPlan(type);
        const release = { startedAt, plan, history: [], rollback: null, releasedAt: null } as unknown as Release;
        const times = offsets.map((o) => startedAt + o).sort((a, b) => a - b);
        const levels = times.map((t) => plannedExposure(release, t));
        for (let i = 1; i < levels.length; i++) expect(levels[i]).toBeGreaterThanOrEqual(levels[i - 1]!);
        expect(exposureSeries(release, times.at(-1)!).plan.at(-1)![1]).toBe(plan.phases.at(-1)!.percentage);
      }),
    );
  });
});
