import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Duration, FileStore, ManualClock, MemoryStore, NotFoundError, createPhasegate } from '../../src/index.js';
import { gatherOverview, renderStatus } from '../../src/dashboard/index.js';

/** Regression tests for issue 15 items 7 (no data is not health) and 9 (nothing from after T counts at T). */

const START = Date.UTC(2026, 2, 2);

async function setup() {
  const clock = new ManualClock(START);
  const gate = await createPhasegate({ store: new MemoryStore(), clock });
  return { gate, clock };
}

async function record(gate: Awaited<ReturnType<typeof setup>>['gate'], clock: ManualClock, values: number[], release: string) {
  for (const value of values) {
    clock.advance(Duration.second);
    await gate.analytics.record({ metric: 'error_rate', value, release });
  }
}

describe('no data is not health (issue 15 item 7)', () => {
  it('a rolled-back release, a planned release and a version that does not exist are not "100 healthy"', async () => {
    const { gate, clock } = await setup();
    await gate.releases.plan({ version: '2.1.0', type: 'minor', features: ['f'] });
    await gate.releases.start('2.1.0');
    await record(gate, clock, [1, 1, 1, 1, 1], '2.1.0');
    expect(await gate.analytics.health('2.1.0')).toMatchObject({ score: 100, status: 'healthy', label: '100 healthy' });
    await gate.releases.rollback('2.1.0', 'bad reviews');
    expect(await gate.analytics.health('2.1.0')).toMatchObject({ score: null, status: 'rolled_back', label: 'rolled back' });

    await gate.releases.plan({ version: '2.2.0', type: 'minor' });
    expect(await gate.analytics.health('2.2.0')).toMatchObject({ score: null, status: 'no_data', label: 'no data' });
    await expect(gate.analytics.health('9.9.9')).rejects.toThrow(NotFoundError);

    const screen = renderStatus(await gatherOverview(gate));
    expect(screen).not.toMatch(/100 healthy|100 +healthy/);
    expect(screen).toMatch(/2\.1\.0 .*rolled back/);
    expect(screen).toMatch(/2\.2\.0 .*no data/);
  });

  it('fewer samples than the minimum is no data, not a score', async () => {
    const { gate, clock } = await setup();
    await gate.releases.plan({ version: '1.0.0', type: 'minor' });
    await gate.releases.start('1.0.0');
    await record(gate, clock, [1, 1], '1.0.0');
    expect(await gate.analytics.health('1.0.0')).toMatchObject({ score: null, status: 'no_data' });
  });

  it('`phasegate metric health 9.9.9` exits 1 saying it was not found', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'phasegate-health-'));
    try {
      const bin = resolve(import.meta.dirname, '../../dist/cli/main.js');
      // An existing (empty) store: reading one that does not exist is a different error.
      execFileSync(process.execPath, [bin, 'init', '--store', join(directory, 'store')]);
      const result = await new Promise<{ code: number; stdout: string; stderr: string }>((done) =>
        execFile(process.execPath, [bin, 'metric', 'health', '9.9.9', '--store', join(directory, 'store')], (error, stdout, stderr) =>
          done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        ),
      );
      expect(result.code).toBe(1);
      expect(result.stdout).not.toMatch(/healthy/);
      expect(result.stderr).toMatch(/Release '9\.9\.9' not found/);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('status at T counts nothing from after T (issue 15 item 9)', () => {
  it('health and alerts at T ignore samples and alerts recorded after T', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'phasegate-at-'));
    try {
      const clock = new ManualClock(START);
      const store = join(directory, 'store');
      const gate = await createPhasegate({ store: new FileStore(store), clock });
      await gate.releases.plan({ version: '1.0.0', type: 'minor', features: ['f'] });
      await gate.releases.start('1.0.0');
      await record(gate, clock, [1, 1, 1, 1, 1], '1.0.0');
      const before = clock.now();
      clock.advance(10 * Duration.minute);
      await record(gate, clock, [12, 12, 12, 12, 12], '1.0.0'); // later: a warning (mean 6.5), an alert and a hold
      expect((await gate.analytics.alerts()).length).toBeGreaterThan(0);
      await gate.close();

      const past = await createPhasegate({ store: new FileStore(store), clock: new ManualClock(before) });
      expect(await past.analytics.health('1.0.0')).toMatchObject({ score: 100, status: 'healthy', metrics: [expect.objectContaining({ samples: 5, value: 1 })] });
      expect(await past.analytics.alerts()).toEqual([]);
      await past.close();
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
