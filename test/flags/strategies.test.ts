import { describe, expect, it } from 'vitest';
import { EvaluationReasons, REASON_INFO, explainEvaluation, isOnReason } from '../../src/flags/evaluate.js';
import type { ReasonInfo } from '../../src/flags/strategies/strategy.js';
import { STRATEGIES, STRATEGY_TYPES, describeStrategy, strategySchema } from '../../src/flags/strategies/index.js';
import { toOpenFeatureReason } from '../../src/openfeature/index.js';
import { HELP } from '../../src/cli/usage.js';

describe('the strategy registry', () => {
  it('derives the reason constants, on/off table, explanations and OpenFeature map from each strategy', () => {
    for (const definition of STRATEGIES) {
      for (const [reason, info] of Object.entries(definition.reasons) as Array<[keyof typeof EvaluationReasons, ReasonInfo]>) {
        expect(EvaluationReasons[reason]).toBe(reason);
        expect(isOnReason(reason)).toBe(info.on);
        expect(REASON_INFO[reason]).toBe(info);
        expect(explainEvaluation({ flagKey: 'f', enabled: info.on, reason })).toContain(info.explain);
        expect(toOpenFeatureReason(reason).reason).toBe(info.openFeature);
      }
    }
  });

  it('accepts exactly the registered types and describes each one', () => {
    expect(STRATEGY_TYPES).toEqual(STRATEGIES.map((definition) => definition.type));
    expect(strategySchema.safeParse({ type: 'nope' }).success).toBe(false);
    expect(describeStrategy({ type: 'percentage', percentage: 12.5 })).toBe('12.5%');
    expect(describeStrategy({ type: 'userList', userIds: ['a', 'b'] })).toBe('2 user(s)');
    expect(describeStrategy({ type: 'ring', rings: ['canary', 'internal'] })).toBe('rings canary,internal');
    expect(describeStrategy({ type: 'gradual', startAt: Date.UTC(2026, 0, 1), endAt: Date.UTC(2026, 0, 8) })).toBe('ramp 2026-01-01 → 2026-01-08');
  });

  it('lists every strategy option in the CLI help', () => {
    for (const definition of STRATEGIES) {
      for (const option of definition.cli.options) expect(HELP.flag).toContain(`--${option.name} ${option.placeholder}`);
      expect(HELP.flag).toContain(definition.cli.help);
    }
  });
});
