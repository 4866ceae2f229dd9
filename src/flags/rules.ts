import { thresholdFor } from './bucket.js';
import { CompiledCondition, ConditionOutcome, UNREADABLE, describeFailure, outcomeName, readAttributes, type Condition, type ConditionOperator } from './conditions/index.js';
import type { EvaluationContext, Rule, RuleServe } from './model.js';
import type { Segment } from './segments.js';

/** Where compiled rules find the segments they name (the client's snapshot). */
export interface SegmentLookup {
  /** The segment with `key`, or `undefined` when this client does not hold one. */
  segment(key: string): Segment | undefined;
}

/** Why a rule did not match: the first condition that failed, and how. */
export interface RuleFailure {
  /** The segment the failing condition belongs to; absent for the rule's own conditions. */
  readonly segment?: string;
  /** Index of the failing condition in the rule's (or the segment's) `conditions`; -1 when the segment is missing. */
  readonly index: number;
  readonly attribute?: string;
  readonly operator?: ConditionOperator;
  /** `NO_MATCH`, `MISSING` (attribute absent), `WRONG_TYPE`, or `SEGMENT_MISSING` (the segment does not exist). */
  readonly outcome: 'NO_MATCH' | 'MISSING' | 'WRONG_TYPE' | 'SEGMENT_MISSING';
  /** The failure in words. */
  readonly message: string;
}

/** One rule's part in an evaluation: whether it matched, and if not, why. */
export interface RuleTrace {
  readonly ruleId: string;
  readonly matched: boolean;
  readonly failure?: RuleFailure;
}

/** A rule with its own and its segments' conditions compiled into one list. */
export class CompiledRule {
  readonly rule: Rule;
  readonly serve: RuleServe;
  /** Buckets below this are on when the rule serves a percentage. */
  readonly threshold: number;
  private readonly conditions: readonly CompiledCondition[];
  /** For each compiled condition: the segment it came from ('' for the rule's own) and its index there. */
  private readonly origins: readonly { readonly segment: string; readonly index: number; readonly condition: Condition }[];
  /** A named segment this client does not hold: the rule cannot match until it appears. */
  private readonly missingSegment: string | undefined;

  constructor(rule: Rule, segments: SegmentLookup) {
    this.rule = rule;
    this.serve = rule.serve;
    this.threshold = rule.serve.type === 'percentage' ? thresholdFor(rule.serve.percentage) : 0;
    const conditions: CompiledCondition[] = [];
    const origins: { segment: string; index: number; condition: Condition }[] = [];
    rule.conditions.forEach((condition, index) => {
      conditions.push(new CompiledCondition(condition));
      origins.push({ segment: '', index, condition });
    });
    let missing: string | undefined;
    for (const key of rule.segments ?? []) {
      const segment = segments.segment(key);
      if (segment === undefined) {
        missing ??= key;
        continue;
      }
      segment.conditions.forEach((condition, index) => {
        conditions.push(new CompiledCondition(condition));
        origins.push({ segment: key, index, condition });
      });
    }
    this.conditions = conditions;
    this.origins = origins;
    this.missingSegment = missing;
  }

  /** Whether every condition holds; `attributes` is `context.attributes` as {@link readAttributes} read it. Allocation-free. */
  matches(context: EvaluationContext | undefined, attributes: object | undefined | typeof UNREADABLE, now: number): boolean {
    if (this.missingSegment !== undefined) return false;
    const conditions = this.conditions;
    for (let i = 0; i < conditions.length; i++) if (conditions[i]!.testWith(context, attributes, now) !== ConditionOutcome.MATCH) return false;
    return true;
  }

  /** The first failing condition, or `undefined` when the rule matches. */
  failure(context: EvaluationContext | undefined, now: number): RuleFailure | undefined {
    if (this.missingSegment !== undefined) {
      return { segment: this.missingSegment, index: -1, outcome: 'SEGMENT_MISSING', message: `segment '${this.missingSegment}' does not exist` };
    }
    const attributes = readAttributes(context);
    for (let i = 0; i < this.conditions.length; i++) {
      const outcome = this.conditions[i]!.testWith(context, attributes, now);
      if (outcome === ConditionOutcome.MATCH) continue;
      const origin = this.origins[i]!;
      const where = origin.segment ? `segment '${origin.segment}': ` : '';
      return {
        ...(origin.segment ? { segment: origin.segment } : {}),
        index: origin.index,
        attribute: origin.condition.attribute,
        operator: origin.condition.operator,
        outcome: outcomeName(outcome) as RuleFailure['outcome'],
        message: `${where}${describeFailure(origin.condition, outcome)}`,
      };
    }
    return undefined;
  }
}

/** A flag's rules, compiled in order. */
export class CompiledRules {
  readonly rules: readonly CompiledRule[];
  /** The segments these rules name (a segment edit recompiles every flag whose rules name it). */
  readonly segmentKeys: ReadonlySet<string>;
  /** Whether any condition (segments included) reads `currentTime`, so deciding must read the clock. */
  readonly usesClock: boolean;

  constructor(rules: readonly Rule[], segments: SegmentLookup) {
    this.rules = rules.map((rule) => new CompiledRule(rule, segments));
    this.segmentKeys = new Set(rules.flatMap((rule) => rule.segments ?? []));
    const conditions = rules.flatMap((rule) => [...rule.conditions, ...(rule.segments ?? []).flatMap((key) => segments.segment(key)?.conditions ?? [])]);
    this.usesClock = conditions.some((condition) => condition.attribute === 'currentTime');
  }

  /** Index of the first rule that matches, or -1. Allocation-free. */
  firstMatch(context: EvaluationContext | undefined, now: number): number {
    const rules = this.rules;
    // Read once for every condition: a getter on the host's context runs once per evaluation.
    const attributes = readAttributes(context);
    for (let i = 0; i < rules.length; i++) if (rules[i]!.matches(context, attributes, now)) return i;
    return -1;
  }

  /** Every rule up to and including the first match, each with why it did or did not match. */
  trace(context: EvaluationContext | undefined, now: number): RuleTrace[] {
    const traces: RuleTrace[] = [];
    for (const rule of this.rules) {
      const failure = rule.failure(context, now);
      traces.push(failure === undefined ? { ruleId: rule.rule.id, matched: true } : { ruleId: rule.rule.id, matched: false, failure });
      if (failure === undefined) break;
    }
    return traces;
  }
}
