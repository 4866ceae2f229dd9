import type { AccessLevel } from '../flags/model.js';
import type { MemberStatus } from './model.js';

/** The events of `gate.earlyAccess`, each emitted after the change it reports is stored. */
export interface EarlyAccessEvents {
  /** A user enrolled (pending approval). */
  'earlyAccess:enrolled': (event: { readonly userId: string; readonly level: AccessLevel }) => void;
  /** A pending member was approved. */
  'earlyAccess:approved': (event: { readonly userId: string; readonly level: AccessLevel }) => void;
  /** A member became active. */
  'earlyAccess:activated': (event: { readonly userId: string; readonly level: AccessLevel }) => void;
  /** A member was suspended. */
  'earlyAccess:suspended': (event: { readonly userId: string; readonly reason: string }) => void;
  /** A suspended member was reinstated. */
  'earlyAccess:reinstated': (event: { readonly userId: string; readonly status: MemberStatus }) => void;
  /** A member graduated out of the program. */
  'earlyAccess:graduated': (event: { readonly userId: string }) => void;
  /** A member and their data were deleted. */
  'earlyAccess:deleted': (event: { readonly userId: string }) => void;
  /** A member gave feedback. */
  'earlyAccess:feedback': (event: { readonly userId: string; readonly feature: string; readonly rating: number | null }) => void;
}
