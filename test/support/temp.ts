import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * Temporary directories for one test file, all removed after its last test, pass or fail.
 * Call at the top level of the file (it registers an `afterAll`); the returned function makes
 * a fresh `phasegate-<name>-XXXXXX` directory in the system temp folder.
 */
export function temporaryDirectories(name: string): () => string {
  const made: string[] = [];
  afterAll(() => {
    for (const directory of made.splice(0)) rmSync(directory, { recursive: true, force: true });
  });
  return () => {
    const directory = mkdtempSync(join(tmpdir(), `phasegate-${name}-`));
    made.push(directory);
    return directory;
  };
}
