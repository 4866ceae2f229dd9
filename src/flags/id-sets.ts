/**
 * Sets of user ids for big lists, reused across versions of a flag when the ids did not change.
 *
 * Why: a user list may hold 1,000,000 ids. Every change to such a flag (its state, its
 * description, a rule) used to rebuild the set from scratch in every client: hundreds of
 * milliseconds of blocked event loop for a list nobody touched. The last set built for each
 * flag is remembered (weakly: a flag deleted or changed lets it go), and a new version whose
 * ids are exactly the set's members takes it over after one membership check per id, several
 * times cheaper than building. Small lists are simply built.
 */

/** Lists shorter than this are built every time (cheap, and not worth remembering). */
export const REUSE_FROM_IDS = 10_000;
/** How many flags' sets are remembered before dead entries are swept. */
const SWEEP_AT = 1_000;

/** Membership of a list of ids (all a user list needs). */
export interface IdLookup {
  has(id: string): boolean;
  readonly size: number;
}

/**
 * A built list: every id maps to the stamp of the last check that saw it, so a check can tell
 * a repeated id (a list with repeats has fewer members than ids, and must not take over a set).
 */
type StampedIds = Map<string, number>;

const remembered = new Map<string, WeakRef<StampedIds>>();
let stamp = 0;

/** The ids of `ids` for flag `flagKey`: the lookup built for its previous version when the ids are the same, else a new one. */
export function idSetFor(flagKey: string, ids: readonly string[]): IdLookup {
  if (ids.length < REUSE_FROM_IDS) return new Set(ids);
  const previous = remembered.get(flagKey)?.deref();
  if (previous !== undefined && sameMembers(previous, ids)) return previous;
  const built: StampedIds = new Map();
  for (let i = 0; i < ids.length; i++) built.set(ids[i]!, 0);
  if (remembered.size >= SWEEP_AT) for (const [key, ref] of remembered) if (ref.deref() === undefined) remembered.delete(key);
  remembered.set(flagKey, new WeakRef(built));
  return built;
}

/** Whether `ids` lists exactly the members of `built`, each once (stamping them on the way). */
function sameMembers(built: StampedIds, ids: readonly string[]): boolean {
  if (built.size !== ids.length) return false;
  const now = ++stamp;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    const seen = built.get(id);
    // Absent, or seen already in this check (a repeat: then some member is missing).
    if (seen === undefined || seen === now) return false;
    built.set(id, now);
  }
  return true;
}
