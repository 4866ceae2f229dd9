import type { EarlyAccessStats } from '../early-access/early-access.js';
import type { Alert, Threshold } from '../analytics/model.js';
import type { MetricSeries, ReleaseHealth } from '../analytics/analytics.js';
import type { FlagStats } from '../flags/snapshot.js';
import type { Flag } from '../flags/model.js';
import type { Release } from '../releases/model.js';
import { progressOf, type ReleaseProgress } from '../releases/releases.js';
import type { Phasegate } from '../phasegate.js';

/** Everything the terminal and HTML dashboards show, gathered once. */
export interface Overview {
  readonly now: number;
  readonly store: string;
  readonly flags: readonly Flag[];
  readonly flagStats: FlagStats;
  readonly currentVersion: string | null;
  readonly releases: ReadonlyArray<{ readonly release: Release; readonly progress: ReleaseProgress; readonly health: ReleaseHealth }>;
  readonly earlyAccess: EarlyAccessStats;
  readonly alerts: readonly Alert[];
  readonly series: readonly MetricSeries[];
  readonly thresholds: readonly Threshold[];
}

/** Reads the dashboards' data from a client. */
export async function gatherOverview(gate: Phasegate): Promise<Overview> {
  const now = gate.clock.now();
  const releases = [];
  for (const release of await gate.releases.list()) {
    releases.push({ release, progress: progressOf(release, now), health: await gate.analytics.health(release.version) });
  }
  return {
    now,
    store: gate.store.name,
    flags: await gate.flags.list(),
    flagStats: gate.flags.stats(),
    currentVersion: await gate.releases.currentVersion(),
    releases,
    earlyAccess: await gate.earlyAccess.stats(),
    alerts: await gate.analytics.alerts(200),
    series: await gate.analytics.series(),
    thresholds: gate.analytics.thresholds(),
  };
}
