/**
 * Loads the OpenFeature suite's flags (`test-flags.json`, in flagd's format) into phasegate
 * through its public API: each flagd flag becomes a `gate.flags.create` input with a value
 * type, named variants, a fallthrough variant and, for a `contextEvaluator`, one targeting rule.
 *
 * A `contextEvaluator` is a CEL expression; the suite uses only the form
 * `<condition> && <condition> … ? '<variant>' : ''` (an empty result means "no match: the
 * default variant"), with conditions `name == 'text'`, `name == 12`, `name > 10` (and `>=`, `<`,
 * `<=`, `!=`) and `!name` (a false boolean). This file parses exactly that form into phasegate
 * conditions and refuses anything else with an error naming the flag, so a new suite that needs
 * more fails loudly instead of passing by accident.
 */
import type { ConditionOperator, FlagInput } from '../../../src/index.js';

/** A condition as `gate.flags.create` takes it. */
interface ConditionInput {
  readonly attribute: string;
  readonly operator: ConditionOperator;
  readonly values: (string | number)[];
  readonly negate?: boolean;
}

/** A flag as `test-flags.json` writes it. */
export interface FlagdFlag {
  readonly variants: Readonly<Record<string, unknown>>;
  readonly defaultVariant?: string | null;
  readonly disabled?: boolean;
  readonly contextEvaluator?: string;
  readonly flagMetadata?: Readonly<Record<string, string | number | boolean>> | null;
}

/** The result of converting one flagd flag: a phasegate flag input, or why it has none. */
export type Converted = { readonly key: string; readonly input: FlagInput } | { readonly key: string; readonly skipped: string };

/** Converts every flag of a flagd file. */
export function convertFlagdFlags(flags: Readonly<Record<string, FlagdFlag>>): Converted[] {
  return Object.entries(flags).map(([key, flag]) => convertFlag(key, flag));
}

function valueTypeOf(key: string, values: readonly unknown[]): 'boolean' | 'string' | 'number' | 'json' {
  const types = new Set(values.map((value) => (value !== null && typeof value === 'object' ? 'json' : typeof value)));
  if (types.size !== 1) throw new Error(`flagd flag '${key}': variants of mixed types (${[...types].join(', ')})`);
  const [type] = types;
  if (type === 'boolean' || type === 'string' || type === 'number' || type === 'json') return type;
  throw new Error(`flagd flag '${key}': variants of type ${String(type)}`);
}

function convertFlag(key: string, flag: FlagdFlag): Converted {
  const names = Object.keys(flag.variants);
  const defaultVariant = flag.defaultVariant;
  // flagd answers these with the caller's fallback (no default variant to serve). phasegate
  // has no flag without something to serve; no scenario of the suite evaluates them.
  if (defaultVariant === null || defaultVariant === undefined) return { key, skipped: 'no default variant (flagd serves the fallback; phasegate requires one)' };
  if (!names.includes(defaultVariant)) throw new Error(`flagd flag '${key}': default variant '${defaultVariant}' is not one of its variants`);
  const input: Record<string, unknown> = {
    key,
    valueType: valueTypeOf(key, Object.values(flag.variants)),
    variants: names.map((name) => ({ name, value: flag.variants[name] })),
    offVariant: defaultVariant,
    fallthrough: { type: 'variant', variant: defaultVariant },
    state: flag.disabled === true ? 'disabled' : 'enabled',
    metadata: { ...(flag.flagMetadata ?? {}) },
  };
  if (flag.contextEvaluator !== undefined) {
    const rule = parseContextEvaluator(key, flag.contextEvaluator, names);
    input.rules = [rule];
  }
  return { key, input: input as FlagInput };
}

const COMPARISONS: Readonly<Record<string, ConditionInput['operator']>> = { '>': 'NUM_GT', '>=': 'NUM_GTE', '<': 'NUM_LT', '<=': 'NUM_LTE' };

/** `<conditions> ? '<variant>' : ''` as one phasegate rule serving that variant. */
export function parseContextEvaluator(key: string, expression: string, variants: readonly string[]): { id: string; conditions: ConditionInput[]; serve: { type: 'variant'; variant: string } } {
  const refuse = (why: string): never => {
    throw new Error(`flagd flag '${key}': contextEvaluator ${JSON.stringify(expression)} is outside the supported CEL subset: ${why}`);
  };
  const shape = /^(.+?)\?\s*'([^']*)'\s*:\s*'([^']*)'\s*$/.exec(expression);
  if (shape === null) return refuse("expected `<conditions> ? '<variant>' : ''`");
  const [, test, whenTrue, whenFalse] = shape as unknown as [string, string, string, string];
  if (whenFalse !== '') refuse('the else branch must be empty (the default variant)');
  if (!variants.includes(whenTrue)) refuse(`'${whenTrue}' is not one of the flag's variants`);
  const conditions = test.split('&&').map((part): ConditionInput => {
    const term = part.trim();
    const negated = /^!\s*([A-Za-z_][A-Za-z0-9_]*)$/.exec(term);
    if (negated) return { attribute: negated[1]!, operator: 'IN', values: ['false'] };
    const comparison = /^([A-Za-z_][A-Za-z0-9_]*)\s*(==|!=|>=|<=|>|<)\s*(?:'([^']*)'|(-?\d+(?:\.\d+)?)|(true|false))$/.exec(term);
    if (comparison === null) return refuse(`cannot read the condition ${JSON.stringify(term)}`);
    const [, attribute, operator, text, number, boolean] = comparison as unknown as [string, string, string, string | undefined, string | undefined, string | undefined];
    if (operator === '==' || operator === '!=') {
      const value = text ?? number ?? boolean!;
      const membership = operator === '==' ? 'IN' : 'NOT_IN';
      return number !== undefined ? { attribute, operator: 'NUM_EQ', values: [Number(number)], ...(operator === '!=' ? { negate: true } : {}) } : { attribute, operator: membership, values: [value] };
    }
    if (number === undefined) return refuse(`${operator} needs a number in ${JSON.stringify(term)}`);
    return { attribute, operator: COMPARISONS[operator]!, values: [Number(number)] };
  });
  return { id: 'context-evaluator', conditions, serve: { type: 'variant', variant: whenTrue } };
}
