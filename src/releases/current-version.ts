import type { Release } from './model.js';

/**
 * The current version is a consequence of release records, not a fact of its own.
 *
 * Completing a release and rolling one back each write two records (the release, then the
 * `current-version` record). A process that dies between the two leaves the second one stale,
 * and nothing would ever fix it. So the second write is derived: each release record says what
 * it did to the current version and when (completion: "it became me"; a restoring rollback:
 * "if it was me, it became X"), and folding those effects in time order over the stored
 * current version gives what it must be. Completion and rollback apply their own effect right
 * away; `tick()` folds everything again, which heals a write that a crash cut short. Each
 * effect is conditional on time, so applying one twice, or an old one late, changes nothing.
 */

/** The stored `current-version` record. `at` is when the effect that set it happened (absent before 0.2). */
export interface CurrentVersionRecord {
  readonly version: string | null;
  readonly at?: number;
}

/** One thing a release did to the current version. */
export type CurrentVersionEffect =
  | { readonly kind: 'completed'; readonly at: number; readonly version: string }
  | { readonly kind: 'restored'; readonly at: number; readonly from: string; readonly to: string | null };

/** What `release` did to the current version, oldest first. */
export function currentVersionEffects(release: Release): CurrentVersionEffect[] {
  const effects: CurrentVersionEffect[] = [];
  if (release.releasedAt !== null && (release.status === 'released' || release.status === 'rolled_back')) {
    effects.push({ kind: 'completed', at: release.releasedAt, version: release.version });
  }
  const rollback = release.rollback;
  if (rollback && rollback.currentVersionBefore === release.version && rollback.currentVersionAfter !== release.version) {
    effects.push({ kind: 'restored', at: rollback.at, from: release.version, to: rollback.currentVersionAfter });
  }
  return effects;
}

/**
 * The current version after applying `effects` (any order; they are sorted by time) to `stored`.
 *
 * Two completions stamped with the same millisecond cannot be ordered by time. `fresh` says the
 * effects are happening now (a completion in this call), so on a tie they win; when re-deriving
 * from stored records (`fresh` false) a tie keeps what is stored, which was written in real order.
 */
export function foldCurrentVersion(
  stored: CurrentVersionRecord | undefined,
  effects: readonly CurrentVersionEffect[],
  fresh = false,
): CurrentVersionRecord {
  const ordered = [...effects].sort((a, b) => a.at - b.at || (a.kind === b.kind ? 0 : a.kind === 'completed' ? -1 : 1));
  let current: CurrentVersionRecord = stored ?? { version: null };
  for (const effect of ordered) {
    const since = current.at ?? Number.NEGATIVE_INFINITY;
    if (effect.at < since) continue; // something later already decided
    if (effect.kind === 'completed') {
      if (effect.at > since || fresh) current = { version: effect.version, at: effect.at };
    } else if (current.version === effect.from) {
      current = { version: effect.to, at: effect.at };
    }
  }
  return current;
}
