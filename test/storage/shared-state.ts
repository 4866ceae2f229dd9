import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { Collections, type Store } from '../../src/index.js';
import { makeFlag } from '../helpers.js';

const run = promisify(execFile);
const worker = new URL('../support/hammer-worker.mjs', import.meta.url).pathname;

interface WorkerResult {
  successes: number;
  conflicts: number;
  errors: string[];
}

/**
 * Several OS processes read-modify-write one flag for a few seconds. The final count
 * must equal the number of successful writes: no lost update, every failure a conflict.
 */
export async function hammerFromProcesses(
  store: Store,
  kind: 'file' | 'redis' | 'postgres',
  target: string,
  options: { processes?: number; durationMs?: number } = {},
): Promise<void> {
  const key = `hammer-${kind}-${Date.now()}`;
  await store.put(Collections.flags, key, makeFlag({ key, metadata: { count: 0 } }), 0);
  const processes = options.processes ?? 4;
  const outputs = await Promise.all(
    Array.from({ length: processes }, () =>
      run(process.execPath, [worker, kind, target, Collections.flags, key, String(options.durationMs ?? 3000)], { timeout: 60_000 }),
    ),
  );
  const results = outputs.map(({ stdout }) => JSON.parse(stdout) as WorkerResult);
  const successes = results.reduce((sum, result) => sum + result.successes, 0);
  const conflicts = results.reduce((sum, result) => sum + result.conflicts, 0);
  expect(results.flatMap((result) => result.errors)).toEqual([]);
  expect(successes).toBeGreaterThan(processes);
  expect(conflicts).toBeGreaterThan(0);
  const final = await store.get<{ metadata: { count: number } }>(Collections.flags, key);
  expect(final!.value.metadata.count).toBe(successes);
  expect(final!.version).toBe(successes + 1);
}
