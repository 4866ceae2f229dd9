import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPhasegate, FileStore, type EvaluationContext, type Phasegate } from '../../src/index.js';
import { createConsole, type ConsoleHandler } from '../../src/console/index.js';

const root = resolve(import.meta.dirname, '../..');
const output = join(root, 'test-output');
const MARKUP = `<script>window.__pwned = 1</script><img src="x" onerror="window.__pwned = 2"><b class="injected">bold</b>`;

let directory: string;
let host: Phasegate;
let writer: Phasegate;
let handler: ConsoleHandler;
let server: Server;
let attacker: Server;
let base: string;
let attackerUrl: string;
let browser: Browser;
let allowWrites = true;
const audit = () => host.audit;

async function listen(server: Server): Promise<string> {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function newPage(width = 1280, colorScheme: 'light' | 'dark' = 'light'): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width, height: 900 }, colorScheme });
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('request', (request) => {
    if (!request.url().startsWith(base) && !request.url().startsWith(attackerUrl)) problems.push(`external request: ${request.url()}`);
  });
  return { page, problems };
}

beforeAll(async () => {
  if (!existsSync('/usr/bin/chromium')) throw new Error('Debian chromium is not installed (apt-get install chromium; .ci/run does this)');
  mkdirSync(output, { recursive: true });
  directory = mkdtempSync(join(tmpdir(), 'phasegate-console-'));
  // Two clients on two store instances over the same directory: the writer stands for another
  // process, and its writes reach the host only through the store's file watcher.
  host = await createPhasegate({ store: new FileStore(directory) });
  writer = await createPhasegate({ store: new FileStore(directory) });
  await writer.flags.create({ key: 'new-checkout', description: MARKUP, state: 'rollout', strategy: { type: 'percentage', percentage: 25 }, tags: ['checkout'] });
  await writer.flags.create({ key: 'canary-only', state: 'rollout', strategy: { type: 'ring', rings: ['canary', '<img src=x onerror="window.__pwned=3">'] } });
  await writer.flags.create({ key: 'vip-list', state: 'rollout', strategy: { type: 'userList', userIds: ['u-1', 'u-7'] }, enabledUsers: ['u-3'] });
  await writer.flags.create({ key: 'beta-search', state: 'beta', accessLevel: 'beta', strategy: { type: 'percentage', percentage: 10 } });
  await writer.releases.plan({ version: '2.0.0', type: 'minor', description: MARKUP, features: ['search-v2'] });
  await writer.releases.start('2.0.0');
  for (let i = 0; i < 8; i++) await writer.analytics.record({ metric: 'error_rate', value: 1 + i / 2, release: '2.0.0' });
  await writer.earlyAccess.enroll({ userId: 'u-1', email: 'alice.secret@example.com' });
  await writer.earlyAccess.enroll({ userId: 'u-2', email: 'bob.secret@example.com' });
  await writer.earlyAccess.createFeature({ key: 'dark-mode', level: 'beta' });
  await writer.earlyAccess.approve('u-2');
  await writer.earlyAccess.activate('u-2');
  await writer.earlyAccess.feedback('u-2', 'dark-mode', { rating: 4, text: MARKUP });
  await host.flags.list();
  for (let i = 0; i < 200; i++) host.isEnabled('new-checkout', { userId: `user-${i}` });

  handler = createConsole({
    gate: host,
    basePath: '/console',
    authorize: (_request, action) => action.readOnly || allowWrites,
    actor: (request) => String(request.headers['x-test-user'] ?? 'ops@console'),
  });
  server = createServer(handler);
  base = `${await listen(server)}/console`;
  // A page on another origin that posts to the console, as a malicious site would.
  attacker = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><form id="f" method="post" action="${base}/actions"><input name="csrf" value="${String((globalThis as { token?: string }).token ?? '')}"><input name="action" value="flag.update"><input name="flag" value="new-checkout"><input name="state" value="disabled"><input name="reason" value="evil"></form><script>document.getElementById('f').submit()</script>`);
  });
  // Another port is another origin (and, to the browser, another site's request).
  attackerUrl = await listen(attacker);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    // playwright gives every launch a fresh temporary profile (user-data-dir) and removes it on close.
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  handler?.close();
  if (server) {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  }
  if (attacker) await new Promise((done) => attacker.close(done));
  await writer?.close();
  await host?.close();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

describe('phasegate/console in a real browser', () => {
  it('renders the overview with its charts, only its own assets, at 1280 px, at 400 px and in dark mode', async () => {
    for (const [width, scheme] of [[1280, 'light'], [400, 'light'], [400, 'dark']] as const) {
      const { page, problems } = await newPage(width, scheme);
      const response = await page.goto(`${base}/`);
      expect(response!.status()).toBe(200);
      expect(response!.headers()['content-security-policy']).toContain("script-src 'self'");
      await page.waitForSelector('#live-status.connected');
      const flags = await page.$$eval('tr[data-flag]', (rows) => rows.map((row) => row.getAttribute('data-flag')));
      // dark-mode and search-v2 are the flags the early-access feature and the release created.
      expect(flags).toEqual(['beta-search', 'canary-only', 'dark-mode', 'new-checkout', 'search-v2', 'vip-list']);
      const evaluations = Number(await page.getAttribute('tr[data-flag="new-checkout"] [data-evaluations]', 'data-evaluations'));
      expect(evaluations).toBeGreaterThanOrEqual(200);
      const gauge = page.locator('svg[data-chart="exposure-gauge"][data-release="2.0.0"]');
      expect(await gauge.getAttribute('data-actual')).toBe('5');
      expect(await gauge.getAttribute('data-planned')).toBe('5');
      const bars = await page.$$eval('svg[data-chart="early-access-funnel"] rect[data-bar]', (rects) =>
        rects.map((rect) => [rect.getAttribute('data-bar'), Number(rect.getAttribute('width'))] as const),
      );
      expect(bars.map(([bar]) => bar)).toEqual(['pending', 'approved', 'active', 'suspended', 'graduated']);
      expect(bars.find(([bar]) => bar === 'pending')![1]).toBeGreaterThan(0);
      const funnel = await page.locator('svg[data-chart="early-access-funnel"]').boundingBox();
      expect(funnel!.width).toBeGreaterThan(width === 400 ? 300 : 400);
      // Nothing but the table scrollers may be wider than the screen.
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(width);
      if (scheme === 'dark') {
        const background = await page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
        expect(background).toBe('rgb(17, 21, 28)');
      }
      await page.screenshot({ path: join(output, `console-overview-${width}-${scheme}.png`), fullPage: true });
      expect(problems).toEqual([]);
      await page.close();
    }
  }, 60_000);

  it('shows a release with exposure against plan as SVG, metrics against limits, and its history', async () => {
    const { page, problems } = await newPage(800);
    await page.goto(`${base}/releases/2.0.0`);
    const chart = page.locator('svg[data-chart="release-exposure"][data-release="2.0.0"]');
    expect((await chart.locator('[data-series="plan"]').getAttribute('points'))!.split(' ').length).toBeGreaterThanOrEqual(8);
    expect((await chart.locator('[data-series="actual"]').getAttribute('points'))!.split(' ').length).toBeGreaterThanOrEqual(3);
    const metric = page.locator('svg[data-chart="metric"][data-metric="error_rate"]');
    expect((await metric.locator('[data-series="values"]').getAttribute('points'))!.split(' ')).toHaveLength(8);
    expect(await metric.locator('[data-series="threshold"]').count()).toBe(1);
    await page.screenshot({ path: join(output, 'console-release.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows a flag changed by another process within a second, without a reload', async () => {
    const { page, problems } = await newPage();
    await page.goto(`${base}/`);
    await page.waitForSelector('#live-status.connected');
    await page.evaluate('window.__sameDocument = true');
    const started = Date.now();
    await writer.flags.update('vip-list', { state: 'enabled' });
    await page.waitForSelector('tr[data-flag="vip-list"] [data-state="enabled"]', { timeout: 1000 });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(1000);
    // Same document: it was updated in place, not reloaded.
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    await page.screenshot({ path: join(output, 'console-live.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('the evaluation explorer agrees with gate.evaluate on a set of contexts', async () => {
    const { page, problems } = await newPage();
    const cases: Array<[string, EvaluationContext]> = [
      ['new-checkout', { userId: 'u-1' }],
      ['new-checkout', { userId: 'u-2' }],
      ['new-checkout', { userId: 'user-17' }],
      ['new-checkout', {}],
      ['canary-only', { ring: 'canary' }],
      ['canary-only', { userId: 'u-9' }],
      ['vip-list', { userId: 'u-3' }],
      ['vip-list', { userId: 'u-4' }],
      ['beta-search', { userId: 'u-5', accessLevel: 'alpha' }],
      ['beta-search', { userId: 'u-5' }],
      ['beta-search', { userId: 'u-6', earlyAccessFeatures: ['beta-search'] }],
    ];
    const typed = cases.length;
    for (let i = 0; i < 40; i++) cases.push([i % 2 ? 'new-checkout' : 'beta-search', { userId: `explorer-${i}`, ...(i % 3 ? {} : { accessLevel: 'preview' as const }) }]);
    for (const [index, [flag, context]] of cases.entries()) {
      if (index < typed) {
        // Through the form, as a person would...
        await page.goto(`${base}/flags/${flag}`);
        if (context.userId) await page.fill('input[name="userId"]', context.userId);
        if (context.ring) await page.fill('input[name="ring"]', context.ring);
        if (context.accessLevel) await page.selectOption('select[name="accessLevel"]', context.accessLevel);
        if (context.earlyAccessFeatures) await page.fill('input[name="features"]', context.earlyAccessFeatures.join(','));
        await Promise.all([page.waitForURL(/explore=1/), page.click('form.explorer button')]);
      } else {
        // ...and, for many more contexts, straight to the address the form produces.
        const query = new URLSearchParams({ explore: '1', userId: context.userId!, accessLevel: context.accessLevel ?? '' });
        await page.goto(`${base}/flags/${flag}?${query}`);
      }
      const shown = await page.locator('#explorer-result').evaluate((element) => ({
        enabled: element.getAttribute('data-enabled') === 'true',
        reason: element.getAttribute('data-reason'),
        decided: [...element.querySelectorAll('[data-outcome="decided"]')].map((row) => row.getAttribute('data-step')),
      }));
      const expected = host.evaluate(flag, context);
      expect({ flag, context, enabled: shown.enabled, reason: shown.reason }).toEqual({ flag, context, enabled: expected.enabled, reason: expected.reason });
      expect(shown.decided).toHaveLength(1);
    }
    await page.screenshot({ path: join(output, 'console-explorer.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  }, 90_000);

  it('the evaluation explorer shows prerequisites, rules (with segments), bucketBy and the strategy, agreeing with gate.evaluate', async () => {
    await writer.segments.create({ key: 'eu-pro', conditions: [{ attribute: 'country', operator: 'IN', values: ['DE', 'FR'] }, { attribute: 'plan', operator: 'IN', values: ['pro'] }] });
    await writer.flags.create({ key: 'kill-switch', state: 'rollout', strategy: { type: 'percentage', percentage: 100 }, rules: [{ id: 'blocked', conditions: [{ attribute: 'country', operator: 'IN', values: ['KP'] }], serve: { type: 'off' } }] });
    await writer.flags.create({
      key: 'targeted',
      state: 'rollout',
      strategy: { type: 'percentage', percentage: 30 },
      prerequisites: [{ flag: 'kill-switch', enabled: true }],
      bucketBy: 'accountId',
      rules: [
        { id: 'staff', conditions: [{ attribute: 'email', operator: 'STR_ENDS_WITH', values: ['@example.com'] }], serve: { type: 'on' } },
        { id: 'eu-pro-half', segments: ['eu-pro'], conditions: [{ attribute: 'age', operator: 'NUM_GTE', values: [18] }], serve: { type: 'percentage', percentage: 50 } },
        { id: 'old-app', conditions: [{ attribute: 'appVersion', operator: 'SEMVER_LT', values: ['2.0.0'] }], serve: { type: 'off' } },
      ],
    });
    // The host follows the writer's store through the file watcher.
    for (let i = 0; i < 200 && !host.allFlags().some((f) => f.key === 'targeted'); i++) await new Promise((done) => setTimeout(done, 25));
    const { page, problems } = await newPage();
    const contexts: EvaluationContext[] = [
      { userId: 'a', attributes: { country: 'KP', accountId: 'acme' } },
      { userId: 'b', attributes: { email: 'dana@example.com', accountId: 'acme' } },
      { userId: 'c', attributes: { country: 'DE', plan: 'pro', age: 30, accountId: 'globex' } },
      { userId: 'd', attributes: { country: 'FR', plan: 'pro', age: 30, accountId: 'initech' } },
      { userId: 'e', attributes: { country: 'DE', plan: 'free', age: 30, accountId: 'acme' } },
      { userId: 'f', attributes: { country: 'US', appVersion: '1.4.0', accountId: 'acme' } },
      { userId: 'g', attributes: { country: 'US' } },
      { userId: 'h', attributes: { country: 'DE', plan: 'pro', age: 12, accountId: 'umbrella' } },
    ];
    for (let i = 0; i < 24; i++) contexts.push({ userId: `t-${i}`, attributes: { country: ['DE', 'US', 'FR'][i % 3]!, plan: i % 2 ? 'pro' : 'free', age: 10 + i * 3, accountId: `acct-${i % 7}` } });
    const seen = new Set<string>();
    for (const [index, context] of contexts.entries()) {
      const attributes = JSON.stringify(context.attributes);
      if (index < 3) {
        await page.goto(`${base}/flags/targeted`);
        await page.fill('input[name="userId"]', context.userId!);
        await page.fill('input[name="attributes"]', attributes);
        await Promise.all([page.waitForURL(/explore=1/), page.click('form.explorer button')]);
      } else {
        await page.goto(`${base}/flags/targeted?${new URLSearchParams({ explore: '1', userId: context.userId!, attributes })}`);
      }
      const shown = await page.locator('#explorer-result').evaluate((element) => ({
        enabled: element.getAttribute('data-enabled') === 'true',
        reason: element.getAttribute('data-reason'),
        rows: [...element.querySelectorAll('tr[data-step]')].map((row) => ({
          step: row.getAttribute('data-step'),
          name: row.getAttribute('data-name'),
          outcome: row.getAttribute('data-outcome'),
          text: row.textContent ?? '',
        })),
      }));
      const expected = host.evaluate('targeted', context);
      seen.add(expected.reason);
      expect({ context, enabled: shown.enabled, reason: shown.reason }).toEqual({ context, enabled: expected.enabled, reason: expected.reason });
      const decided = shown.rows.filter((row) => row.outcome === 'decided');
      expect(decided, JSON.stringify(shown.rows)).toHaveLength(1);
      // The prerequisite is always shown with its answer, the rules in order, then bucketBy and the strategy.
      expect(shown.rows.map((row) => row.name ?? row.step)).toEqual(['state', 'kill-switch', 'listed users', 'staff', 'eu-pro-half', 'old-app', 'bucket by', 'strategy']);
      const prerequisite = shown.rows[1]!;
      expect(prerequisite.text).toContain(`it is ${host.isEnabled('kill-switch', context) ? 'on' : 'off'}`);
      if (expected.reason === 'PREREQUISITE_FAILED') expect(decided[0]!.name).toBe('kill-switch');
      if (expected.ruleId !== undefined) expect(decided[0]!.name).toBe(expected.ruleId);
      for (const trace of expected.rules ?? []) {
        const row = shown.rows.find((r) => r.name === trace.ruleId)!;
        if (!trace.matched) expect(row.text).toContain(trace.failure!.message);
        if (trace.failure?.segment) expect(row.text).toContain(`segment '${trace.failure.segment}'`);
      }
      if (expected.bucket !== undefined) expect(decided[0]!.text).toContain(`bucket ${expected.bucket}`);
    }
    // The set covered every kind of step deciding.
    expect([...seen].sort()).toEqual(expect.arrayContaining(['PREREQUISITE_FAILED', 'RULE_MATCH', 'RULE_MATCH_OFF', 'NO_BUCKET_VALUE']));
    expect([...seen].some((reason) => reason === 'RULE_IN_PERCENTAGE' || reason === 'RULE_OUTSIDE_PERCENTAGE')).toBe(true);
    expect([...seen].some((reason) => reason === 'IN_PERCENTAGE' || reason === 'OUTSIDE_PERCENTAGE')).toBe(true);
    await page.screenshot({ path: join(output, 'console-explorer-targeting.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  }, 90_000);

  it('an allowed action changes the store and writes an audit entry with actor, reason and diff', async () => {
    allowWrites = true;
    const { page, problems } = await newPage();
    await page.setExtraHTTPHeaders({ 'x-test-user': 'dana' });
    await page.goto(`${base}/flags/new-checkout`);
    await page.selectOption('form[data-action="flag.update"] select[name="state"]', 'enabled');
    await page.fill('form[data-action="flag.update"] input[name="reason"]', 'launch day');
    await Promise.all([page.waitForURL(/done=flag\.update/), page.click('form[data-action="flag.update"] button')]);
    expect((await writer.flags.get('new-checkout'))!.state).toBe('enabled');
    const [entry] = await audit().list({ key: 'new-checkout', limit: 1 });
    expect(entry).toMatchObject({ actor: 'dana', action: 'flag.update', reason: 'launch day', collection: 'flags' });
    expect(entry!.changes).toContainEqual({ path: 'state', before: 'rollout', after: 'enabled' });

    await page.goto(`${base}/releases/2.0.0`);
    await page.fill('form[data-action="release.hold"] input[name="reason"]', 'error rate climbing');
    await Promise.all([page.waitForURL(/done=release\.hold/), page.click('form[data-action="release.hold"] button')]);
    const release = await writer.releases.get('2.0.0');
    expect(release!.hold).toMatchObject({ by: 'dana', reason: 'error rate climbing' });

    await page.goto(`${base}/members`);
    await page.fill('tr[data-member="u-1"] form[data-action="member.approve"] input[name="reason"]', 'verified customer');
    await Promise.all([page.waitForURL(/done=member\.approve/), page.click('tr[data-member="u-1"] form[data-action="member.approve"] button')]);
    expect((await writer.earlyAccess.member('u-1'))!.status).toBe('approved');
    await page.goto(`${base}/audit`);
    const actions = await page.$$eval('tr[data-audit]', (rows) => rows.map((row) => row.getAttribute('data-action')));
    expect(actions.slice(0, 3)).toEqual(['member.approve', 'release.hold', 'flag.update']);
    const text = await page.locator('main').innerText();
    expect(text).not.toContain('alice.secret');
    await page.screenshot({ path: join(output, 'console-audit.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it('a refused action answers 403 with a clear message and changes nothing', async () => {
    const { page } = await newPage();
    await page.goto(`${base}/flags/canary-only`);
    allowWrites = false;
    const before = await host.store.get('flags', 'canary-only');
    const entriesBefore = (await audit().list({ limit: 1000 })).length;
    try {
      await page.selectOption('form[data-action="flag.update"] select[name="state"]', 'disabled');
      await page.fill('form[data-action="flag.update"] input[name="reason"]', 'not allowed');
      const [response] = await Promise.all([page.waitForResponse(`${base}/actions`), page.click('form[data-action="flag.update"] button')]);
      expect(response.status()).toBe(403);
      await page.waitForSelector('[data-message="refused"]');
      expect(await page.locator('[data-message="refused"]').innerText()).toMatch(/not allowed to flag\.update.*Nothing was changed/);
    } finally {
      allowWrites = true;
    }
    expect(await host.store.get('flags', 'canary-only')).toEqual(before);
    expect((await audit().list({ limit: 1000 })).length).toBe(entriesBefore);
    await page.screenshot({ path: join(output, 'console-refused.png'), fullPage: true });
    await page.close();
  });

  it('refuses a cross-site POST even when it carries the right token', async () => {
    // Read the real token the way only a same-origin page can, and give it to the attacker.
    const { page } = await newPage();
    await page.goto(`${base}/flags/vip-list`);
    (globalThis as { token?: string }).token = (await page.getAttribute('input[name="csrf"]', 'value'))!;
    const before = await host.store.get('flags', 'new-checkout');
    const [response] = await Promise.all([page.waitForResponse(`${base}/actions`), page.goto(`${attackerUrl}/`)]);
    expect(response.status()).toBe(403);
    expect(await response.text()).toContain('Cross-site request refused');
    expect(await host.store.get('flags', 'new-checkout')).toEqual(before);
    await page.close();
  });

  it('renders descriptions, rule values and feedback containing markup as text; no script runs', async () => {
    const { page, problems } = await newPage();
    for (const path of ['/flags/new-checkout', '/flags/canary-only', '/releases/2.0.0', '/members/u-2', '/']) {
      await page.goto(`${base}${path}`);
      await page.waitForLoadState('load');
      expect(await page.evaluate('window.__pwned')).toBeUndefined();
      expect(await page.locator('b.injected').count()).toBe(0);
    }
    await page.goto(`${base}/flags/new-checkout`);
    expect(await page.locator('[data-description]').innerText()).toBe(MARKUP);
    await page.goto(`${base}/flags/canary-only?explore=1&ring=canary`);
    expect(await page.locator('#explorer-result').innerText()).toContain('<img src=x onerror="window.__pwned=3">');
    await page.goto(`${base}/members/u-2`);
    expect(await page.locator('[data-feedback] p').innerText()).toBe(MARKUP);
    expect(await page.locator('main').innerText()).not.toContain('bob.secret');
    await page.screenshot({ path: join(output, 'console-markup-as-text.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });
});
