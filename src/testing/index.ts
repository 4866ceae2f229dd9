/**
 * `phasegate/testing`: helpers for testing code that uses phasegate.
 * @packageDocumentation
 */
import { ManualClock, type Clock } from '../clock.js';
import type { PhasegateEventEmitter } from '../events.js';
import { HASH_VERSION } from '../flags/bucket.js';
import { flagInputSchema, flagSchema, type Flag, type FlagInput } from '../flags/model.js';
import type { Segment } from '../flags/segments.js';
import { Phasegate } from '../phasegate.js';
import { ValidationError } from '../errors.js';
import { MemoryStore } from '../storage/memory-store.js';
import { Collections } from '../storage/store.js';
import { parseWith } from '../validation.js';

export { ManualClock } from '../clock.js';

/** Options for {@link createTestGate}. */
export interface TestGateOptions {
  /** Flags forced on (`true`) or off (`false`) by key. */
  readonly forced?: Readonly<Record<string, boolean>>;
  /**
   * Real flags to evaluate: what `gate.flags.create` accepts (only `key` is required; a flag is
   * `disabled` unless it says otherwise), or complete stored records such as `flags.list()` returns.
   */
  readonly flags?: ReadonlyArray<FlagInput | Flag>;
  /** Segments the flags' rules name. */
  readonly segments?: readonly Segment[];
  /** Clock (default: a `ManualClock` at 2026-01-01). */
  readonly clock?: Clock;
  /** Event emitter to report through. */
  readonly events?: PhasegateEventEmitter;
}

/** A client for tests: synchronous to create, backed by a private in-memory store, with a `reset()` between tests. */
export interface TestGate extends Phasegate {
  /** Forces `flagKey` on or off (or back to normal with `undefined`). */
  force(flagKey: string, enabled: boolean | undefined): void;
  /** Removes every forced value and restores the forced values given at creation. */
  reset(): void;
}

/** A complete flag record from `flags.create` input (or a stored record, checked as it is). */
function flagFrom(input: FlagInput | Flag, at: number): Flag {
  const stored = typeof input === 'object' && input !== null && ('hashVersion' in input || 'createdAt' in input || 'updatedAt' in input);
  if (stored) return parseWith(flagSchema, input, 'flag given to createTestGate');
  const { salt, accessLevel, ...rest } = parseWith(flagInputSchema, input, 'flag given to createTestGate');
  return {
    ...rest,
    ...(salt !== undefined ? { salt } : {}),
    ...(accessLevel !== undefined ? { accessLevel } : {}),
    hashVersion: HASH_VERSION,
    createdAt: at,
    updatedAt: at,
  };
}

/**
 * A phasegate client for tests with flags forced on or off and no store to set up.
 *
 * @example
 * ```ts
 * const gate = createTestGate({ forced: { 'new-checkout': true } });
 * expect(renderCheckout(gate)).toContain('new');
 * gate.force('new-checkout', false);
 * gate.reset(); // back to { 'new-checkout': true }
 *
 * const rollout = createTestGate({ flags: [{ key: 'new-search', state: 'rollout', strategy: { type: 'percentage', percentage: 50 } }] });
 * ```
 */
export function createTestGate(options: TestGateOptions = {}): TestGate {
  const clock = options.clock ?? new ManualClock();
  const flags = (options.flags ?? []).map((flag) => flagFrom(flag, clock.now()));
  const store = new MemoryStore();
  const seen = new Set<string>();
  for (const flag of flags) {
    if (seen.has(flag.key)) throw new ValidationError('flags given to createTestGate', [{ path: flag.key, message: 'is given twice' }]);
    seen.add(flag.key);
    // The flags live in the store too, so the client's first load keeps them (bootstrap alone would
    // answer until then and lose them after the first await). A MemoryStore write completes
    // synchronously, so they are stored before the client starts loading.
    void store.put(Collections.flags, flag.key, flag, 0);
  }
  const gate = new Phasegate({
    store,
    clock,
    ...(options.events ? { events: options.events } : {}),
    bootstrap: { flags, ...(options.segments ? { segments: options.segments } : {}) },
  }) as TestGate;
  const initial = Object.entries(options.forced ?? {});
  gate.force = (flagKey, enabled) => gate.override(flagKey, enabled);
  gate.reset = () => {
    gate.clearOverrides();
    for (const [key, enabled] of initial) gate.override(key, enabled);
  };
  gate.reset();
  return gate;
}

export {
  contextArbitrary,
  flagArbitrary,
  flagKeyArbitrary,
  percentageArbitrary,
  ringArbitrary,
  rolloutPlanArbitrary,
  strategyArbitrary,
  timeArbitrary,
  userIdArbitrary,
} from './arbitraries.js';
export type { UserIdArbitraryOptions } from './arbitraries.js';
export { attributesArbitrary, conditionArbitrary, ruleServeArbitrary, rulesArbitrary, targetingContextArbitrary } from './targeting-arbitraries.js';
export {
  jsonValueArbitrary,
  servingArbitrary,
  splitArbitrary,
  typedFlagArbitrary,
  valueOfTypeArbitrary,
  valueTypeArbitrary,
  variantsArbitrary,
} from './variant-arbitraries.js';

export { runStorageConformance } from './conformance.js';
export type { StorageConformanceOptions, TestApi } from './conformance.js';

export { phaseAt, simulateRollout } from './simulation.js';
export type { Simulation, SimulationInput, SimulationStep, SimulatedRelease } from './simulation.js';
export {
  RolloutAssertionError,
  assertExposureWithinPlan,
  assertFeatureDependency,
  assertMonotonicExposure,
  assertStableAssignment,
  binomialUpperBound,
  usersWith,
} from './assertions.js';
