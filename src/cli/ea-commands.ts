import type { AccessLevel } from '../flags/model.js';
import { actor, arg, numeric, required, text, type Command } from './context.js';
import { UsageError } from './usage.js';

const enroll: Command = async ({ gate, options, out }) => {
  const member = await gate.earlyAccess.enroll(
    {
      userId: required(options, 'user', 'ea'),
      email: required(options, 'email', 'ea'),
      ...(text(options, 'level') ? { level: text(options, 'level') as AccessLevel } : {}),
    },
    actor(options),
  );
  // The email is the member's own data: echo the id, not the address.
  out(`enrolled ${member.userId} (${member.level}, pending)`, { userId: member.userId, level: member.level, status: member.status });
};

function move(action: 'approve' | 'activate' | 'reinstate' | 'graduate'): Command {
  return async (context) => {
    const member = await context.gate.earlyAccess[action](arg(context, 0, 'USER', 'ea'), actor(context.options));
    context.out(`${member.userId}: ${member.status} (${member.level})`, { userId: member.userId, level: member.level, status: member.status });
  };
}

const suspend: Command = async (context) => {
  const member = await context.gate.earlyAccess.suspend(arg(context, 0, 'USER', 'ea'), required(context.options, 'reason', 'ea'), actor(context.options));
  context.out(`${member.userId}: suspended (${member.suspension?.reason})`, { userId: member.userId, level: member.level, status: member.status });
};

const feedback: Command = async (context) => {
  const rating = numeric(context.options, 'rating', 'ea');
  const given = await context.gate.earlyAccess.feedback(arg(context, 0, 'USER', 'ea'), arg(context, 1, 'FEATURE', 'ea'), {
    ...(rating !== undefined ? { rating } : {}),
    ...(text(context.options, 'text') !== undefined ? { text: text(context.options, 'text')! } : {}),
  });
  context.out(`feedback recorded on ${given.feature}${given.rating !== null ? ` (rating ${given.rating})` : ''}`, given);
};

const feature: Command = async (context) => {
  const { gate, options, out } = context;
  const action = arg(context, 0, 'create, update or list', 'ea');
  if (action === 'list') {
    const features = await gate.earlyAccess.features();
    out(
      features.length
        ? features.map((f) => `${f.key}  ${f.level}  ${f.cap === null ? 'uncapped' : `${f.holders.length}/${f.cap} seats`}  rollout ${f.rolloutPercentage}%${f.enabled ? '' : '  DISABLED'}`).join('\n')
        : 'no early-access features',
      features.map(({ holders, ...rest }) => ({ ...rest, seatsUsed: holders.length })),
    );
    return;
  }
  const key = arg(context, 1, 'KEY', 'ea');
  const cap = numeric(options, 'cap', 'ea');
  const rollout = numeric(options, 'rollout', 'ea');
  if (options.enable && options.disable) throw new UsageError('--enable and --disable are opposites', 'ea');
  const fields = {
    ...(text(options, 'level') ? { level: text(options, 'level') as AccessLevel } : {}),
    ...(cap !== undefined ? { cap } : {}),
    ...(rollout !== undefined ? { rolloutPercentage: rollout } : {}),
    ...(text(options, 'description') !== undefined ? { description: text(options, 'description')! } : {}),
    ...(options.enable ? { enabled: true } : options.disable ? { enabled: false } : {}),
  };
  if (action === 'create') {
    const created = await gate.earlyAccess.createFeature({ key, level: required(options, 'level', 'ea') as AccessLevel, ...fields });
    out(`created early-access feature ${created.key} (${created.level}, ${created.cap === null ? 'uncapped' : `cap ${created.cap}`})`, created);
  } else if (action === 'update') {
    const updated = await gate.earlyAccess.updateFeature(key, fields);
    out(`updated early-access feature ${updated.key}`, updated);
  } else {
    throw new UsageError(`unknown ea feature action '${action}' (create, update, list)`, 'ea');
  }
};

const stats: Command = async ({ gate, out }) => {
  const s = await gate.earlyAccess.stats();
  const lines = [
    `members: ${s.members.total}`,
    `  by status: ${Object.entries(s.members.byStatus).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `  by level:  ${Object.entries(s.members.byLevel).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    'features:',
    ...s.features.map((f) => `  ${f.key}  seats ${f.seatsUsed === null ? 'uncapped' : `${f.seatsUsed}/${f.cap}`}  feedback ${f.feedbackCount}  mean rating ${f.meanRating ?? '-'}`),
  ];
  out(lines.join('\n'), s);
};

const user: Command = async (context) => {
  const dashboard = await context.gate.earlyAccess.dashboard(arg(context, 0, 'USER', 'ea'));
  context.out(
    [
      `${dashboard.userId}: ${dashboard.status}, level ${dashboard.level}`,
      `features: ${dashboard.features.join(', ') || '-'}`,
      `seats:    ${dashboard.seats.join(', ') || '-'}`,
      `feedback: ${dashboard.feedback.length}`,
    ].join('\n'),
    dashboard,
  );
};

/** `phasegate ea …` */
export const earlyAccessCommands: Readonly<Record<string, Command>> = {
  enroll,
  approve: move('approve'),
  activate: move('activate'),
  reinstate: move('reinstate'),
  graduate: move('graduate'),
  suspend,
  feedback,
  feature,
  stats,
  user,
};
