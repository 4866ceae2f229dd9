import type { EvaluationResult } from '../flags/evaluate.js';
import type { Flag } from '../flags/model.js';
import { SPLIT_TOTAL, VALUE_TYPES, type Fallthrough, type FlagValue, type SplitServe, type ValueType, type Variant, type VariantTarget } from '../flags/variants.js';
import type { Options } from './context.js';
import { UsageError } from './usage.js';

/** Every value of a repeatable option. */
function repeated(options: Options, name: string): string[] {
  const given = options[name];
  return Array.isArray(given) ? given : typeof given === 'string' ? [given] : [];
}

/** `--type boolean|string|number|json`. */
export function valueTypeFrom(options: Options, group: string): ValueType | undefined {
  const given = options.type;
  if (given === undefined) return undefined;
  if (typeof given !== 'string' || !(VALUE_TYPES as readonly string[]).includes(given)) {
    throw new UsageError(`--type must be one of ${VALUE_TYPES.join(', ')}, got '${String(given)}'`, group);
  }
  return given as ValueType;
}

/** A variant value written on the command line, read as `type`: text as is, numbers, true/false, or JSON. */
export function parseValue(type: ValueType, text: string, where: string, group: string): FlagValue {
  switch (type) {
    case 'string':
      return text;
    case 'number': {
      const value = Number(text);
      if (text.trim() === '' || !Number.isFinite(value)) throw new UsageError(`${where}: a number flag's value must be a number, got '${text}'`, group);
      return value;
    }
    case 'boolean':
      if (text === 'true' || text === 'false') return text === 'true';
      throw new UsageError(`${where}: a boolean flag's value must be true or false, got '${text}'`, group);
    default:
      try {
        return JSON.parse(text) as FlagValue;
      } catch (error) {
        throw new UsageError(`${where}: a json flag's value must be JSON (${(error as Error).message}), got '${text}'`, group);
      }
  }
}

/** Every `--variant NAME=VALUE`, read as `type` (string when no type is given). */
export function variantsFrom(options: Options, type: ValueType | undefined, group: string): Variant[] | undefined {
  const given = repeated(options, 'variant');
  if (given.length === 0) return undefined;
  return given.map((pair) => {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--variant must be NAME=VALUE, got '${pair}'`, group);
    return { name: pair.slice(0, at), value: parseValue(type ?? 'string', pair.slice(at + 1), `--variant ${pair.slice(0, at)}`, group) };
  });
}

/**
 * A split written as `NAME=P,NAME=P` (percentages, up to three decimals, adding up to 100), or
 * `undefined` when `text` has no `=` (a variant name).
 */
export function parseSplit(text: string, option: string, group: string): SplitServe | undefined {
  if (!text.includes('=')) return undefined;
  const weights = text.split(',').map((part) => {
    const match = /^\s*([^=\s]+)\s*=\s*(\d+(?:\.\d{1,3})?)%?\s*$/.exec(part);
    if (!match) throw new UsageError(`${option}: each share must be NAME=PERCENT (up to three decimals), got '${part}'`, group);
    return { variant: match[1]!, weight: Math.round(Number(match[2]) * (SPLIT_TOTAL / 100)) };
  });
  const total = weights.reduce((sum, entry) => sum + entry.weight, 0);
  if (total !== SPLIT_TOTAL) throw new UsageError(`${option}: the shares must add up to 100%, they add up to ${total / (SPLIT_TOTAL / 100)}%`, group);
  return { type: 'split', weights };
}

/** `--fallthrough NAME` or `--fallthrough NAME=P,NAME=P`. */
export function fallthroughFrom(options: Options, group: string): Fallthrough | undefined {
  const text = typeof options.fallthrough === 'string' ? options.fallthrough : undefined;
  if (text === undefined) return undefined;
  return parseSplit(text, '--fallthrough', group) ?? { type: 'variant', variant: text.trim() };
}

/** Every `--target NAME=user1,user2`. */
export function targetsFrom(options: Options, group: string): VariantTarget[] | undefined {
  const given = repeated(options, 'target');
  if (given.length === 0) return undefined;
  return given.map((pair) => {
    const at = pair.indexOf('=');
    const users = pair.slice(at + 1).split(',').map((user) => user.trim()).filter(Boolean);
    if (at <= 0 || users.length === 0) throw new UsageError(`--target must be VARIANT=USER[,USER…], got '${pair}'`, group);
    return { variant: pair.slice(0, at), users };
  });
}

/** A value as the CLI prints it: JSON, so strings are quoted and objects readable. */
export function showValue(value: FlagValue | undefined): string {
  return value === undefined ? '-' : JSON.stringify(value);
}

/** A split as `blue 50% / red 50%`. */
export function describeSplit(split: SplitServe): string {
  return split.weights.map((entry) => `${entry.variant} ${entry.weight / (SPLIT_TOTAL / 100)}%`).join(' / ');
}

/** A fallthrough in words: `red`, or `blue 50% / red 50%`. */
export function describeFallthrough(fallthrough: Fallthrough | undefined): string {
  if (fallthrough === undefined) return '-';
  return fallthrough.type === 'variant' ? fallthrough.variant : describeSplit(fallthrough);
}

/** The variant lines of `flag show`, empty for a boolean flag without variants. */
export function variantDetails(flag: Flag): string[] {
  if (flag.variants === undefined) return [];
  return [
    `value type:   ${flag.valueType ?? 'boolean'}`,
    'variants:',
    ...flag.variants.map((variant) => `  ${variant.name} = ${showValue(variant.value)}${variant.description ? `  — ${variant.description}` : ''}`),
    `off variant:  ${flag.offVariant ?? '-'}`,
    `fallthrough:  ${describeFallthrough(flag.fallthrough)}`,
    ...(flag.targets ?? []).map((target) => `target:       ${target.variant} for ${target.users.length} user(s)`),
  ];
}

/** One short phrase for lists and the status screen: `string: blue 50% / red 50%`. */
export function describeVariants(flag: Flag): string | undefined {
  if (flag.variants === undefined) return undefined;
  return `${flag.valueType ?? 'boolean'}: ${describeFallthrough(flag.fallthrough)} (off: ${flag.offVariant ?? '-'})`;
}

/** The variant line of `flag eval`. */
export function describeServed(result: EvaluationResult): string | undefined {
  if (result.variantReason === undefined) return undefined;
  if (result.variant === undefined) return `no variant  (${result.variantReason}${result.errorCode ? ` ${result.errorCode}` : ''}: readers get their fallback)`;
  return `variant ${result.variant} = ${showValue(result.value)}  (${result.variantReason}${result.variantBucket !== undefined ? `, variant bucket ${result.variantBucket}` : ''})`;
}
