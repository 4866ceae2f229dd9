import { NotFoundError } from '../errors.js';
import type { Segment } from '../flags/segments.js';
import { arg, text, type Command, type CommandSpec } from './context.js';
import { conditionsFrom, describeCondition } from './targeting-syntax.js';
import { UsageError } from './usage.js';

function summary(segment: Segment): string {
  return `${segment.key}  ${segment.conditions.length} condition(s)${segment.description ? `  — ${segment.description}` : ''}`;
}

const create: Command = async (context) => {
  const { gate, options, out } = context;
  const key = arg(context, 0, 'KEY', 'segment');
  const conditions = conditionsFrom(options, 'segment');
  if (conditions.length === 0) throw new UsageError("give at least one --when 'ATTRIBUTE OPERATOR VALUES'", 'segment');
  const description = text(options, 'description');
  const segment = await gate.segments.create({ key, conditions, ...(description !== undefined ? { description } : {}) });
  out(`created ${summary(segment)}`, segment);
};

const list: Command = async ({ gate, out }) => {
  const segments = await gate.segments.list();
  out(segments.length ? segments.map(summary).join('\n') : 'no segments', segments);
};

const show: Command = async (context) => {
  const key = arg(context, 0, 'KEY', 'segment');
  const segment = await context.gate.segments.get(key);
  if (!segment) throw new NotFoundError('Segment', key);
  const usedBy = await context.gate.segments.usedBy(key);
  const lines = [
    `key:         ${segment.key}`,
    `description: ${segment.description || '-'}`,
    'conditions (all must hold):',
    ...segment.conditions.map((condition) => `  ${describeCondition(condition)}`),
    `used by:     ${usedBy.length ? usedBy.join(', ') : '-'}`,
  ];
  context.out(lines.join('\n'), { ...segment, usedBy });
};

const remove: Command = async (context) => {
  const key = arg(context, 0, 'KEY', 'segment');
  await context.gate.segments.delete(key);
  context.out(`deleted ${key}`, { deleted: key });
};

/** `phasegate segment …` */
export const segmentCommands: Readonly<Record<string, CommandSpec>> = {
  create: { run: create, positionals: ['KEY'], writes: true, options: ['when', 'description'] },
  list: { run: list },
  show: { run: show, positionals: ['KEY'] },
  delete: { run: remove, positionals: ['KEY'], writes: true },
};
