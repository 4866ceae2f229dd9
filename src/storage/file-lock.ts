import { open, readFile, rm, stat } from 'node:fs/promises';
import { StoreError } from '../errors.js';

/** How long a lock may be held before another process may assume its holder died. */
const STALE_AFTER_MS = 30_000;

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * An exclusive lock file (`O_CREAT | O_EXCL`), so two processes never interleave
 * their read-modify-write of the same store directory. A lock left by a dead process,
 * or older than 30 s, is taken over.
 */
export async function withFileLock<T>(path: string, run: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o600);
      try {
        await handle.writeFile(`${process.pid}\n`);
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new StoreError(`Cannot create lock file ${path}: ${(error as Error).message}`, { cause: error });
      }
      if (await lockIsStale(path)) {
        await rm(path, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new StoreError(`Timed out after ${timeoutMs} ms waiting for lock ${path}`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(2 + attempt, 25) * Math.random() + 1));
    }
  }
  try {
    return await run();
  } finally {
    await rm(path, { force: true });
  }
}

async function lockIsStale(path: string): Promise<boolean> {
  try {
    const [content, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    const pid = Number.parseInt(content, 10);
    if (Number.isInteger(pid) && pid > 0 && !processIsAlive(pid)) return true;
    return Date.now() - info.mtimeMs > STALE_AFTER_MS;
  } catch {
    // The holder released it between our attempts: try again.
    return false;
  }
}
