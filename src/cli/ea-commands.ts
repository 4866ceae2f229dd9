import type { AccessLevel } from '../flags/model.js';
import { actor, arg, numeric, required, text, type Command, type CommandContext, type CommandSpec } from './context.js';
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

const listFeatures: Command = async ({ gate, out }) => {
  const features = await gate.earlyAccess.features();
  out(
    features.length
      ? features.map((f) => `${f.key}  ${f.level}  ${f.cap === null ? 'uncapped' : `${f.holders.length}/${f.cap} seats`}  rollout ${f.rolloutPercentage}%${f.enabled ? '' : '  DISABLED'}`).join('\n')
      : 'no early-access features',
    features.map(({ holders, ...rest }) => ({ ...rest, seatsUsed: holders.length })),
  );
};

function featureFields(context: CommandContext) {
  const { options } = context;
  const cap = numeric(options, 'cap', 'ea');
  const rollout = numeric(options, 'rollout', 'ea');
  if (options.enable && options.disable) throw new UsageError('--enable and --disable are opposites', 'ea');
  return {
    ...(text(options, 'level') ? { level: text(options, 'level') as AccessLevel } : {}),
    ...(cap !== undefined ? { cap } : {}),
    ...(rollout !== undefined ? { rolloutPercentage: rollout } : {}),
    ...(text(options, 'description') !== undefined ? { description: text(options, 'description')! } : {}),
    ...(options.enable ? { enabled: true } : options.disable ? { enabled: false } : {}),
  };
}

const createFeature: Command = async (context) => {
  const key = arg(context, 0, 'KEY', 'ea');
  const created = await context.gate.earlyAccess.createFeature({ ...featureFields(context), key, level: required(context.options, 'level', 'ea') as AccessLevel });
  context.out(`created early-access feature ${created.key} (${created.level}, ${created.cap === null ? 'uncapped' : `cap ${created.cap}`})`, created);
};

const updateFeature: Command = async (context) => {
  const key = arg(context, 0, 'KEY', 'ea');
  const fields = featureFields(context);
  if (Object.keys(fields).length === 0) throw new UsageError('nothing to change: give --level, --cap, --rollout, --description, --enable or --disable', 'ea');
  const updated = await context.gate.earlyAccess.updateFeature(key, fields);
  context.out(`updated early-access feature ${updated.key}`, updated);
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

const FEATURE_OPTIONS = ['level', 'cap', 'rollout', 'description', 'enable', 'disable'];

/** `phasegate ea …` (`feature create|update|list` are two words). */
export const earlyAccessCommands: Readonly<Record<string, CommandSpec>> = {
  enroll: { run: enroll, writes: true, options: ['user', 'email', 'level', 'by'], required: ['user', 'email'] },
  approve: { run: move('approve'), positionals: ['USER'], writes: true, options: ['by'] },
  activate: { run: move('activate'), positionals: ['USER'], writes: true, options: ['by'] },
  reinstate: { run: move('reinstate'), positionals: ['USER'], writes: true, options: ['by'] },
  graduate: { run: move('graduate'), positionals: ['USER'], writes: true, options: ['by'] },
  suspend: { run: suspend, positionals: ['USER'], writes: true, options: ['reason', 'by'], required: ['reason'] },
  feedback: { run: feedback, positionals: ['USER', 'FEATURE'], writes: true, options: ['rating', 'text'] },
  'feature create': { run: createFeature, positionals: ['KEY'], writes: true, options: FEATURE_OPTIONS, required: ['level'] },
  'feature update': { run: updateFeature, positionals: ['KEY'], writes: true, options: FEATURE_OPTIONS },
  'feature list': { run: listFeatures },
  stats: { run: stats },
  user: { run: user, positionals: ['USER'] },
};
