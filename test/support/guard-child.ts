// A separate process for the guarded-rollout tests (run with `node --import tsx`).
//   decide-then-die STORE_DIR URL AT: plans and starts 3.0.0 with a webhook rollback step, records
//     a critical error rate, and is SIGKILLed the moment the rollback is committed (before any
//     notification is written or delivered).
//   record STORE_DIR AT COUNT: records COUNT error_rate samples of 20 at time AT (a breach).
import { FileStore, ManualClock, createPhasegate } from '../../src/index.js';

const [mode, directory, ...rest] = process.argv.slice(2);
const store = new FileStore(directory!, { watch: false });

if (mode === 'decide-then-die') {
  const [url, at] = rest;
  const clock = new ManualClock(Number(at));
  const gate = await createPhasegate({ store, clock });
  await gate.releases.plan({
    version: '3.0.0',
    type: 'minor',
    features: ['risky'],
    rollbackPlan: {
      triggers: [{ metric: 'error_rate', limit: 5, bad: 'above', critical: 8 }],
      steps: [
        { action: 'disableFeatures', params: {} },
        { action: 'webhook', params: { url: url! } },
      ],
    },
  });
  await gate.releases.start('3.0.0');
  gate.events.on('release:rolledBack', () => {
    process.stdout.write('decided\n');
    process.kill(process.pid, 'SIGKILL');
  });
  for (let i = 0; i < 5; i++) {
    clock.advance(60_000);
    await gate.analytics.record({ metric: 'error_rate', value: 20, release: '3.0.0' });
  }
  process.stdout.write('not killed\n');
} else if (mode === 'record') {
  const [at, count] = rest;
  const clock = new ManualClock(Number(at));
  const gate = await createPhasegate({ store, clock });
  for (let i = 0; i < Number(count); i++) await gate.analytics.record({ metric: 'error_rate', value: 20 });
  process.stdout.write('recorded\n');
  gate.detach();
} else {
  throw new Error(`unknown mode ${mode}`);
}
