import type { EvaluationResult } from '../flags/evaluate.js';
import type { EvaluationContext, Flag } from '../flags/model.js';
import { describeStrategy } from '../flags/strategies/index.js';
import { describeCondition, describeServe } from '../cli/targeting-syntax.js';

/** One check of the evaluation explorer, in the order the evaluator makes them. */
export interface ExplorerStep {
  /** What was checked: `state`, `prerequisite`, `listed users`, `early access`, `rule`, `bucket by`, `strategy`, ... */
  readonly check: string;
  /** Which one, for checks that repeat (the prerequisite's flag key, the rule's id). */
  readonly name?: string;
  /** What the flag and context said. */
  readonly detail: string;
  /** `decided`: this check gave the answer; `passed`: it did not apply, evaluation went on; `skipped`: never reached. */
  readonly outcome: 'decided' | 'passed' | 'skipped';
}

/** What the explorer knows besides the flag's own result: the answers of its prerequisites. */
export interface ExplorerInputs {
  /** The result of each prerequisite flag for the same context (absent: the flag does not exist). */
  readonly prerequisite?: (flagKey: string) => EvaluationResult | undefined;
}

const STATE_REASONS = new Set(['DISABLED', 'ENABLED', 'DEPRECATED']);
const CONTEXT_REASONS = new Set(['INVALID_CONTEXT', 'ERROR', 'FLAG_NOT_FOUND', 'OVERRIDE_ON', 'OVERRIDE_OFF']);
const RULE_REASONS = new Set(['RULE_MATCH', 'RULE_MATCH_OFF', 'RULE_IN_PERCENTAGE', 'RULE_OUTSIDE_PERCENTAGE']);

/**
 * The checks behind a result, in the evaluator's order: state, prerequisites (each with its
 * answer), listed users, early access (beta flags), each rule (matched, or the first condition
 * that failed, naming its segment), `bucketBy`, then the strategy. Pure: built from the flag,
 * the context and the evaluator's own result (its rule trace, failed prerequisite, bucket), so
 * the step that decided is always the one the result names.
 */
export function explorerSteps(flag: Flag, context: EvaluationContext, result: EvaluationResult, inputs: ExplorerInputs = {}): ExplorerStep[] {
  const steps: ExplorerStep[] = [];
  let decided = CONTEXT_REASONS.has(result.reason);
  const add = (check: string, detail: string, decides: boolean, name?: string) => {
    steps.push({ check, ...(name === undefined ? {} : { name }), detail, outcome: decided ? 'skipped' : decides ? 'decided' : 'passed' });
    if (decides) decided = true;
  };
  if (result.reason === 'INVALID_CONTEXT' || result.reason === 'ERROR') {
    steps.push({ check: 'context', detail: result.errorMessage ?? 'the context is invalid', outcome: 'decided' });
  }
  add('state', `the flag is ${flag.state}`, STATE_REASONS.has(result.reason));

  for (const prerequisite of flag.prerequisites ?? []) {
    const required = prerequisite.enabled ? 'on' : 'off';
    const failed = result.reason === 'PREREQUISITE_FAILED' && result.prerequisite?.flag === prerequisite.flag;
    let actual: string;
    if (failed) actual = result.prerequisite!.actual;
    else {
      const answer = inputs.prerequisite?.(prerequisite.flag);
      actual = answer === undefined ? 'unknown' : `${answer.enabled ? 'on' : 'off'} (${answer.reason})`;
    }
    add('prerequisite', `'${prerequisite.flag}' must be ${required}: it is ${actual}`, failed, prerequisite.flag);
  }

  add(
    'listed users',
    context.userId === undefined
      ? 'no user id in the context'
      : `${flag.enabledUsers.length} listed user(s); this user is ${flag.enabledUsers.includes(context.userId) ? '' : 'not '}listed`,
    result.reason === 'LISTED_USER',
  );
  if (flag.state === 'beta') {
    add(
      'early access',
      `needs level ${flag.accessLevel ?? 'beta'} or a granted feature; context has level ${context.accessLevel ?? 'none'}${
        context.earlyAccessFeatures?.length ? ` and features ${context.earlyAccessFeatures.join(', ')}` : ''
      }`,
      result.reason === 'EARLY_ACCESS',
    );
  }

  const bucket = result.bucket !== undefined && result.threshold !== undefined ? `; bucket ${result.bucket} vs threshold ${result.threshold}` : '';
  const traces = new Map((result.rules ?? []).map((trace) => [trace.ruleId, trace]));
  for (const rule of flag.rules ?? []) {
    const when = [...(rule.segments ?? []).map((key) => `segment ${key}`), ...rule.conditions.map(describeCondition)].join(' and ');
    const trace = traces.get(rule.id);
    const serves = `serves ${describeServe(rule.serve)} when ${when}`;
    if (trace === undefined) {
      // Not tried: an earlier step decided, or an earlier rule matched.
      steps.push({ check: 'rule', name: rule.id, detail: serves, outcome: 'skipped' });
      continue;
    }
    if (trace.matched) {
      add('rule', `${serves}: matched${rule.serve.type === 'percentage' ? bucket : ''}`, RULE_REASONS.has(result.reason) || result.reason === 'NO_BUCKET_VALUE' || result.reason === 'NO_USER_ID', rule.id);
      continue;
    }
    const failure = trace.failure;
    const where = failure?.segment === undefined ? '' : `segment '${failure.segment}': `;
    add('rule', `${serves}: no match (${where}${failure?.message ?? 'did not match'})`, false, rule.id);
  }

  if (flag.bucketBy !== undefined) {
    const value = context.attributes?.[flag.bucketBy];
    add(
      'bucket by',
      `buckets by attribute '${flag.bucketBy}'; the context ${value === undefined ? 'does not have it' : `has ${JSON.stringify(value)}`}`,
      result.reason === 'NO_BUCKET_VALUE',
    );
  }
  // The bucket belongs to whichever step used it: a percentage rule that matched, or the strategy.
  add('strategy', `${describeStrategy(flag.strategy)}${decided ? '' : bucket}`, !decided);
  // Typed variants (issue 17): a flag with variants shows what it served as the last row; a
  // plain boolean flag's answer is already the decided step.
  if (flag.variants !== undefined && result.variant !== undefined) {
    steps.push({ check: 'served', detail: `variant ${JSON.stringify(result.variant)} · value ${JSON.stringify(result.value)}`, outcome: 'passed' });
  }
  return steps;
}
