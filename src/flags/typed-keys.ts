import type { FlagValue } from './variants.js';

/**
 * The flags an application knows, by key, with the type of each one's value. Empty here: any
 * string key works and a value is typed by the fallback given. `phasegate typegen` writes a
 * declaration that fills it in (module augmentation), and from then on `gate.getValue` and
 * `gate.variant` accept only these keys, and a fallback only of the flag's type.
 *
 * @example
 * ```ts
 * declare module 'phasegate' {
 *   interface PhasegateFlags {
 *     'checkout-theme': string;
 *     'new-checkout': boolean;
 *   }
 * }
 * ```
 */
export interface PhasegateFlags {}

/** A flag key: any string, or once {@link PhasegateFlags} is filled in, one of its keys. */
export type FlagKey = [keyof PhasegateFlags] extends [never] ? string : Extract<keyof PhasegateFlags, string>;

/** What a fallback for flag `K` may be: the flag's type when {@link PhasegateFlags} knows it, else anything. */
export type FallbackFor<K> = K extends keyof PhasegateFlags ? PhasegateFlags[K] : unknown;

/** The value `getValue` returns for a fallback of type `T`: `'blue'` widens to `string`, `true` to `boolean`. */
export type ValueLike<T> = T extends string ? string : T extends number ? number : T extends boolean ? boolean : T;

/** The value type of flag `K` when {@link PhasegateFlags} knows it, else any flag value. */
export type ValueOf<K> = K extends keyof PhasegateFlags ? PhasegateFlags[K] : FlagValue;

/** The variant a flag serves: its name and value. */
export interface VariantAnswer<V = FlagValue> {
  /** The variant's name (`on`/`off` for a boolean flag without declared variants). */
  readonly name: string;
  /** The variant's value. */
  readonly value: V;
}
