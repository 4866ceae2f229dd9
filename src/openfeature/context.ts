import type { EvaluationContext as OpenFeatureContext } from '@openfeature/server-sdk';
import { ACCESS_LEVELS, type AccessLevel, type EvaluationContext } from '../flags/model.js';

const LEVELS: ReadonlySet<unknown> = new Set(ACCESS_LEVELS);

/**
 * Maps an OpenFeature context to phasegate's: `targetingKey` is the user id; `ring`,
 * `accessLevel` and `earlyAccessFeatures` pass through when well-typed; everything else goes to
 * `attributes`, where rule conditions read it. Never throws: a context whose fields cannot be
 * read (a Proxy, a throwing getter) maps to one with a non-string user id, which phasegate
 * answers with `INVALID_CONTEXT`.
 */
export function toPhasegateContext(context: OpenFeatureContext): EvaluationContext {
  try {
    const { targetingKey, ring, accessLevel, earlyAccessFeatures, ...attributes } = context;
    const mapped: EvaluationContext = { attributes };
    if (typeof targetingKey === 'string' && targetingKey !== '') mapped.userId = targetingKey;
    if (typeof ring === 'string') mapped.ring = ring;
    if (LEVELS.has(accessLevel)) mapped.accessLevel = accessLevel as AccessLevel;
    if (Array.isArray(earlyAccessFeatures) && earlyAccessFeatures.every((f) => typeof f === 'string')) {
      mapped.earlyAccessFeatures = earlyAccessFeatures as string[];
    }
    return mapped;
  } catch {
    return UNREADABLE;
  }
}

// Why a non-string id: it is the one context shape phasegate's evaluator already answers with
// INVALID_CONTEXT, so an unreadable OpenFeature context reports as the invalid context it is.
const UNREADABLE = Object.freeze({ userId: Object.freeze({}) as unknown as string });
