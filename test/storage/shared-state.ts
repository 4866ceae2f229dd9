import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
  kind: 'file' | 'sqlite' | 'redis' | 'postgres',
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

const raceWorker = new URL('../support/race-worker.mjs', import.meta.url).pathname;

interface RaceResult {
  me: string;
  won: string[];
  conflicts: number;
  errors: string[];
}

/**
 * `writers` OS processes wait for a common start, then each tries compare-and-set on version 1 of
 * the same `keys` records, in the same order. Every record must have exactly one winner, and the
 * stored value must name that winner (no acknowledged write overwritten).
 */
export async function raceFromProcesses(
  store: Store,
  kind: 'file' | 'sqlite',
  target: string,
  scratch: string,
  options: { writers?: number; keys?: number } = {},
): Promise<void> {
  const writers = options.writers ?? 8;
  const keys = options.keys ?? 100;
  const collection = `race-${Date.now().toString(36)}`;
  for (let round = 0; round < keys; round++) await store.put(collection, `race-${round}`, { winner: null }, 0);
  const go = join(scratch, `go-${collection}`);
  const running = Array.from({ length: writers }, () =>
    run(process.execPath, [raceWorker, kind, target, collection, String(keys), go], { timeout: 120_000 }),
  );
  // Let every process start and open the store, then release them together.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  writeFileSync(go, '');
  const results = (await Promise.all(running)).map(({ stdout }) => JSON.parse(stdout) as RaceResult);
  expect(results.flatMap((result) => result.errors)).toEqual([]);
  const winners = new Map<string, string[]>();
  for (const result of results) for (const key of result.won) winners.set(key, [...(winners.get(key) ?? []), result.me]);
  const doubleWinners = [...winners].filter(([, who]) => who.length > 1).map(([key]) => key);
  expect(doubleWinners, 'records with more than one winner').toEqual([]);
  expect(winners.size).toBe(keys);
  expect(results.reduce((sum, result) => sum + result.conflicts, 0)).toBe(keys * (writers - 1));
  for (const [key, [winner]] of winners) {
    expect(await store.get(collection, key)).toEqual({ key, version: 2, value: { winner } });
  }
}
