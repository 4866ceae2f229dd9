import { StoreError } from '../errors.js';

/**
 * Checks a version read back from a store. Versions are whole numbers from 1 to 2^53-1: past
 * 2^53 `version + 1 === version`, so two writers expecting the same version would both win
 * the compare-and-set. A stored version outside that range (1e308, a string, 2.5) means the
 * record was damaged or hand-edited, so it is refused as corrupt, naming the record, instead of
 * loading silently.
 *
 * @param raw - the version as the store returned it (number, bigint or anything else)
 * @param where - names the store and the record for the error, e.g. `SQLite store /srv/p.db, record flags/a`
 * @returns the version as a number
 * @throws StoreError when the version is not a safe integer of at least 1
 */
export function parseStoredVersion(raw: unknown, where: string): number {
  const version = typeof raw === 'bigint' && raw <= BigInt(Number.MAX_SAFE_INTEGER) && raw >= 1n ? Number(raw) : raw;
  if (typeof version === 'number' && Number.isSafeInteger(version) && version >= 1) return version;
  throw new StoreError(`${where} is corrupt: its version ${String(raw)} is not a whole number from 1 to 2^53-1`);
}

/**
 * The version a write produces from `current`, refusing to go past 2^53-1 (where `+ 1` stops
 * changing the number and compare-and-set would stop detecting conflicts).
 *
 * @throws StoreError when `current + 1` would not be a safe integer
 */
export function nextVersion(current: number, where: string): number {
  const next = current + 1;
  if (!Number.isSafeInteger(next)) throw new StoreError(`Cannot write ${where}: its version ${current} cannot grow any further`);
  return next;
}
