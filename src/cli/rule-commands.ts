import { NotFoundError } from '../errors.js';
import type { Rule } from '../flags/model.js';
import { arg, list, numeric, text, type Command } from './context.js';
import { conditionsFrom, describeRule, serveFrom } from './targeting-syntax.js';
import { UsageError } from './usage.js';

async function rulesOf(context: Parameters<Command>[0], key: string): Promise<Rule[]> {
  const flag = await context.gate.flags.get(key);
  if (!flag) throw new NotFoundError('Flag', key);
  return flag.rules ?? [];
}

const add: Command = async (context) => {
  const { gate, options, out } = context;
  const key = arg(context, 1, 'KEY', 'flag');
  const id = text(options, 'id');
  if (!id) throw new UsageError('--id is required for flag rule add', 'flag');
  const conditions = conditionsFrom(options, 'flag');
  const segments = list(options, 'segment');
  const rule = { id, conditions, ...(segments ? { segments } : {}), serve: serveFrom(options, 'flag') };
  const rules = [...(await rulesOf(context, key))];
  const position = numeric(options, 'position', 'flag');
  if (position !== undefined && (!Number.isInteger(position) || position < 1 || position > rules.length + 1)) {
    throw new UsageError(`--position must be 1 to ${rules.length + 1}`, 'flag');
  }
  rules.splice(position === undefined ? rules.length : position - 1, 0, rule as Rule);
  const flag = await gate.flags.update(key, { rules });
  out(`added rule ${describeRule((flag.rules ?? []).find((r) => r.id === id)!)} to ${key}`, flag.rules);
};

const remove: Command = async (context) => {
  const key = arg(context, 1, 'KEY', 'flag');
  const id = arg(context, 2, 'RULE-ID', 'flag');
  const rules = await rulesOf(context, key);
  if (!rules.some((rule) => rule.id === id)) throw new NotFoundError(`Rule of flag '${key}'`, id);
  const flag = await context.gate.flags.update(key, { rules: rules.filter((rule) => rule.id !== id) });
  context.out(`removed rule ${id} from ${key}`, flag.rules ?? []);
};

const show: Command = async (context) => {
  const key = arg(context, 1, 'KEY', 'flag');
  const rules = await rulesOf(context, key);
  context.out(rules.length ? rules.map((rule, index) => `${index + 1}. ${describeRule(rule)}`).join('\n') : `${key} has no rules`, rules);
};

const ACTIONS: Readonly<Record<string, Command>> = { add, remove, list: show };

/** `phasegate flag rule add|remove|list …`: ordered targeting rules. */
export const ruleCommand: Command = async (context) => {
  const action = context.args[0];
  const run = action === undefined ? undefined : ACTIONS[action];
  if (!run) throw new UsageError(`flag rule needs add, remove or list${action ? ` (got '${action}')` : ''}`, 'flag');
  await run(context);
};
