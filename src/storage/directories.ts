import { mkdirSync, statSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

// Why not `mkdir(path, { recursive: true })`: Node's recursive mkdir retries a component that
// answers ENOENT after its parent exists, and under /proc (`--store /proc/x`) that never ends:
// the process spins at 100% CPU. Creating one level at a time from the deepest existing
// ancestor is bounded by the path's depth and reports the real error instead.

/** The directories of `path` that do not exist yet, deepest first; stops at the first that exists. */
function missingDirectories(path: string, exists: (candidate: string) => boolean): string[] {
  const missing: string[] = [];
  let current = resolve(path);
  while (!exists(current)) {
    missing.push(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return missing;
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

function alreadyThere(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'EEXIST';
}

/**
 * Creates `path` and any missing parents with `mode`, one level at a time. Resolves to the first
 * directory it created (the one to remove to undo it), or `undefined` when `path` already existed,
 * like `mkdir(path, { recursive: true })` but bounded on every file system.
 */
export async function makeDirectories(path: string, mode: number): Promise<string | undefined> {
  const chain: string[] = [];
  let current = resolve(path);
  for (;;) {
    try {
      await stat(current);
      break;
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
    chain.push(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  await createTopDown(chain, (directory) => mkdir(directory, { mode }));
  return chain.at(-1);
}

async function createTopDown(chain: readonly string[], create: (directory: string) => Promise<unknown>): Promise<void> {
  for (let index = chain.length - 1; index >= 0; index--) {
    try {
      await create(chain[index]!);
    } catch (error) {
      if (!alreadyThere(error)) throw error;
    }
  }
}

/** Synchronous {@link makeDirectories}, for code that opens a file synchronously right after. */
export function makeDirectoriesSync(path: string, mode: number): string | undefined {
  const chain = missingDirectories(path, (candidate) => {
    try {
      statSync(candidate);
      return true;
    } catch (error) {
      if (!isMissing(error)) throw error;
      return false;
    }
  });
  for (let index = chain.length - 1; index >= 0; index--) {
    try {
      mkdirSync(chain[index]!, { mode });
    } catch (error) {
      if (!alreadyThere(error)) throw error;
    }
  }
  return chain.at(-1);
}
