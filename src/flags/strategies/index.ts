import * as z from 'zod';
import { gradualStrategy } from './gradual.js';
import { percentageStrategy } from './percentage.js';
import { ringStrategy } from './ring.js';
import { userListStrategy } from './user-list.js';

/**
 * Every rollout strategy, one line each. Schemas, reason tables, the OpenFeature reason map,
 * CLI options and describers are derived from this list; a new strategy is one file under
 * `strategies/` plus one line here (and, for the testing toolkit, one arbitrary).
 */
export const STRATEGIES = [percentageStrategy, userListStrategy, ringStrategy, gradualStrategy] as const;

type Definitions = (typeof STRATEGIES)[number];

/** A strategy's `type`. */
export type StrategyType = Definitions['type'];

/** How a flag in `rollout` or `beta` state decides: any registered strategy. */
export type Strategy = Definitions extends infer D ? (D extends { schema: z.ZodType<infer S> } ? S : never) : never;

/** The reasons registered strategies can give. */
export type StrategyReason = Definitions extends infer D ? (D extends { reasons: Readonly<Record<infer R, unknown>> } ? R : never) : never;

/** The strategy types a flag can use in `rollout` and `beta` states. */
export const STRATEGY_TYPES = STRATEGIES.map((definition) => definition.type) as readonly StrategyType[];

/** The definition of one strategy type, by type. */
export const strategyByType: ReadonlyMap<string, Definitions> = new Map(STRATEGIES.map((definition) => [definition.type, definition]));

type AnyDefinition = {
  readonly schema: z.ZodType;
  describe(strategy: Strategy): string;
};

/** Any strategy, chosen by `type`. */
export const strategySchema = z.discriminatedUnion(
  'type',
  STRATEGIES.map((definition) => definition.schema) as unknown as Parameters<typeof z.discriminatedUnion>[1],
  { error: `must have a type of ${STRATEGY_TYPES.map((t) => `'${t}'`).join(', ')}` },
) as unknown as z.ZodType<Strategy>;

/** A one-line summary of a strategy (`12.5%`, `3 user(s)`, `rings canary`), for the CLI and dashboards. */
export function describeStrategy(strategy: Strategy): string {
  const definition = strategyByType.get(strategy.type) as AnyDefinition | undefined;
  return definition ? definition.describe(strategy) : strategy.type;
}

export { decisionTrace, defineStrategy } from './strategy.js';
export type {
  CompiledStrategy,
  OpenFeatureErrorCode,
  OpenFeatureReason,
  PreparedFlag,
  ReasonInfo,
  StrategyCli,
  StrategyCliOption,
  StrategyDefinition,
} from './strategy.js';
