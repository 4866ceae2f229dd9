import * as z from 'zod';
import { isPollutingKey } from '../../validation.js';
import type { EvaluationContext } from '../model.js';
import { operatorFamily } from './registry.js';
import { CONDITION_OPERATORS, ConditionOutcome, type ConditionOperator, type ConditionValue } from './types.js';

const { MATCH, NO_MATCH, MISSING, WRONG_TYPE } = ConditionOutcome;

// model.ts's DEFAULT_RING, repeated so this module needs nothing from model.ts at load time
// (model.ts builds its schemas from this one). A test holds the two equal.
const DEFAULT_RING = 'production';

/**
 * Context fields a condition can name besides the keys of `context.attributes`: `userId`,
 * `ring` (`production` when unset), `accessLevel`, and `currentTime`, the evaluation clock's
 * time in epoch milliseconds (for `DATE_AFTER` / `DATE_BEFORE`).
 */
export const CONTEXT_FIELDS = ['userId', 'ring', 'accessLevel', 'currentTime'] as const;

/** Most values any one condition may list. */
export const MAX_CONDITION_VALUES = 10_000;

/** An attribute name: a context field or a key of `context.attributes`. */
export const attributeNameSchema = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')
  .refine((name) => !/[\u0000-\u001f\u007f]/.test(name), 'must not contain control characters')
  .refine((name) => !isPollutingKey(name), 'is a reserved name (prototype pollution)');

/**
 * One test on the context. `values` are what the operator compares against (see the operator
 * families); `negate` inverts a match but never turns a missing attribute or a value of the
 * wrong type into one. `caseInsensitive` applies to the string and regex operators.
 */
export const conditionSchema = z
  .strictObject({
    attribute: attributeNameSchema,
    operator: z.enum(CONDITION_OPERATORS, { error: `must be one of ${CONDITION_OPERATORS.join(', ')}` }),
    values: z
      .array(z.union([z.string(), z.number()], { error: 'must be a string or a number' }), { error: 'must be an array of values' })
      .max(MAX_CONDITION_VALUES, `may hold at most ${MAX_CONDITION_VALUES.toLocaleString('en-US')} values`),
    negate: z.boolean({ error: 'must be true or false' }).optional(),
    caseInsensitive: z.boolean({ error: 'must be true or false' }).optional(),
  })
  .superRefine((condition, context) => {
    const family = operatorFamily(condition.operator);
    if (condition.caseInsensitive && !family.caseInsensitive) {
      context.addIssue({ code: 'custom', path: ['caseInsensitive'], message: `does not apply to ${condition.operator} (only to string and regex operators)` });
    }
    for (const issue of family.check(condition.operator, condition.values, condition.caseInsensitive === true)) {
      context.addIssue({ code: 'custom', path: issue.index === undefined ? ['values'] : ['values', issue.index], message: issue.message });
    }
  });

/** A condition, as stored on a rule or a segment. */
export type Condition = z.infer<typeof conditionSchema>;

const FIELD_USER_ID = 0;
const FIELD_RING = 1;
const FIELD_ACCESS_LEVEL = 2;
const FIELD_NOW = 3;
const FIELD_ATTRIBUTE = 4;

/** Returned by {@link readAttribute} when reading the context threw (a throwing getter, a hostile Proxy). */
export const UNREADABLE: unique symbol = Symbol('unreadable attribute');

/**
 * The value of `name` in `context`: a context field, or an own key of `context.attributes`.
 * `undefined` when absent (or `null`); {@link UNREADABLE} when reading threw. Allocation-free
 * and never throws: the context is the host's and may be anything.
 */
export function readAttribute(context: EvaluationContext | undefined, field: number, name: string, now: number): unknown {
  if (field === FIELD_NOW) return now;
  if (context == null || typeof context !== 'object') return field === FIELD_RING ? DEFAULT_RING : undefined;
  try {
    switch (field) {
      case FIELD_USER_ID:
        return context.userId ?? undefined;
      case FIELD_RING:
        return context.ring ?? DEFAULT_RING;
      case FIELD_ACCESS_LEVEL:
        return context.accessLevel ?? undefined;
      default: {
        const attributes = context.attributes;
        if (attributes == null || typeof attributes !== 'object') return undefined;
        const value = (attributes as Record<string, unknown>)[name];
        // Only own keys count: `toString` is not an attribute just because objects inherit one.
        if (value == null || !Object.hasOwn(attributes, name)) return undefined;
        return value;
      }
    }
  } catch {
    return UNREADABLE;
  }
}

/**
 * Reads `context.attributes` once: the object, `undefined` when there is none (or it is not an
 * object), or {@link UNREADABLE} when reading threw. A rule reads it once for all its conditions.
 */
export function readAttributes(context: EvaluationContext | undefined): object | undefined | typeof UNREADABLE {
  if (context == null || typeof context !== 'object') return undefined;
  try {
    const attributes = context.attributes;
    return attributes != null && typeof attributes === 'object' ? attributes : undefined;
  } catch {
    return UNREADABLE;
  }
}

/** The own value of `name` in an attributes object read by {@link readAttributes}; `undefined` when absent or `null`. */
function readOwn(attributes: object, name: string): unknown {
  try {
    const value = (attributes as Record<string, unknown>)[name];
    // Only own keys count: `toString` is not an attribute just because objects inherit one.
    return value == null || !Object.hasOwn(attributes, name) ? undefined : value;
  } catch {
    return UNREADABLE;
  }
}

/** Which slot of the context an attribute name reads. */
export function fieldOf(name: string): number {
  const index = (CONTEXT_FIELDS as readonly string[]).indexOf(name);
  return index < 0 ? FIELD_ATTRIBUTE : index;
}

/** A condition compiled once (parsed values, sets, regexes) and tested on every evaluation. */
export class CompiledCondition {
  readonly condition: Condition;
  private readonly field: number;
  private readonly name: string;
  private readonly matcher: (value: unknown) => number;
  private readonly negate: boolean;
  private readonly missing: number;

  constructor(condition: Condition) {
    this.condition = condition;
    this.name = condition.attribute;
    this.field = fieldOf(condition.attribute);
    this.matcher = operatorFamily(condition.operator).compile(condition.operator, condition.values, condition.caseInsensitive === true);
    this.negate = condition.negate === true;
    // A missing attribute is not in any list, so NOT_IN holds for it (as in Unleash); nothing else does.
    this.missing = condition.operator === 'NOT_IN' && !this.negate ? MATCH : MISSING;
  }

  /** `MATCH` when the condition holds; otherwise why not (`NO_MATCH`, `MISSING`, `WRONG_TYPE`). */
  test(context: EvaluationContext | undefined, now: number): number {
    return this.testWith(context, this.field === FIELD_ATTRIBUTE ? readAttributes(context) : undefined, now);
  }

  /**
   * {@link CompiledCondition.test} with `context.attributes` already read by
   * {@link readAttributes} (a rule reads it once for all its conditions). Allocation-free.
   */
  testWith(context: EvaluationContext | undefined, attributes: object | undefined | typeof UNREADABLE, now: number): number {
    let value: unknown;
    if (this.field === FIELD_ATTRIBUTE) {
      if (attributes === undefined) return this.missing;
      value = attributes === UNREADABLE ? UNREADABLE : readOwn(attributes, this.name);
    } else value = readAttribute(context, this.field, this.name, now);
    if (value === undefined) return this.missing;
    if (value === UNREADABLE) return WRONG_TYPE;
    const outcome = this.matcher(value);
    if (outcome === WRONG_TYPE) return WRONG_TYPE;
    return (outcome === MATCH) !== this.negate ? MATCH : NO_MATCH;
  }
}

/** Compiles a validated condition. */
export function compileCondition(condition: Condition): CompiledCondition {
  return new CompiledCondition(condition);
}

/** Why a condition failed, in words, for `explainEvaluation` and the CLI. */
export function describeFailure(condition: Condition, outcome: number): string {
  const what = `${condition.attribute} ${condition.negate ? 'NOT ' : ''}${condition.operator} ${describeValues(condition.values)}`;
  if (outcome === MISSING) return `${condition.attribute} is missing (${what})`;
  if (outcome === WRONG_TYPE) return `${condition.attribute} has a value ${condition.operator} cannot read (${what})`;
  return `${what} does not hold`;
}

function describeValues(values: readonly ConditionValue[]): string {
  const shown = values.slice(0, 5).map((v) => JSON.stringify(v));
  return `[${shown.join(', ')}${values.length > 5 ? `, … ${values.length - 5} more` : ''}]`;
}

/** The outcome code's name. */
export function outcomeName(outcome: number): 'MATCH' | 'NO_MATCH' | 'MISSING' | 'WRONG_TYPE' {
  return outcome === MATCH ? 'MATCH' : outcome === NO_MATCH ? 'NO_MATCH' : outcome === MISSING ? 'MISSING' : 'WRONG_TYPE';
}

export type { ConditionOperator };
