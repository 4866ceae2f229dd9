/**
 * `phasegate/sqlite`: the embedded {@link Store} on SQLite through `better-sqlite3` (an optional
 * peer dependency, loaded on first use, so importing this module never fails).
 * @packageDocumentation
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FileStore, holdsFileStoreData } from '../storage/file-store.js';
import type { Store } from '../storage/store.js';
import { SqliteStore, sqliteIsAvailable } from './sqlite-store.js';

export { SqliteStore, sqliteIsAvailable, type SqliteStoreOptions } from './sqlite-store.js';

/** The database file {@link openEmbeddedStore} uses inside a store directory. */
export const SQLITE_FILE_NAME = 'phasegate.db';

/** Options for {@link openEmbeddedStore}. */
export interface EmbeddedStoreOptions {
  /** Follow other processes' writes (polling for SQLite, a watcher for FileStore). Default `true`. */
  readonly watch?: boolean;
}

/**
 * Opens the embedded store in `directory`, the way the CLI and the demo do: a
 * {@link SqliteStore} (`<directory>/phasegate.db`) when better-sqlite3 is installed, otherwise a
 * {@link FileStore}. A directory that already holds FileStore data (and no database) stays a
 * FileStore, so installing better-sqlite3 never hides data written before.
 *
 * @param directory - the store directory (created 0700 when missing)
 * @example
 * ```ts
 * import { createPhasegate } from 'phasegate';
 * import { openEmbeddedStore } from 'phasegate/sqlite';
 * const gate = await createPhasegate({ store: await openEmbeddedStore('./.phasegate') });
 * await gate.close();
 * ```
 */
export async function openEmbeddedStore(directory: string, options: EmbeddedStoreOptions = {}): Promise<Store> {
  const database = join(directory, SQLITE_FILE_NAME);
  const useFiles = (!existsSync(database) && holdsFileStoreData(directory)) || !(await sqliteIsAvailable());
  if (useFiles) return new FileStore(directory, { watch: options.watch ?? true });
  // Without watching, nobody subscribes in practice; the poll interval only matters for subscribers.
  return new SqliteStore(database);
}
