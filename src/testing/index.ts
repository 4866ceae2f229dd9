/**
 * `phasegate/testing`: helpers for testing code that uses phasegate.
 * @packageDocumentation
 */
import { ManualClock, type Clock } from '../clock.js';
import type { PhasegateEventEmitter } from '../events.js';
import type { Flag } from '../flags/model.js';
import type { Segment } from '../flags/segments.js';
import { Phasegate } from '../phasegate.js';
import { MemoryStore } from '../storage/memory-store.js';

export { ManualClock } from '../clock.js';

/** Options for {@link createTestGate}. */
export interface TestGateOptions {
  /** Flags forced on (`true`) or off (`false`) by key. */
  readonly forced?: Readonly<Record<string, boolean>>;
  /** Real flags to evaluate, as if loaded from a store. */
  readonly flags?: readonly Flag[];
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

/**
 * A phasegate client for tests with flags forced on or off and no store to set up.
 *
 * @example
 * ```ts
 * const gate = createTestGate({ forced: { 'new-checkout': true } });
 * expect(renderCheckout(gate)).toContain('new');
 * gate.force('new-checkout', false);
 * gate.reset(); // back to { 'new-checkout': true }
 * ```
 */
export function createTestGate(options: TestGateOptions = {}): TestGate {
  const gate = new Phasegate({
    store: new MemoryStore(),
    clock: options.clock ?? new ManualClock(),
    ...(options.events ? { events: options.events } : {}),
    bootstrap: { flags: options.flags ?? [], ...(options.segments ? { segments: options.segments } : {}) },
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
