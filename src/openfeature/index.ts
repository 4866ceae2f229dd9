/**
 * `phasegate/openfeature`: an OpenFeature server provider backed by a phasegate client, so code
 * written against `@openfeature/server-sdk` (an optional peer dependency) adopts phasegate without
 * touching call sites.
 * @packageDocumentation
 */
import {
  ErrorCode,
  OpenFeatureEventEmitter,
  ProviderEvents,
  StandardResolutionReasons,
  type EvaluationContext as OpenFeatureContext,
  type FlagMetadata,
  type JsonValue,
  type Provider,
  type ResolutionDetails,
  type ResolutionReason,
} from '@openfeature/server-sdk';
import { REASON_INFO, type EvaluationReason, type EvaluationResult } from '../flags/evaluate.js';
import { ACCESS_LEVELS, type AccessLevel, type EvaluationContext } from '../flags/model.js';
import type { Phasegate } from '../phasegate.js';

// Derived from the reason table (core reasons plus every registered strategy's), so a new
// strategy maps itself. phasegate's names equal OpenFeature's standard reason and error-code values.
const REASONS: Readonly<Record<string, { reason: ResolutionReason; errorCode?: ErrorCode }>> = Object.fromEntries(
  Object.entries(REASON_INFO).map(([name, info]) => [
    name,
    {
      reason: StandardResolutionReasons[info.openFeature],
      ...(info.openFeatureError ? { errorCode: ErrorCode[info.openFeatureError] } : {}),
    },
  ]),
);

/** How phasegate reasons map to OpenFeature's resolution reasons and error codes. */
export function toOpenFeatureReason(reason: EvaluationReason): { reason: ResolutionReason; errorCode?: ErrorCode } {
  return REASONS[reason] ?? { reason: StandardResolutionReasons.ERROR, errorCode: ErrorCode.GENERAL };
}

/**
 * Maps an OpenFeature context to phasegate's: `targetingKey` is the user id; `ring`,
 * `accessLevel` and `earlyAccessFeatures` pass through when well-typed; everything else goes to
 * `attributes`.
 */
export function toPhasegateContext(context: OpenFeatureContext): EvaluationContext {
  const { targetingKey, ring, accessLevel, earlyAccessFeatures, ...attributes } = context;
  const mapped: EvaluationContext = { attributes };
  if (typeof targetingKey === 'string' && targetingKey !== '') mapped.userId = targetingKey;
  if (typeof ring === 'string') mapped.ring = ring;
  if (typeof accessLevel === 'string' && (ACCESS_LEVELS as readonly string[]).includes(accessLevel)) mapped.accessLevel = accessLevel as AccessLevel;
  if (Array.isArray(earlyAccessFeatures) && earlyAccessFeatures.every((f) => typeof f === 'string')) {
    mapped.earlyAccessFeatures = earlyAccessFeatures as string[];
  }
  return mapped;
}

function metadataOf(result: EvaluationResult): FlagMetadata {
  const metadata: Record<string, string | number | boolean> = { phasegateReason: result.reason };
  if (result.state !== undefined) metadata.state = result.state;
  if (result.strategy !== undefined) metadata.strategy = result.strategy;
  if (result.bucket !== undefined) metadata.bucket = result.bucket;
  if (result.threshold !== undefined) metadata.threshold = result.threshold;
  if (result.hashVersion !== undefined) metadata.hashVersion = result.hashVersion;
  if (result.ruleId !== undefined) metadata.ruleId = result.ruleId;
  if (result.prerequisite !== undefined) metadata.prerequisite = result.prerequisite.flag;
  return metadata;
}

/**
 * An OpenFeature server provider for boolean flags, resolved by phasegate's evaluator.
 *
 * @example
 * ```ts
 * import { OpenFeature } from '@openfeature/server-sdk';
 * import { PhasegateProvider } from 'phasegate/openfeature';
 * await OpenFeature.setProviderAndWait(new PhasegateProvider(gate));
 * const client = OpenFeature.getClient();
 * await client.getBooleanValue('new-checkout', false, { targetingKey: user.id });
 * ```
 */
export class PhasegateProvider implements Provider {
  readonly metadata = { name: 'phasegate' } as const;
  readonly runsOn = 'server' as const;
  readonly events = new OpenFeatureEventEmitter();
  private readonly gate: Phasegate;
  private readonly detach: Array<() => void> = [];

  constructor(gate: Phasegate) {
    this.gate = gate;
    const changed = (change: { key: string }) => this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: [change.key] });
    const stale = (event: { error?: Error }) =>
      this.events.emit(ProviderEvents.Stale, {
        message: `phasegate store unreachable${event.error ? `: ${event.error.message}` : ''}; serving the last snapshot`,
      });
    const back = () => this.events.emit(ProviderEvents.Ready, { message: 'phasegate store reachable again; snapshot resynchronised' });
    const failed = (event: { operation: string; error: Error }) =>
      this.events.emit(ProviderEvents.Error, { message: `phasegate store ${event.operation} failed: ${event.error.message}` });
    gate.events.on('flag:changed', changed).on('store:unavailable', stale).on('store:available', back).on('store:error', failed);
    this.detach.push(() => {
      gate.events.off('flag:changed', changed).off('store:unavailable', stale).off('store:available', back).off('store:error', failed);
    });
  }

  /** Resolves once the client has loaded its flags (the SDK then emits READY). */
  async initialize(): Promise<void> {
    await this.gate.ready;
  }

  /** Stops forwarding events; the phasegate client stays the caller's to close. */
  async onClose(): Promise<void> {
    for (const detach of this.detach.splice(0)) detach();
  }

  async resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: OpenFeatureContext): Promise<ResolutionDetails<boolean>> {
    const result = this.gate.evaluate(flagKey, toPhasegateContext(context));
    const { reason, errorCode } = toOpenFeatureReason(result.reason);
    if (errorCode !== undefined) {
      return {
        value: defaultValue,
        reason,
        errorCode,
        errorMessage: result.errorMessage ?? `phasegate: ${result.reason} for flag '${flagKey}'`,
        flagMetadata: metadataOf(result),
      };
    }
    return { value: result.enabled, variant: result.enabled ? 'on' : 'off', reason, flagMetadata: metadataOf(result) };
  }

  async resolveStringEvaluation(flagKey: string, defaultValue: string): Promise<ResolutionDetails<string>> {
    return this.typeMismatch(flagKey, defaultValue, 'string');
  }

  async resolveNumberEvaluation(flagKey: string, defaultValue: number): Promise<ResolutionDetails<number>> {
    return this.typeMismatch(flagKey, defaultValue, 'number');
  }

  async resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T): Promise<ResolutionDetails<T>> {
    return this.typeMismatch(flagKey, defaultValue, 'object');
  }

  private typeMismatch<T>(flagKey: string, defaultValue: T, type: string): ResolutionDetails<T> {
    return {
      value: defaultValue,
      reason: StandardResolutionReasons.ERROR,
      errorCode: ErrorCode.TYPE_MISMATCH,
      errorMessage: `phasegate flags are boolean; '${flagKey}' was requested as a ${type}`,
    };
  }
}
