import type { EvaluationResult } from '../flags/evaluate.js';
import type { EvaluationContext, Flag } from '../flags/model.js';

/** One check of the evaluation explorer, in the order the evaluator makes them. */
export interface ExplorerStep {
  /** What was checked. */
  readonly check: string;
  /** What the flag and context said. */
  readonly detail: string;
  /** `decided`: this check gave the answer; `passed`: it did not apply, evaluation went on; `skipped`: never reached. */
  readonly outcome: 'decided' | 'passed' | 'skipped';
}

const STATE_REASONS = new Set(['DISABLED', 'ENABLED', 'DEPRECATED']);
const CONTEXT_REASONS = new Set(['INVALID_CONTEXT', 'ERROR', 'FLAG_NOT_FOUND', 'OVERRIDE_ON', 'OVERRIDE_OFF']);

function strategyDetail(flag: Flag): string {
  const s = flag.strategy;
  switch (s.type) {
    case 'percentage':
      return `percentage: on for ${s.percentage}% of users by bucket`;
    case 'userList':
      return `user list of ${s.userIds.length} user(s)`;
    case 'ring':
      return `rings: ${s.rings.join(', ')}`;
    case 'gradual':
      return `gradual ramp from ${new Date(s.startAt).toISOString()} to ${new Date(s.endAt).toISOString()}`;
  }
}

/**
 * The checks behind a result, rule by rule: state, listed users, early access (beta flags),
 * then the strategy. Pure: built from the flag, the context and the evaluator's own result,
 * so it can never disagree with the answer.
 */
export function explorerSteps(flag: Flag, context: EvaluationContext, result: EvaluationResult): ExplorerStep[] {
  const steps: ExplorerStep[] = [];
  let decided = CONTEXT_REASONS.has(result.reason);
  const add = (check: string, detail: string, decides: boolean) => {
    steps.push({ check, detail, outcome: decided ? 'skipped' : decides ? 'decided' : 'passed' });
    if (decides) decided = true;
  };
  if (result.reason === 'INVALID_CONTEXT' || result.reason === 'ERROR') {
    steps.push({ check: 'context', detail: result.errorMessage ?? 'the context is invalid', outcome: 'decided' });
  }
  add('state', `the flag is ${flag.state}`, STATE_REASONS.has(result.reason));
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
  add('strategy', `${strategyDetail(flag)}${bucket}`, !decided);
  return steps;
}
