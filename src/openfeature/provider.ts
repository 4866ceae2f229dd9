import {
  ErrorCode,
  GeneralError,
  OpenFeatureEventEmitter,
  ProviderEvents,
  ProviderFatalError,
  StandardResolutionReasons,
  type EvaluationContext as OpenFeatureContext,
  type FlagMetadata,
  type JsonValue,
  type Provider,
  type ResolutionDetails,
} from '@openfeature/server-sdk';
import type { EvaluationResult } from '../flags/evaluate.js';
import type { FlagChange } from '../flags/events.js';
import type { Flag, FlagValue } from '../flags/model.js';
import type { Phasegate } from '../phasegate.js';
import { toPhasegateContext } from './context.js';
import { forwardGateEvents } from './events.js';
import { openFeatureReasonOf } from './reasons.js';

/** How `PhasegateProvider` reports. */
export interface PhasegateProviderOptions {
  /**
   * Also put phasegate's own account of each evaluation into `flagMetadata`, under keys that
   * start with `phasegate.` (`phasegate.reason`, `phasegate.ruleId`, `phasegate.bucket`, …).
   * Off by default: `flagMetadata` is then exactly the flag's own `metadata`, and a flag without
   * metadata reports none. Keys of the flag's own metadata that start with `phasegate.` are
   * overwritten while this is on.
   */
  readonly diagnostics?: boolean;
}

// phasegate's evaluation error codes are OpenFeature's names; a Map so only known ones map.
const ERROR_CODES: ReadonlyMap<string, ErrorCode> = new Map(Object.values(ErrorCode).map((code) => [code, code]));

/** First and longest wait between re-reads after a failed first load. */
const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 30_000;

const NO_METADATA: FlagMetadata = Object.freeze({});

/**
 * An OpenFeature server provider backed by a phasegate client: `client.getBooleanValue(key,
 * fallback, context)` answers what `gate.evaluate(key, context)` answers, with OpenFeature's
 * reasons (`STATIC`, `TARGETING_MATCH`, `SPLIT`, `DEFAULT`, `DISABLED`, `ERROR`), the flag's own
 * `metadata` as `flagMetadata`, and provider events for flag changes and store outages.
 *
 * Errors come in OpenFeature's order: `FLAG_NOT_FOUND` before `TYPE_MISMATCH`, both before the
 * flag is evaluated (a wrong-type request counts no exposure). Every error, and a disabled or
 * deprecated flag (reason `DISABLED`), answers the caller's fallback.
 *
 * Give it a client, or the promise of one (`new PhasegateProvider(createPhasegate({ store }))`):
 * until that promise settles the provider is NOT_READY; if it rejects, no client exists and the
 * provider is FATAL. A client whose first load failed (created with `bootstrap`) makes the
 * provider ERROR until the store is reachable again; it answers from its bootstrap meanwhile.
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
  /** Names the provider to the SDK (`providerName` in events). */
  readonly metadata = { name: 'phasegate' } as const;
  /** A server-side provider. */
  readonly runsOn = 'server' as const;
  /** Where the SDK (or a MultiProvider) listens for READY, STALE and CONFIGURATION_CHANGED. */
  readonly events = new OpenFeatureEventEmitter();
  private gate: Phasegate | undefined;
  private failure: Error | undefined;
  private readonly pending: Promise<Phasegate>;
  private readonly diagnostics: boolean;
  private forwarding: ReturnType<typeof forwardGateEvents> | undefined;
  private closed = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  // Each flag's own metadata, frozen once per flag version and shared by every resolution. Kept
  // in step by `flag:changed`, so bounded by the flags the client holds; flags without metadata
  // are not kept.
  private readonly flagMetadata = new Map<string, FlagMetadata>();

  constructor(gate: Phasegate | Promise<Phasegate>, options: PhasegateProviderOptions = {}) {
    this.diagnostics = options.diagnostics === true;
    if (isPromiseLike(gate)) {
      this.pending = Promise.resolve(gate).then(
        (resolved) => this.attach(resolved),
        (error: unknown) => {
          this.failure = error instanceof Error ? error : new Error(String(error));
          throw this.failure;
        },
      );
      // Observed in initialize(); never an unhandled rejection meanwhile.
      this.pending.catch(() => {});
    } else {
      this.pending = Promise.resolve(this.attach(gate));
    }
  }

  private attach(gate: Phasegate): Phasegate {
    if (this.closed) return gate;
    this.gate = gate;
    this.forwarding = forwardGateEvents(gate, this.events, (change) => this.remember(change));
    for (const flag of gate.allFlags()) this.rememberFlag(flag.key, flag);
    return gate;
  }

  private remember(change: FlagChange): void {
    this.rememberFlag(change.key, change.flag);
  }

  private rememberFlag(key: string, flag: Flag | undefined): void {
    const metadata = flag?.metadata;
    if (metadata === undefined || Object.keys(metadata).length === 0) this.flagMetadata.delete(key);
    else this.flagMetadata.set(key, Object.freeze({ ...metadata }));
  }

  /**
   * Resolves once the client exists and has loaded its flags; the SDK then reports READY.
   * Throws `ProviderFatalError` when the client could not be created, and a `GeneralError`
   * (status ERROR) when its first load failed.
   */
  async initialize(): Promise<void> {
    let gate: Phasegate;
    try {
      gate = await this.pending;
    } catch (error) {
      throw new ProviderFatalError(`phasegate client could not be created: ${(error as Error).message}`, { cause: error });
    }
    try {
      await gate.ready;
    } catch (error) {
      this.retryLoad(gate);
      throw new GeneralError(`phasegate could not load its flags (answering from its bootstrap snapshot until the store is back): ${(error as Error).message}`, {
        cause: error,
      });
    } finally {
      this.forwarding?.announce();
    }
  }

  /**
   * After a failed first load, re-reads the store with capped backoff until one read succeeds,
   * then reports READY (a store that never reported itself unavailable sends no
   * `store:available` to say so).
   */
  private retryLoad(gate: Phasegate, delay = RETRY_FIRST_MS): void {
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.closed) return;
      gate.resync().then(
        () => {
          if (!this.closed) this.events.emit(ProviderEvents.Ready, { message: 'phasegate loaded its flags' });
        },
        () => this.retryLoad(gate, Math.min(delay * 2, RETRY_MAX_MS)),
      );
    }, delay);
    this.retryTimer.unref?.();
  }

  /** Stops forwarding events; the phasegate client stays the caller's to close. */
  async onClose(): Promise<void> {
    this.closed = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.forwarding?.detach();
    this.forwarding = undefined;
    this.flagMetadata.clear();
  }

  /** Resolves a boolean flag. */
  async resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: OpenFeatureContext): Promise<ResolutionDetails<boolean>> {
    return this.resolve(flagKey, defaultValue, context);
  }

  /** Resolves a string flag. */
  async resolveStringEvaluation(flagKey: string, defaultValue: string, context: OpenFeatureContext): Promise<ResolutionDetails<string>> {
    return this.resolve(flagKey, defaultValue, context);
  }

  /** Resolves a number flag (integers and floats alike). */
  async resolveNumberEvaluation(flagKey: string, defaultValue: number, context: OpenFeatureContext): Promise<ResolutionDetails<number>> {
    return this.resolve(flagKey, defaultValue, context);
  }

  /** Resolves a JSON flag. */
  async resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T, context: OpenFeatureContext): Promise<ResolutionDetails<T>> {
    return this.resolve(flagKey, defaultValue, context);
  }

  private resolve<T extends FlagValue>(flagKey: string, fallback: T, context: OpenFeatureContext): ResolutionDetails<T> {
    const gate = this.gate;
    if (gate === undefined) {
      return this.failure !== undefined
        ? failed(fallback, ErrorCode.PROVIDER_FATAL, `phasegate client could not be created: ${this.failure.message}`)
        : failed(fallback, ErrorCode.PROVIDER_NOT_READY, 'phasegate client is not created yet');
    }
    try {
      // With a fallback, phasegate checks the flag exists (FLAG_NOT_FOUND), then that its value
      // type is the fallback's (TYPE_MISMATCH), before evaluating: a wrong-type request counts
      // no exposure.
      const result = gate.evaluate(flagKey, toPhasegateContext(context ?? {}), fallback);
      const errorCode = result.errorCode;
      if (errorCode !== undefined) {
        const metadata = errorCode === 'FLAG_NOT_FOUND' ? NO_METADATA : this.metadataOf(flagKey, result);
        return failed(fallback, ERROR_CODES.get(errorCode) ?? ErrorCode.GENERAL, result.errorMessage ?? `phasegate: ${errorCode} for flag '${flagKey}'`, metadata);
      }
      const reason = result.variantReason ?? openFeatureReasonOf(result.reason).reason;
      // Disabled (or deprecated): the caller's fallback, as OpenFeature specifies for DISABLED.
      if (reason === StandardResolutionReasons.DISABLED) return { value: fallback, reason, flagMetadata: this.metadataOf(flagKey, result) };
      return { value: result.value as T, variant: result.variant, reason, flagMetadata: this.metadataOf(flagKey, result) };
    } catch (error) {
      return failed(fallback, ErrorCode.GENERAL, error instanceof Error ? error.message : String(error));
    }
  }

  private metadataOf(flagKey: string, result: EvaluationResult): FlagMetadata {
    const own = this.flagMetadata.get(flagKey) ?? NO_METADATA;
    return this.diagnostics ? { ...own, ...diagnosticsOf(result) } : own;
  }
}

/** phasegate's own account of an evaluation, under `phasegate.` keys. */
function diagnosticsOf(result: EvaluationResult): Record<string, string | number | boolean> {
  const metadata: Record<string, string | number | boolean> = { 'phasegate.reason': result.reason };
  if (result.state !== undefined) metadata['phasegate.state'] = result.state;
  if (result.strategy !== undefined) metadata['phasegate.strategy'] = result.strategy;
  if (result.bucket !== undefined) metadata['phasegate.bucket'] = result.bucket;
  if (result.threshold !== undefined) metadata['phasegate.threshold'] = result.threshold;
  if (result.hashVersion !== undefined) metadata['phasegate.hashVersion'] = result.hashVersion;
  if (result.ruleId !== undefined) metadata['phasegate.ruleId'] = result.ruleId;
  if (result.prerequisite !== undefined) metadata['phasegate.prerequisite'] = result.prerequisite.flag;
  return metadata;
}

function failed<T>(value: T, errorCode: ErrorCode, errorMessage: string, flagMetadata: FlagMetadata = NO_METADATA): ResolutionDetails<T> {
  return { value, reason: StandardResolutionReasons.ERROR, errorCode, errorMessage, flagMetadata };
}

function isPromiseLike(value: unknown): value is PromiseLike<Phasegate> {
  return typeof (value as PromiseLike<Phasegate> | undefined)?.then === 'function';
}
