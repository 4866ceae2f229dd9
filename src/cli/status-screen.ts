import type { Flag } from '../flags/model.js';
import { describeStrategy as describeStrategyOf } from '../flags/strategies/index.js';
import { describeComparison } from './metric-commands.js';
import { describeVariants } from './variant-syntax.js';
import type { Overview } from './overview.js';

function bar(percentage: number, width = 20): string {
  const filled = Math.round((Math.max(0, Math.min(100, percentage)) / 100) * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

function duration(ms: number | null): string {
  if (ms === null) return '-';
  if (ms === 0) return 'due';
  const hours = ms / 3_600_000;
  return hours >= 48 ? `${Math.round(hours / 24)}d` : hours >= 1 ? `${Math.round(hours)}h` : `${Math.round(ms / 60_000)}m`;
}

/** A one-line summary of a flag's strategy (each strategy describes itself). */
export function describeStrategy(flag: Flag): string {
  return describeStrategyOf(flag.strategy);
}

/** Who a flag is on for, in a few words: the strategy only matters in the rollout and beta states. */
export function describeFlag(flag: Flag): string {
  switch (flag.state) {
    case 'enabled':
      return 'on for everyone';
    case 'disabled':
      return 'off for everyone';
    case 'deprecated':
      return 'off (deprecated)';
    default: {
      const listed = flag.enabledUsers.length ? ` + ${flag.enabledUsers.length} listed user(s)` : '';
      return `${describeStrategy(flag)}${listed}`;
    }
  }
}

/** The one-screen terminal dashboard. */
export function renderStatus(overview: Overview): string {
  const lines: string[] = [];
  const { flagStats: stats } = overview;
  lines.push(`phasegate status — ${new Date(overview.now).toISOString().replace('T', ' ').slice(0, 16)} UTC — ${overview.store}`);
  lines.push('');
  lines.push(
    `FLAGS  ${stats.total} total: ${Object.entries(stats.byState)
      .map(([state, count]) => `${count} ${state}`)
      .join(', ')}`,
  );
  for (const flag of overview.flags.slice(0, 8)) {
    const targeted = flag.rules?.length ? ` + ${flag.rules.length} rule(s)` : '';
    const requires = flag.prerequisites?.length ? `, requires ${flag.prerequisites.map((p) => p.flag).join(', ')}` : '';
    const variants = describeVariants(flag);
    lines.push(`  ${flag.key.padEnd(28)} ${flag.state.padEnd(10)} ${describeFlag(flag)}${targeted}${requires}${variants ? `; ${variants}` : ''}`);
  }
  if (overview.flags.length > 8) lines.push(`  … and ${overview.flags.length - 8} more`);
  if (overview.segments.length > 0) {
    lines.push(`SEGMENTS  ${overview.segments.map(({ segment, usedBy }) => `${segment.key} (${segment.conditions.length} condition(s), ${usedBy.length} flag(s))`).join(', ')}`);
  }
  lines.push('');
  const inFlight = overview.releases.filter(({ release }) => ['in_progress', 'testing', 'staging'].includes(release.status));
  lines.push(`RELEASES  current version: ${overview.currentVersion ?? 'none'}; ${inFlight.length} in flight`);
  for (const { release, progress, health } of overview.releases.slice(0, 6)) {
    const phase = progress.phase ? `${progress.phase} (${(progress.phaseIndex ?? 0) + 1}/${progress.phaseCount})` : '-';
    const state = progress.held ? `${release.status}, HELD` : release.status;
    lines.push(
      `  ${release.version.padEnd(12)} ${state.padEnd(20)} ${phase.padEnd(20)} ${bar(progress.exposurePercentage, 12)} ${String(progress.exposurePercentage).padStart(5)}%  health ${health.label.padEnd(12)} next ${duration(progress.timeLeftInPhaseMs)}`,
    );
    if (progress.held && progress.holdReason) lines.push(`               held: ${progress.holdReason}`);
    if (release.rollback) lines.push(`               rolled back: ${release.rollback.reason}`);
    for (const comparison of health.comparisons) lines.push(`               ${describeComparison(comparison)}`);
  }
  lines.push('');
  const ea = overview.earlyAccess;
  lines.push(
    `EARLY ACCESS  ${ea.members.total} members: ${Object.entries(ea.members.byStatus)
      .map(([status, count]) => `${count} ${status}`)
      .join(', ')}`,
  );
  for (const feature of ea.features.slice(0, 6)) {
    const seats = feature.cap === null ? 'uncapped' : `${feature.seatsUsed}/${feature.cap} seats`;
    const rating = feature.meanRating === null ? 'no ratings' : `rating ${feature.meanRating}`;
    lines.push(`  ${feature.key.padEnd(28)} ${feature.level.padEnd(8)} ${seats.padEnd(16)} ${feature.feedbackCount} feedback, ${rating}`);
  }
  lines.push('');
  const recent = overview.alerts.filter((alert) => alert.at >= overview.now - 86_400_000);
  lines.push(`ALERTS  ${recent.length} in the last 24h (${overview.alerts.length} kept)`);
  for (const alert of recent.slice(0, 5)) {
    lines.push(
      `  ${new Date(alert.at).toISOString().slice(5, 16).replace('T', ' ')}  ${alert.severity.padEnd(8)} ${alert.metric} ${round(alert.value)} ${alert.bad === 'above' ? '>' : '<'} ${alert.limit}${alert.release ? `  (release ${alert.release})` : ''}`,
    );
  }
  return lines.join('\n');
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
