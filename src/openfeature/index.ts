/**
 * `phasegate/openfeature`: an OpenFeature server provider backed by a phasegate client, so code
 * written against `@openfeature/server-sdk` (an optional peer dependency) adopts phasegate without
 * touching call sites.
 * @packageDocumentation
 */
export { PhasegateProvider } from './provider.js';
export type { PhasegateProviderOptions } from './provider.js';
export { toOpenFeatureReason } from './reasons.js';
export type { OpenFeatureReason } from './reasons.js';
export { toPhasegateContext } from './context.js';
