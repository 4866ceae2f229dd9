import { explainEvaluation } from '../flags/evaluate.js';
import type { AccessLevel, Flag, FlagState, Strategy } from '../flags/model.js';
import type { Fallthrough, ValueType, Variant, VariantTarget } from '../flags/variants.js';
import { NotFoundError } from '../errors.js';
import { arg, instant, list, numeric, text, type Command, type CommandContext, type CommandSpec, type Options } from './context.js';
import { describeFlag, describeStrategy } from './status-screen.js';
import { STRATEGIES } from '../flags/strategies/index.js';
import { ruleCommand } from './rule-commands.js';
import { attributesFrom, describeRule, targetingFrom } from './targeting-syntax.js';
import { describeServed, fallthroughFrom, targetsFrom, valueTypeFrom, variantDetails, variantsFrom } from './variant-syntax.js';
import { UsageError } from './usage.js';

function strategyFrom(options: Options): Strategy | undefined {
  // Each strategy declares its options; at most one strategy's options may be given.
  const chosen: Array<{ definition: (typeof STRATEGIES)[number]; values: Map<string, number | string[] | undefined> }> = [];
  for (const definition of STRATEGIES) {
    const values = new Map<string, number | string[] | undefined>();
    for (const option of definition.cli.options) {
      const value =
        option.kind === 'number' ? numeric(options, option.name, 'flag') : option.kind === 'list' ? list(options, option.name) : instant(options, option.name, 'flag');
      values.set(option.name, value);
    }
    if ([...values.values()].some((value) => value !== undefined)) chosen.push({ definition, values });
  }
  if (chosen.length > 1) {
    const choices = STRATEGIES.map((definition) => definition.cli.options.map((option) => `--${option.name}`).join(' with '));
    throw new UsageError(`give one strategy: ${choices.slice(0, -1).join(', ')}, or ${choices.at(-1)}`, 'flag');
  }
  const only = chosen[0];
  if (!only) return undefined;
  const fail = (message: string): never => {
    throw new UsageError(message, 'flag');
  };
  return (only.definition.cli.fromOptions as (values: ReadonlyMap<string, number | string[] | undefined>, fail: (message: string) => never) => Strategy)(only.values, fail);
}

function summary(flag: Flag): string {
  return `${flag.key}  ${flag.state}  ${describeFlag(flag)}${flag.description ? `  — ${flag.description}` : ''}`;
}

/** What a newly created flag does for users, when its state makes its strategy moot. */
function creationNote(flag: Flag, strategyGiven: boolean): string {
  if (flag.state === 'rollout' || flag.state === 'beta') return '';
  if (!strategyGiven) return flag.state === 'disabled' ? `\nnote: ${flag.key} is disabled (off for everyone); turn it on with --state enabled, rollout or beta` : '';
  return `\nnote: ${flag.key} is ${flag.state}, so its ${describeStrategy(flag)} applies only once its state is rollout or beta: phasegate flag set ${flag.key} --state rollout`;
}

function details(flag: Flag): string {
  return [
    `key:          ${flag.key}`,
    `state:        ${flag.state} (${describeFlag(flag)})`,
    `strategy:     ${flag.strategy.type} (${describeStrategy(flag)})`,
    `description:  ${flag.description || '-'}`,
    `listed users: ${flag.enabledUsers.length}`,
    `salt:         ${flag.salt ?? `${flag.key} (the key)`}`,
    ...(flag.accessLevel ? [`access level: ${flag.accessLevel}`] : []),
    ...(flag.bucketBy ? [`bucket by:    ${flag.bucketBy}`] : []),
    ...(flag.prerequisites?.length ? [`requires:     ${flag.prerequisites.map((p) => `${p.flag} ${p.enabled ? 'on' : 'off'}`).join(', ')}`] : []),
    ...(flag.rules?.length ? ['rules (first match wins):', ...flag.rules.map((rule, index) => `  ${index + 1}. ${describeRule(rule)}`)] : []),
    ...variantDetails(flag),
    `hash version: ${flag.hashVersion}`,
    `updated:      ${new Date(flag.updatedAt).toISOString()}`,
  ].join('\n');
}

const create: Command = async ({ gate, args, options, out }) => {
  const key = args[0] ?? '';
  if (!key) throw new UsageError('missing KEY', 'flag');
  if (options.variant !== undefined && options.type === undefined) throw new UsageError('--variant needs --type string, number, json or boolean (the type of the values)', 'flag');
  const strategy = strategyFrom(options);
  const flag = await gate.flags.create({
    key,
    ...(text(options, 'state') ? { state: text(options, 'state') as FlagState } : {}),
    ...(strategy ? { strategy } : {}),
    ...(text(options, 'description') !== undefined ? { description: text(options, 'description')! } : {}),
    ...(text(options, 'salt') ? { salt: text(options, 'salt')! } : {}),
    ...(text(options, 'access-level') ? { accessLevel: text(options, 'access-level') as AccessLevel } : {}),
    ...(list(options, 'users-on') ? { enabledUsers: list(options, 'users-on')! } : {}),
    ...withoutNull(targetingFrom(options)),
    ...variantOptions(options),
  });
  out(`created ${summary(flag)}${creationNote(flag, strategy !== undefined)}`, flag);
};

const set: Command = async (context) => {
  const { gate, options, out } = context;
  const key = arg(context, 0, 'KEY', 'flag');
  const strategy = strategyFrom(options);
  // New variant values without --type are read as the stored flag's type.
  const storedType = options.variant !== undefined && options.type === undefined ? ((await gate.flags.get(key))?.valueType ?? 'boolean') : undefined;
  const change = {
    ...(text(options, 'state') ? { state: text(options, 'state') as FlagState } : {}),
    ...(strategy ? { strategy } : {}),
    ...(text(options, 'description') !== undefined ? { description: text(options, 'description')! } : {}),
    ...(text(options, 'access-level') ? { accessLevel: text(options, 'access-level') as AccessLevel } : {}),
    ...(list(options, 'users-on') ? { enabledUsers: list(options, 'users-on')! } : {}),
    ...targetingFrom(options),
    ...variantOptions(options, storedType),
  };
  if (Object.keys(change).length === 0) {
    throw new UsageError('nothing to change: give --state, a strategy option, --description, --access-level, --users-on, --bucket-by, --requires or a variant option', 'flag');
  }
  const flag = await gate.flags.update(key, change);
  out(`updated ${summary(flag)}`, flag);
};

const show: Command = async (context) => {
  const key = arg(context, 0, 'KEY', 'flag');
  const flag = await context.gate.flags.get(key);
  if (!flag) throw new NotFoundError('Flag', key);
  context.out(details(flag), flag);
};

const listFlags: Command = async ({ gate, out }) => {
  const flags = await gate.flags.list();
  out(flags.length ? flags.map(summary).join('\n') : 'no flags', flags);
};

const remove: Command = async (context) => {
  const key = arg(context, 0, 'KEY', 'flag');
  await context.gate.flags.delete(key);
  context.out(`deleted ${key}`, { deleted: key });
};

const evaluate: Command = async (context) => {
  const { gate, options, out } = context;
  const key = arg(context, 0, 'KEY', 'flag');
  if (!(await gate.flags.get(key))) throw new NotFoundError('Flag', key);
  const userId = text(options, 'user');
  // The context the library builds for this user: an early-access member's level and features.
  const evaluationContext = {
    ...(userId ? await gate.earlyAccess.contextFor(userId) : {}),
    ...(text(options, 'ring') ? { ring: text(options, 'ring')! } : {}),
    ...(text(options, 'access-level') ? { accessLevel: text(options, 'access-level') as AccessLevel } : {}),
    ...(options.attr !== undefined ? { attributes: attributesFrom(options, 'flag') } : {}),
  };
  const result = gate.evaluate(key, evaluationContext);
  const served = result.valueType !== undefined && result.valueType !== 'boolean' ? describeServed(result) : undefined;
  const lines = [
    `${result.enabled ? 'on' : 'off'}  reason ${result.reason}${result.bucket !== undefined ? `  bucket ${result.bucket} (threshold ${result.threshold})` : ''}`,
    ...(served !== undefined ? [served] : []),
    explainEvaluation(result),
  ];
  out(lines.join('\n'), result);
};

/**
 * `--type`, `--variant NAME=VALUE …`, `--off-variant`, `--fallthrough` and `--target`. Values are
 * read as `--type` says; without `--type`, `flag set` reads them as the stored flag's type is
 * checked on write (text, unless the flag's values are numbers, booleans or JSON).
 */
function variantOptions(options: Options, storedType?: ValueType): { valueType?: ValueType; variants?: Variant[]; offVariant?: string; fallthrough?: Fallthrough; targets?: VariantTarget[] } {
  const valueType = valueTypeFrom(options, 'flag');
  const variants = variantsFrom(options, valueType ?? storedType, 'flag');
  const fallthrough = fallthroughFrom(options, 'flag');
  const targets = targetsFrom(options, 'flag');
  const offVariant = text(options, 'off-variant');
  return {
    ...(valueType !== undefined ? { valueType } : {}),
    ...(variants !== undefined ? { variants } : {}),
    ...(offVariant !== undefined ? { offVariant } : {}),
    ...(fallthrough !== undefined ? { fallthrough } : {}),
    ...(targets !== undefined ? { targets } : {}),
  };
}

/** Creating needs no `null` (nothing to clear). */
function withoutNull<T extends object>(fields: T): { [K in keyof T]: Exclude<T[K], null> } {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== null)) as { [K in keyof T]: Exclude<T[K], null> };
}

/** Every strategy's options (`--percentage`, `--users`, …), from the strategy registry. */
const STRATEGY_OPTIONS = STRATEGIES.flatMap((definition) => definition.cli.options.map((option) => option.name));

/** Targeting options of `flag create` and `flag set`. */
const TARGETING_OPTIONS = ['bucket-by', 'requires'];

/** Variant options of `flag create` and `flag set`. */
const VARIANT_OPTIONS = ['type', 'variant', 'off-variant', 'fallthrough', 'target'];

/** `phasegate flag …` */
export const flagCommands: Readonly<Record<string, CommandSpec>> = {
  create: { run: create, positionals: ['KEY'], writes: true, options: ['state', 'description', ...STRATEGY_OPTIONS, 'salt', 'access-level', 'users-on', ...TARGETING_OPTIONS, ...VARIANT_OPTIONS] },
  list: { run: listFlags },
  show: { run: show, positionals: ['KEY'] },
  set: { run: set, positionals: ['KEY'], writes: true, options: ['state', 'description', ...STRATEGY_OPTIONS, 'access-level', 'users-on', ...TARGETING_OPTIONS, ...VARIANT_OPTIONS] },
  delete: { run: remove, positionals: ['KEY'], writes: true },
  eval: { run: evaluate, positionals: ['KEY'], options: ['user', 'ring', 'access-level', 'attr'] },
  rule: { run: ruleCommand, positionals: ['list|add|remove', 'KEY'], optionalPositionals: ['ID'], writes: true, options: ['id', 'when', 'segment', 'serve', 'position'] },
};

export type { CommandContext };
