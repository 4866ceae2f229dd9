import { ErrorCode, StandardResolutionReasons, type ResolutionReason } from '@openfeature/server-sdk';
import { REASON_INFO, type EvaluationReason } from '../flags/evaluate.js';

/** An OpenFeature reason, with the error code when the reason is an error. */
export interface OpenFeatureReason {
  readonly reason: ResolutionReason;
  readonly errorCode?: ErrorCode;
}

// Derived from the reason table (core reasons plus every registered strategy's), so a new
// strategy maps itself. phasegate's names equal OpenFeature's standard reason and error-code values.
const REASONS: ReadonlyMap<string, OpenFeatureReason> = new Map(
  Object.entries(REASON_INFO).map(([name, info]) => [
    name,
    Object.freeze({
      reason: StandardResolutionReasons[info.openFeature],
      ...(info.openFeatureError ? { errorCode: ErrorCode[info.openFeatureError] } : {}),
    }),
  ]),
);

const UNKNOWN: OpenFeatureReason = Object.freeze({ reason: StandardResolutionReasons.ERROR, errorCode: ErrorCode.GENERAL });

/** How phasegate reasons map to OpenFeature's resolution reasons and error codes. */
export function toOpenFeatureReason(reason: EvaluationReason): { reason: ResolutionReason; errorCode?: ErrorCode } {
  // A Map: a reason read back from anywhere may be any string, even '__proto__'.
  return { ...(REASONS.get(reason) ?? UNKNOWN) };
}

/** The shared, frozen mapping (no copy), for the provider's hot path. */
export function openFeatureReasonOf(reason: EvaluationReason): OpenFeatureReason {
  return REASONS.get(reason) ?? UNKNOWN;
}
