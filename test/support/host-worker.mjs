// One app host: a phasegate client on a real server, with several lanes that evaluate a flag
// and write through the store, while the test stops, kills and restarts the server under it.
// argv: kind (redis|postgres) url prefix lanes host (the host's name, part of the keys it writes)
// stdout: JSON lines: {"event":"ready"}, {"event":"unavailable"}, {"event":"available"}, then
// the result {"event":"result", ...}. stdin: a line "stop" ends the run.
// The process must never die: an unhandled 'error' event or rejection exits non-zero, which
// the test reports.
import { createInterface } from 'node:readline';
import { AlreadyExistsError, StoreError, createPhasegate } from '../../dist/index.js';

const [kind, url, prefix, lanesArgument, hostName] = process.argv.slice(2);
const lanes = Number(lanesArgument);

async function openStore() {
  if (kind === 'redis') return new (await import('../../dist/redis/index.js')).RedisStore({ url });
  if (kind === 'postgres') {
    const { PostgresStore } = await import('../../dist/postgres/index.js');
    return new PostgresStore({ connectionString: url, reconnectIntervalMs: 100, maxReconnectIntervalMs: 1000 });
  }
  throw new Error(`unknown kind ${kind}`);
}

const write = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);
const result = {
  event: 'result',
  evaluations: 0,
  isEnabledThrows: [],
  wrongAnswers: 0,
  // Keys whose create was acknowledged (resolved): each must be in the store after the restart.
  acked: [],
  ackedAfterRecovery: 0,
  // A create whose reply was lost may have landed or not: allowed, never counted as acked.
  ambiguous: 0,
  storeErrors: 0,
  // The first store errors after the store said it was back (for diagnosis; bounded).
  errorsAfterRecovery: [],
  unexpectedErrors: [],
  statuses: [],
};

const gate = await createPhasegate({ store: await openStore() });
let recovered = false;
gate.events.on('store:unavailable', () => {
  result.statuses.push('unavailable');
  write({ event: 'unavailable' });
});
gate.events.on('store:available', () => {
  result.statuses.push('available');
  if (result.statuses.includes('unavailable')) recovered = true;
  write({ event: 'available' });
});

let stopping = false;
const onKey = `${prefix}-on`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function lane(index) {
  for (let n = 0; !stopping; n++) {
    for (let j = 0; j < 200; j++) {
      result.evaluations++;
      try {
        if (gate.isEnabled(onKey, { userId: `user-${index}-${j}` }) !== true) result.wrongAnswers++;
      } catch (error) {
        result.isEnabledThrows.push(String(error));
      }
    }
    const key = `${prefix}-${hostName}-l${index}-${n}`;
    const after = recovered;
    try {
      await gate.flags.create({ key, state: 'enabled' });
      result.acked.push(key);
      if (after) result.ackedAfterRecovery++;
    } catch (error) {
      if (error instanceof AlreadyExistsError) result.ambiguous++;
      else if (error instanceof StoreError) result.storeErrors++;
      else result.unexpectedErrors.push(String(error));
      if (after && result.errorsAfterRecovery.length < 20) result.errorsAfterRecovery.push(`${Date.now()} ${String(error)}`);
    }
    try {
      await gate.flags.get(onKey);
    } catch (error) {
      if (error instanceof StoreError) result.storeErrors++;
      else result.unexpectedErrors.push(String(error));
    }
    await sleep(10);
  }
}

const running = Array.from({ length: lanes }, (_, index) => lane(index));
write({ event: 'ready' });

// Bounded: stop on "stop", on stdin closing, or after two minutes whatever happens.
const stop = () => {
  stopping = true;
};
createInterface({ input: process.stdin }).on('line', (line) => line.trim() === 'stop' && stop()).on('close', stop);
const guard = setTimeout(stop, 120_000);
while (!stopping) await sleep(20);
clearTimeout(guard);
await Promise.all(running);
await gate.close();
write(result);
process.exit(0);
