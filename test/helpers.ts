import type { Flag, FlagInput } from '../src/index.js';
import { flagInputSchema } from '../src/flags/model.js';

export const JAN_1 = Date.UTC(2026, 0, 1);

/** A complete, valid flag from partial input, as `gate.flags.create` would store it. */
export function makeFlag(input: FlagInput, at = JAN_1): Flag {
  const { salt, accessLevel, ...rest } = flagInputSchema.parse(input);
  return {
    ...rest,
    ...(salt !== undefined ? { salt } : {}),
    ...(accessLevel !== undefined ? { accessLevel } : {}),
    hashVersion: 1,
    createdAt: at,
    updatedAt: at,
  };
}

/** Ids u-0 … u-(n-1). */
export function userIds(count: number, prefix = 'u-'): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i}`);
}
