// The measuring core of `npm run bench`: cases of one group run INTERLEAVED in one process on a
// CPU-time clock, several rounds, so each round gives a ratio between cases that saw the same
// machine load at (almost) the same moment.
//
// Why CPU time and not wall time: the bench machine is shared. Wall time charges a case for the
// time another process held the core; CPU time (process.cpuUsage: user + system of this process,
// GC helper threads included, since their work is part of what a case costs) does not.
// Why interleaved: timing the floor in one process and phasegate in another, one after the
// other, let the ratio swing from 0.48 to 2.5 on this machine as its load changed underneath.
// Why a loop compiled per case: V8 shares type feedback between closures made from one function
// literal, so a shared loop would see every case's `evaluate` and go megamorphic; `new Function`
// gives each case its own code and its own feedback, as a separate process would.

const AsyncFunction = (async () => {}).constructor;

/** CPU time used by this process so far, in microseconds (user + system). */
export function cpuMicros() {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

/**
 * A loop `(evaluate, users, count, start) -> number of truthy answers`, compiled afresh (own
 * type feedback) for one case. Users are cycled from `start`, so successive batches keep
 * walking the same population and the enabled fraction covers all of it.
 */
export function compileLoop(async) {
  const body = `
    const n = users.length;
    let i = start % n;
    let on = 0;
    for (let k = 0; k < count; k++) {
      if (${async ? 'await ' : ''}evaluate(users[i])) on++;
      if (++i === n) i = 0;
    }
    return on;`;
  return async ? new AsyncFunction('evaluate', 'users', 'count', 'start', body) : new Function('evaluate', 'users', 'count', 'start', body);
}

/** min / median / max of a list of numbers. */
export function spread(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return { min: NaN, median: NaN, max: NaN };
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { min: sorted[0], median, max: sorted[sorted.length - 1] };
}

/**
 * Measures `entries` ({ name, evaluate, async }) interleaved: warm-up, a batch size per case
 * calibrated to about `batchMs` of CPU, then `rounds` rounds in which every case runs one batch
 * (the order rotates each round, so no case always follows the same one). Returns, per case,
 * the operations per CPU-second of every round, the total answers and the truthy ones.
 */
export async function measureInterleaved(entries, users, { rounds, batchMs, warmupMs = batchMs * 2 }) {
  const state = entries.map((entry) => ({ ...entry, loop: compileLoop(Boolean(entry.async)), position: 0, count: 1000, on: 0, total: 0, rounds: [] }));
  const run = async (s, count) => {
    const start = cpuMicros();
    const on = await s.loop(s.evaluate, users, count, s.position);
    const micros = cpuMicros() - start;
    s.position = (s.position + count) % users.length;
    return { on, micros };
  };
  // Warm-up and calibration: grow the batch until it takes a measurable time, then size it.
  for (const s of state) {
    let spent = 0;
    let count = 1000;
    for (;;) {
      const { micros } = await run(s, count);
      spent += micros;
      if (micros >= (batchMs * 1000) / 4 && spent >= warmupMs * 1000) {
        s.count = Math.max(1000, Math.round((count * batchMs * 1000) / Math.max(micros, 1) / 1000) * 1000);
        break;
      }
      if (micros < (batchMs * 1000) / 4) count *= 2;
    }
  }
  for (let round = 0; round < rounds; round++) {
    for (let j = 0; j < state.length; j++) {
      const s = state[(round + j) % state.length];
      const { on, micros } = await run(s, s.count);
      s.on += on;
      s.total += s.count;
      s.rounds.push((s.count * 1e6) / Math.max(micros, 1));
    }
  }
  return state.map(({ name, rounds: perRound, on, total, count }) => ({ name, opsPerSecond: perRound, on, total, batch: count }));
}

/**
 * Ratio of case `a` to case `b` round by round (both measured in the same rounds of the same
 * process): the spread of those per-round ratios is what the reports show.
 */
export function roundRatios(a, b) {
  const length = Math.min(a.length, b.length);
  return Array.from({ length }, (_, i) => a[i] / b[i]);
}
