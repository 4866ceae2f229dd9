import { CONDITION_OPERATORS, type Condition, type ConditionOperator } from '../flags/conditions/index.js';
import type { Prerequisite, Rule, RuleServe } from '../flags/model.js';
import type { Options } from './context.js';
import { UsageError } from './usage.js';
import { describeSplit, parseSplit } from './variant-syntax.js';

/**
 * Reads one `--when` condition: `ATTRIBUTE [not] OPERATOR[/i] VALUE[,VALUE…]`, e.g.
 * `country IN DE,FR`, `appVersion SEMVER_GT 2.3.0`, `email not STR_ENDS_WITH/i @example.com`.
 * `REGEX` takes the rest of the line as one pattern (commas included).
 */
export function parseWhen(text: string, group: string): Condition {
  const match = /^\s*(\S+)\s+(?:(not)\s+)?([A-Z_]+)(\/i)?\s+(.+?)\s*$/.exec(text);
  if (!match) throw new UsageError(`--when must look like 'ATTRIBUTE [not] OPERATOR VALUE[,VALUE…]', got '${text}'`, group);
  const [, attribute, not, operatorText, insensitive, rest] = match as unknown as [string, string, string | undefined, string, string | undefined, string];
  if (!(CONDITION_OPERATORS as readonly string[]).includes(operatorText)) {
    throw new UsageError(`--when: unknown operator '${operatorText}' (one of ${CONDITION_OPERATORS.join(', ')})`, group);
  }
  const operator = operatorText as ConditionOperator;
  const values = operator === 'REGEX' ? [rest] : rest.split(',').map((value) => value.trim());
  return { attribute, operator, values, ...(not ? { negate: true } : {}), ...(insensitive ? { caseInsensitive: true } : {}) };
}

/** Every `--when` given (the option may repeat). */
export function conditionsFrom(options: Options, group: string): Condition[] {
  const given = options.when;
  const list = Array.isArray(given) ? given : typeof given === 'string' ? [given] : [];
  return list.map((text) => parseWhen(text, group));
}

/** `--serve on|off|P%|VARIANT|VARIANT=P,VARIANT=P` (a variant or a split on a flag with variants). */
export function serveFrom(options: Options, group: string): RuleServe {
  const text = options.serve;
  if (typeof text !== 'string') throw new UsageError('--serve on|off|P%|VARIANT|VARIANT=P,… is required', group);
  if (text === 'on' || text === 'off') return { type: text };
  const match = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (match) return { type: 'percentage', percentage: Number(match[1]) };
  const split = parseSplit(text, '--serve', group);
  if (split) return split;
  if (/^[A-Za-z0-9][A-Za-z0-9._:-]*$/.test(text)) return { type: 'variant', variant: text };
  throw new UsageError(`--serve must be on, off, a percentage such as 25%, a variant name or a split such as blue=50,red=50, got '${text}'`, group);
}

/** Every `--attr KEY=VALUE` as context attributes; numbers stay text (operators read numeric text). */
export function attributesFrom(options: Options, group: string): Record<string, string> {
  const given = options.attr;
  const list = Array.isArray(given) ? given : typeof given === 'string' ? [given] : [];
  const attributes: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const pair of list) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--attr must be KEY=VALUE, got '${pair}'`, group);
    attributes[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return { ...attributes };
}

/** A condition in the `--when` syntax. */
export function describeCondition(condition: Condition): string {
  return `${condition.attribute} ${condition.negate ? 'not ' : ''}${condition.operator}${condition.caseInsensitive ? '/i' : ''} ${condition.values.join(',')}`;
}

/** What a rule serves, in words. */
export function describeServe(serve: RuleServe): string {
  if (serve.type === 'variant') return `variant ${serve.variant}`;
  if (serve.type === 'split') return `split ${describeSplit(serve)}`;
  return serve.type === 'percentage' ? `${serve.percentage}%` : serve.type;
}

/** One line per rule: id, what it serves, and its segments and conditions. */
export function describeRule(rule: Rule): string {
  const parts = [...(rule.segments ?? []).map((key) => `segment ${key}`), ...rule.conditions.map(describeCondition)];
  return `${rule.id}: serve ${describeServe(rule.serve)} when ${parts.join(' and ')}`;
}

/**
 * `--bucket-by ATTR` and `--requires FLAG[:off],…` (a prerequisite is required on unless
 * suffixed `:off`); an empty `--requires ''` clears them.
 */
export function targetingFrom(options: Options): { bucketBy?: string; prerequisites?: Prerequisite[] | null } {
  const bucketBy = typeof options['bucket-by'] === 'string' ? options['bucket-by'] : undefined;
  const requires = typeof options.requires === 'string' ? options.requires : undefined;
  const prerequisites =
    requires === undefined
      ? undefined
      : requires.trim() === ''
        ? null
        : requires.split(',').map((part) => {
            const [flag, wanted] = part.trim().split(':');
            return { flag: flag ?? '', enabled: wanted !== 'off' };
          });
  return { ...(bucketBy !== undefined ? { bucketBy } : {}), ...(prerequisites !== undefined ? { prerequisites } : {}) };
}
