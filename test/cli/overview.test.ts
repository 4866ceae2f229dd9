import { describe, expect, it } from 'vitest';
import { gatherOverview } from '../../src/cli/overview.js';
import { renderDashboardHtml } from '../../src/cli/dashboard-html.js';
import { ManualClock, MemoryStore, createPhasegate } from '../../src/index.js';

const DAY = 86_400_000;
const start = Date.UTC(2026, 2, 2);

describe('dashboards at an earlier time (--at T)', () => {
  it('show no metric point or alert recorded after T', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock(start);
    const writer = await createPhasegate({ store, clock });
    await writer.analytics.setThreshold({ metric: 'error_rate', limit: 5, bad: 'above' });
    await writer.analytics.record({ metric: 'error_rate', value: 1 });
    clock.advance(4 * DAY);
    for (let i = 0; i < 5; i++) await writer.analytics.record({ metric: 'error_rate', value: 90 });

    const now = await createPhasegate({ store, clock: new ManualClock(start + 4 * DAY) });
    const today = await gatherOverview(now);
    expect(today.series[0]!.recent.some((point) => point.value === 90)).toBe(true);

    const earlier = await createPhasegate({ store, clock: new ManualClock(start + 2 * DAY) });
    const then = await gatherOverview(earlier);
    expect(then.series[0]!.recent.map((point) => point.value)).toEqual([1]);
    expect(then.alerts.every((alert) => alert.at <= start + 2 * DAY)).toBe(true);
    expect(renderDashboardHtml(then)).not.toContain('>90<');
    for (const gate of [earlier, now, writer]) await gate.close();
  });
});
