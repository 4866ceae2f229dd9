import type { Flag } from './model.js';

/**
 * One owner per flag. A flag written on behalf of a domain (a release, the early-access
 * program) names its owner in `metadata.owner`, and every domain checks it before writing:
 * two writers with different ideas of the same key (a release at 5% and a beta flag the
 * program grants to 50 members) would make `isEnabled` disagree with what either reports.
 * The core only stores the name; what an owner may hand over, and to whom, is the domains'
 * business.
 */

/** The metadata key holding a flag's owner. */
export const FLAG_OWNER_KEY = 'owner';

/**
 * The owner of a flag, or `undefined` when nobody owns it (a flag made with `gate.flags.create`).
 * Records written before owners were recorded are recognised by the marks they already carried.
 */
export function flagOwner(flag: Flag): string | undefined {
  const owner = flag.metadata[FLAG_OWNER_KEY];
  if (typeof owner === 'string' && owner !== '') return owner;
  // Written before 0.2: releases marked `metadata.release`, the program tagged its beta flags.
  const release = flag.metadata.release;
  if (typeof release === 'string' && release !== '') return `release:${release}`;
  if (flag.tags.includes('early-access') && flag.state === 'beta') return 'early-access';
  return undefined;
}
