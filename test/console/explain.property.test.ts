import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateFlag, targetingEnvironment, type EvaluationResult, type Flag, type Segment } from '../../src/index.js';
import { explorerSteps, type ExplorerStep } from '../../src/console/explain.js';
import { attributesArbitrary, conditionArbitrary, flagArbitrary, rulesArbitrary, timeArbitrary } from '../../src/testing/index.js';

// Issue 20 item 1: the explorer's steps follow the evaluator's own result, so the step it marks
// as deciding is always the one the result names, rule by rule.
function expectedDecider(result: EvaluationResult): { check: string; name?: string } {
  switch (result.reason) {
    case 'DISABLED':
    case 'ENABLED':
    case 'DEPRECATED':
      return { check: 'state' };
    case 'INVALID_CONTEXT':
      return { check: 'context' };
    case 'PREREQUISITE_FAILED':
      return { check: 'prerequisite', name: result.prerequisite!.flag };
    case 'LISTED_USER':
      return { check: 'listed users' };
    case 'EARLY_ACCESS':
      return { check: 'early access' };
    case 'RULE_MATCH':
    case 'RULE_MATCH_OFF':
    case 'RULE_IN_PERCENTAGE':
    case 'RULE_OUTSIDE_PERCENTAGE':
      return { check: 'rule', name: result.ruleId! };
    case 'NO_BUCKET_VALUE':
      return result.ruleId !== undefined ? { check: 'rule', name: result.ruleId } : { check: 'bucket by' };
    case 'NO_USER_ID':
      return result.ruleId !== undefined ? { check: 'rule', name: result.ruleId } : { check: 'strategy' };
    default:
      return { check: 'strategy' };
  }
}

const segment: Segment = {
  key: 'eu-pro',
  conditions: [
    { attribute: 'country', operator: 'IN', values: ['DE', 'FR'] },
    { attribute: 'plan', operator: 'IN', values: ['pro'] },
  ],
} as unknown as Segment;

const targetedFlag = fc
  .record({
    flag: flagArbitrary(),
    prerequisite: flagArbitrary(),
    rules: rulesArbitrary({ maxRules: 3 }),
    segmentRule: fc.boolean(),
    requires: fc.option(fc.boolean(), { nil: undefined }),
    bucketBy: fc.boolean(),
    extra: fc.array(conditionArbitrary(), { maxLength: 1 }),
  })
  .map(({ flag, prerequisite, rules, segmentRule, requires, bucketBy, extra }) => {
    const other: Flag = { ...prerequisite, key: 'other-flag' };
    const withSegment = segmentRule ? [{ id: 'seg-rule', conditions: extra, segments: ['eu-pro'], serve: { type: 'on' as const } }, ...rules] : rules;
    const main: Flag = {
      ...flag,
      key: 'main-flag',
      rules: withSegment,
      ...(requires === undefined ? {} : { prerequisites: [{ flag: 'other-flag', enabled: requires }] }),
      ...(bucketBy ? { bucketBy: 'accountId' } : {}),
    } as Flag;
    return { main, other };
  });

describe('evaluation explorer steps (property)', () => {
  it('exactly one step decides, it is the step the result names, and everything after it is skipped', () => {
    fc.assert(
      fc.property(targetedFlag, fc.string({ minLength: 1, maxLength: 8 }), attributesArbitrary(), timeArbitrary(), ({ main, other }, userId, attributes, now) => {
        const environment = targetingEnvironment({ flags: [main, other], segments: [segment] });
        const context = { userId, attributes };
        const result = evaluateFlag(main, context, now, environment);
        const steps = explorerSteps(main, context, result, { prerequisite: () => evaluateFlag(other, context, now, environment) });
        const decided = steps.filter((step) => step.outcome === 'decided');
        expect(decided).toHaveLength(1);
        expect({ check: decided[0]!.check, ...(decided[0]!.name === undefined ? {} : { name: decided[0]!.name }) }).toEqual(expectedDecider(result));
        const at = steps.indexOf(decided[0]!);
        expect(steps.slice(at + 1).filter((step: ExplorerStep) => step.check !== 'served').every((step) => step.outcome === 'skipped')).toBe(true);
        // Each rule the evaluator tried and that failed says why, naming the segment when the segment's condition failed.
        for (const trace of result.rules ?? []) {
          const row = steps.find((step) => step.check === 'rule' && step.name === trace.ruleId)!;
          if (trace.matched) expect(row.detail).toContain('matched');
          else {
            expect(row.detail).toContain(trace.failure!.message);
            if (trace.failure!.segment !== undefined) expect(row.detail).toContain(`segment '${trace.failure!.segment}'`);
          }
        }
        // Every prerequisite is shown with its answer.
        for (const prerequisite of main.prerequisites ?? []) {
          const row = steps.find((step) => step.check === 'prerequisite' && step.name === prerequisite.flag)!;
          expect(row.detail).toMatch(/it is (on|off|missing|too deep)/);
        }
      }),
      { numRuns: 300 },
    );
  });
});
