import type { EarlyAccessStats } from '../early-access/early-access.js';
import type { Alert, Threshold } from '../analytics/model.js';
import type { MetricSeries, ReleaseHealth } from '../analytics/analytics.js';
import type { FlagStats } from '../flags/snapshot.js';
import type { Flag } from '../flags/model.js';
import type { Segment } from '../flags/segments.js';
import type { Release } from '../releases/model.js';
import { progressOf, type ReleaseProgress } from '../releases/releases.js';
import type { Phasegate } from '../phasegate.js';

/** Everything the terminal and HTML dashboards show, gathered once. */
export interface Overview {
  readonly now: number;
  readonly store: string;
  readonly flags: readonly Flag[];
  readonly flagStats: FlagStats;
  /** Targeting segments, with the flags whose rules use each. */
  readonly segments: ReadonlyArray<{ readonly segment: Segment; readonly usedBy: readonly string[] }>;
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
  const flags = await gate.flags.list();
  const releases = [];
  for (const release of await gate.releases.list()) {
    releases.push({ release, progress: progressOf(release, now), health: await gate.analytics.health(release.version) });
  }
  return {
    now,
    store: gate.store.name,
    flags,
    flagStats: gate.flags.stats(),
    segments: await segmentsWithUsers(gate, flags),
    currentVersion: await gate.releases.currentVersion(),
    releases,
    earlyAccess: await gate.earlyAccess.stats(),
    alerts: await gate.analytics.alerts(200),
    series: await gate.analytics.series(),
    thresholds: gate.analytics.thresholds(),
  };
}

async function segmentsWithUsers(gate: Phasegate, flags: readonly Flag[]): Promise<Overview['segments']> {
  return (await gate.segments.list()).map((segment) => ({
    segment,
    usedBy: flags.filter((flag) => (flag.rules ?? []).some((rule) => rule.segments?.includes(segment.key))).map((flag) => flag.key),
  }));
}
