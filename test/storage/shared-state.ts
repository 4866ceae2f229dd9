import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { Collections, type Store } from '../../src/index.js';
import { makeFlag } from '../helpers.js';

const run = promisify(execFile);
const worker = new URL('../support/hammer-worker.mjs', import.meta.url).pathname;

interface WorkerResult {
  pid: number;
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
  options: { processes?: number; durationMs?: number; pidNamespaces?: boolean } = {},
): Promise<void> {
  const key = `hammer-${kind}-${Date.now()}`;
  await store.put(Collections.flags, key, makeFlag({ key, metadata: { count: 0 } }), 0);
  const processes = options.processes ?? 4;
  const outputs = await Promise.all(
    Array.from({ length: processes }, (_, index) => {
      const args = [worker, kind, target, Collections.flags, key, String(options.durationMs ?? 3000)];
      // With pidNamespaces, every other writer runs in a PID namespace of its own (as in another container).
      return options.pidNamespaces && index % 2 === 1
        ? run('unshare', ['--pid', '--fork', process.execPath, ...args], { timeout: 60_000 })
        : run(process.execPath, args, { timeout: 60_000 });
    }),
  );
  const results = outputs.map(({ stdout }) => JSON.parse(stdout) as WorkerResult);
  const successes = results.reduce((sum, result) => sum + result.successes, 0);
  const conflicts = results.reduce((sum, result) => sum + result.conflicts, 0);
  expect(results.flatMap((result) => result.errors)).toEqual([]);
  if (options.pidNamespaces) expect(results.filter((result) => result.pid <= 2).length, 'writers in their own PID namespace').toBe(Math.floor(processes / 2));
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
 * `writers` OS processes race, round after round, to compare-and-set version 1 of the same record
 * (one record per round; `beforeRound` runs before each round is released). Every record must have
 * exactly one winner, and the stored value must name it (no acknowledged write overwritten).
 */
export async function raceFromProcesses(
  store: Store,
  kind: 'file' | 'sqlite',
  target: string,
  scratch: string,
  options: { writers?: number; rounds?: number; beforeRound?: (round: number) => void } = {},
): Promise<void> {
  const writers = options.writers ?? 8;
  const rounds = options.rounds ?? 100;
  const collection = `race-${Date.now().toString(36)}`;
  for (let round = 0; round < rounds; round++) await store.put(collection, `race-${round}`, { winner: null }, 0);
  const signals = mkdtempSync(join(scratch, 'race-signals-'));
  const go = join(signals, 'go');
  const running = Array.from({ length: writers }, () =>
    run(process.execPath, [raceWorker, kind, target, collection, String(rounds), go], { timeout: 180_000 }),
  );
  const failed = Promise.all(running).then(
    () => new Promise<never>(() => {}),
    (error: unknown) => Promise.reject(error as Error),
  );
  const roundsDone = (async () => {
    for (let round = 0; round < rounds; round++) {
      options.beforeRound?.(round);
      writeFileSync(`${go}-${round}`, '');
      while (readdirSync(signals).filter((name) => name.startsWith(`go-${round}-done-`)).length < writers) {
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    }
  })();
  await Promise.race([roundsDone, failed]);
  const results = (await Promise.all(running)).map(({ stdout }) => JSON.parse(stdout) as RaceResult);
  rmSync(signals, { recursive: true, force: true });
  expect(results.flatMap((result) => result.errors)).toEqual([]);
  const winners = new Map<string, string[]>();
  for (const result of results) for (const key of result.won) winners.set(key, [...(winners.get(key) ?? []), result.me]);
  const doubleWinners = [...winners].filter(([, who]) => who.length > 1).map(([key]) => key);
  expect(doubleWinners, 'records with more than one winner').toEqual([]);
  expect(winners.size).toBe(rounds);
  expect(results.reduce((sum, result) => sum + result.conflicts, 0)).toBe(rounds * (writers - 1));
  for (const [key, [winner]] of winners) {
    expect(await store.get(collection, key)).toEqual({ key, version: 2, value: { winner } });
  }
}
