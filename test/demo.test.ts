import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { temporaryDirectories } from './support/temp.js';

const root = resolve(import.meta.dirname, '..');
const store = join(temporaryDirectories('demo')(), 'store');

describe('npm run demo', () => {
  let output = '';

  it('runs the 12-week rollout and exits 0', async () => {
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
      execFile('npm', ['run', '--silent', 'demo'], { cwd: root, env: { ...process.env, PHASEGATE_DEMO_STORE: store }, timeout: 120_000 }, (error, stdout, stderr) =>
        done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
    expect(result.code, result.stderr).toBe(0);
    output = result.stdout;
    expect(output).toMatch(/^ {3}0 {2}alpha +1% +1,077/m);
    expect(output).toMatch(/^ {2}12 {2}full +100% +100,000/m);
    expect(output).toMatch(/2\.1\.0 HELD: error_rate [\d.]+ is above its limit 5 in phase beta \(warning\)/);
    expect(output).toMatch(/2\.1\.0 ROLLED BACK: error_rate [\d.]+ is above its limit 5 in phase beta \(critical\)/);
    expect(output).toMatch(/^RELEASES {2}current version: 2\.0\.0/m);
    expect(output).toContain(`HTML dashboard: ${join(store, 'dashboard.html')}`);
  }, 120_000);

  it("the README's next step, phasegate status --store on the demo's store, works", async () => {
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
      execFile(process.execPath, [join(root, 'dist', 'cli', 'main.js'), 'status', '--store', store], (error, stdout, stderr) =>
        done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^RELEASES {2}current version: 2\.0\.0/m);
  });

  it('writes a dashboard whose charts render in a real browser', async () => {
    const page = join(store, 'dashboard.html');
    expect(existsSync(page)).toBe(true);
    if (!existsSync('/usr/bin/chromium')) throw new Error('Debian chromium is not installed (apt-get install chromium; .ci/run does this)');
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const tab = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const requests: string[] = [];
      tab.on('request', (request) => requests.push(request.url()));
      await tab.goto(pathToFileURL(page).href);
      // Only the page itself is loaded: no external assets.
      expect(requests).toEqual([pathToFileURL(page).href]);

      const releases = await tab.$$eval('svg[data-chart="release-exposure"]', (charts) =>
        charts.map((chart) => ({
          release: chart.getAttribute('data-release'),
          plan: chart.querySelector('[data-series="plan"]')?.getAttribute('points')?.split(' ').length ?? 0,
          actual: chart.querySelector('[data-series="actual"]')?.getAttribute('points')?.split(' ').length ?? 0,
          rollback: chart.querySelectorAll('[data-marker="rollback"]').length,
        })),
      );
      expect(releases.map((r) => r.release).sort()).toEqual(['2.0.0', '2.1.0']);
      const major = releases.find((r) => r.release === '2.0.0')!;
      expect(major.plan).toBeGreaterThanOrEqual(10); // five phases, two points each, and the tail
      expect(major.actual).toBeGreaterThanOrEqual(10);
      expect(releases.find((r) => r.release === '2.1.0')!.rollback).toBe(1);

      const metrics = await tab.$$eval('svg[data-chart="metric"]', (charts) =>
        charts.map((chart) => ({
          metric: chart.getAttribute('data-metric'),
          values: chart.querySelector('[data-series="values"]')?.getAttribute('points')?.split(' ').length ?? 0,
          threshold: chart.querySelectorAll('[data-series="threshold"]').length,
          alerts: chart.querySelectorAll('[data-marker="alert"]').length,
        })),
      );
      expect(metrics.map((m) => m.metric).sort()).toEqual(['error_rate', 'error_rate', 'feature_adoption', 'user_satisfaction']);
      expect(metrics.every((m) => m.values > 1 && m.threshold === 1)).toBe(true);
      expect(metrics.reduce((sum, m) => sum + m.alerts, 0)).toBeGreaterThanOrEqual(2);

      const bars = await tab.$$eval('svg[data-chart="early-access-funnel"] rect[data-bar]', (rects) =>
        rects.map((rect) => [rect.getAttribute('data-bar'), Number(rect.getAttribute('width'))] as const),
      );
      expect(bars.map(([bar]) => bar)).toEqual([
        'status:pending', 'status:approved', 'status:active', 'status:suspended', 'status:graduated',
        'level:alpha', 'level:beta', 'level:preview', 'level:stable',
      ]);
      expect(bars.find(([bar]) => bar === 'status:active')![1]).toBeGreaterThan(0);

      // The charts have real size on screen.
      const box = await tab.locator('svg[data-chart="release-exposure"]').first().boundingBox();
      expect(box!.width).toBeGreaterThan(300);
      mkdirSync(join(root, 'test-output'), { recursive: true });
      await tab.screenshot({ path: join(root, 'test-output', 'dashboard.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  }, 60_000);
});
