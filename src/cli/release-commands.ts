import { progressOf } from '../releases/releases.js';
import type { Release, ReleaseType } from '../releases/model.js';
import { NotFoundError } from '../errors.js';
import { actor, arg, list, required, text, type Command, type CommandSpec } from './context.js';

function line(release: Release, now: number): string {
  const progress = progressOf(release, now);
  return `${release.version.padEnd(12)} ${release.type.padEnd(7)} ${release.status.padEnd(12)} ${(progress.phase ?? '-').padEnd(14)} ${progress.exposurePercentage}%${progress.held ? '  HELD' : ''}`;
}

function status(release: Release, now: number): string {
  const p = progressOf(release, now);
  const lines = [
    `release ${release.version} (${release.type}) — ${release.status}${p.held ? `, held: ${p.holdReason}` : ''}`,
    `phase:    ${p.phase ?? '-'}${p.phaseIndex !== null ? ` (${p.phaseIndex + 1} of ${p.phaseCount})` : ''}`,
    `exposure: ${p.exposurePercentage}% of users`,
    `next:     ${p.timeLeftInPhaseMs === null ? '-' : p.timeLeftInPhaseMs === 0 ? 'due now' : `in ${Math.round(p.timeLeftInPhaseMs / 3_600_000)}h`}`,
    `features: ${release.features.join(', ') || '-'}`,
    `plan:     ${release.plan.phases.map((phase) => `${phase.name} ${phase.percentage}%`).join(' → ')}`,
  ];
  if (release.rollback) lines.push(`rollback: ${release.rollback.reason} (by ${release.rollback.by}; steps: ${release.rollback.steps.map((s) => `${s.step.action} ${s.outcome}`).join(', ')})`);
  lines.push('history:');
  for (const event of release.history) {
    lines.push(`  ${new Date(event.at).toISOString().slice(0, 16).replace('T', ' ')}  ${event.kind.padEnd(8)} ${event.from ? `${event.from} → ` : ''}${event.to ?? ''}${event.percentage !== undefined ? ` (${event.percentage}%)` : ''}  by ${event.by}${event.note ? ` — ${event.note}` : ''}`);
  }
  return lines.join('\n');
}

const semi = (value: string | undefined) => (value === undefined ? undefined : value.split(';').map((part) => part.trim()).filter(Boolean));

const plan: Command = async (context) => {
  const { gate, options, out } = context;
  const version = arg(context, 0, 'VERSION', 'release');
  const release = await gate.releases.plan(
    {
      version,
      type: required(options, 'type', 'release') as ReleaseType,
      ...(list(options, 'features') ? { features: list(options, 'features')! } : {}),
      ...(semi(text(options, 'fixes')) ? { bugFixes: semi(text(options, 'fixes'))! } : {}),
      ...(semi(text(options, 'breaking')) ? { breakingChanges: semi(text(options, 'breaking'))! } : {}),
      ...(text(options, 'description') !== undefined ? { description: text(options, 'description')! } : {}),
    },
    actor(options),
  );
  out(`planned ${line(release, gate.clock.now())}`, release);
};

function simple(action: 'start' | 'advance' | 'resume' | 'complete'): Command {
  return async (context) => {
    const { gate, options, out } = context;
    const version = arg(context, 0, 'VERSION', 'release');
    const release = await gate.releases[action](version, actor(options));
    out(`${action === 'start' ? 'started' : action === 'advance' ? 'advanced' : action === 'resume' ? 'resumed' : 'completed'} ${line(release, gate.clock.now())}`, release);
  };
}

const hold: Command = async (context) => {
  const { gate, options, out } = context;
  const release = await gate.releases.hold(arg(context, 0, 'VERSION', 'release'), required(options, 'reason', 'release'), actor(options));
  out(`held ${line(release, gate.clock.now())}`, release);
};

const rollback: Command = async (context) => {
  const { gate, options, out } = context;
  const release = await gate.releases.rollback(arg(context, 0, 'VERSION', 'release'), required(options, 'reason', 'release'), actor(options));
  const unhandled = (release.rollback?.steps ?? []).filter((s) => s.outcome === 'unhandled').map((s) => s.step.action);
  out(
    [
      `rolled back ${line(release, gate.clock.now())}`,
      `current version: ${release.rollback?.currentVersionAfter ?? 'none'}`,
      // Loud: nobody in this process carries these steps out, so nobody was told.
      ...unhandled.map((step) => `WARNING: rollback step '${step}' has no handler in this process; nothing was done for it (use a 'webhook' step)`),
    ].join('\n'),
    release,
  );
};

const tick: Command = async ({ gate, out }) => {
  const result = await gate.tick();
  const n = result.notifications;
  const lines = [
    ...result.guarded.map((g) => `${g.version}: ${g.action}${g.breach ? ` (${g.breach.metric} ${Math.round(g.breach.value * 100) / 100} vs ${g.breach.limit})` : ''}`),
    // Loud: a rollback step nobody carried out means nobody was told.
    ...result.guarded.flatMap((g) => (g.unhandledSteps ?? []).map((step) => `WARNING: ${g.version}: rollback step '${step}' has no handler in this process; nothing was done for it (use a 'webhook' step)`)),
    ...result.advanced.map((a) => `${a.version}: ${a.from} → ${a.to}`),
    ...result.completed.map((v) => `${v}: completed`),
    ...result.waiting.map((w) => `${w.version}: waiting (${w.reason})`),
    ...(n.delivered.length ? [`notifications: ${n.delivered.length} delivered`] : []),
    ...n.failed.map((f) => `WARNING: notification ${f.id} to ${f.url} failed (${f.error}); ${f.willRetryAt === null ? 'gave up' : `retry at ${new Date(f.willRetryAt).toISOString()}`}`),
    ...(n.unsigned ? [`WARNING: ${n.unsigned} notification(s) waiting: set PHASEGATE_WEBHOOK_SECRET to sign and send them`] : []),
  ];
  out(lines.length ? lines.join('\n') : 'nothing to do', result);
};

const show: Command = async (context) => {
  const version = arg(context, 0, 'VERSION', 'release');
  const release = await context.gate.releases.get(version);
  if (!release) throw new NotFoundError('Release', version);
  context.out(status(release, context.gate.clock.now()), { release, progress: progressOf(release, context.gate.clock.now()) });
};

const listReleases: Command = async ({ gate, out }) => {
  const releases = await gate.releases.list();
  const current = await gate.releases.currentVersion();
  out(releases.length ? `${releases.map((r) => line(r, gate.clock.now())).join('\n')}\ncurrent version: ${current ?? 'none'}` : 'no releases', { releases, currentVersion: current });
};

/** `phasegate release …` */
export const releaseCommands: Readonly<Record<string, CommandSpec>> = {
  plan: { run: plan, positionals: ['VERSION'], writes: true, options: ['type', 'features', 'fixes', 'breaking', 'description', 'by'], required: ['type'] },
  start: { run: simple('start'), positionals: ['VERSION'], writes: true, options: ['by'] },
  advance: { run: simple('advance'), positionals: ['VERSION'], writes: true, options: ['by'] },
  resume: { run: simple('resume'), positionals: ['VERSION'], writes: true, options: ['by'] },
  complete: { run: simple('complete'), positionals: ['VERSION'], writes: true, options: ['by'] },
  hold: { run: hold, positionals: ['VERSION'], writes: true, options: ['reason', 'by'], required: ['reason'] },
  rollback: { run: rollback, positionals: ['VERSION'], writes: true, options: ['reason', 'by'], required: ['reason'] },
  tick: { run: tick, writes: true },
  status: { run: show, positionals: ['VERSION'] },
  list: { run: listReleases },
};
