/**
 * The 12-week rollout demo (`npm run demo`): 100,000 synthetic users on a simulated clock.
 * A major release walks through every phase of its plan; each week shows who has it and
 * checks that nobody who had it lost it.
 */
import { Duration, ManualClock, MemoryStore, createPhasegate } from 'phasegate';

const USERS = 100_000;
const WEEKS = 12;

async function main(): Promise<void> {
  const clock = new ManualClock(Date.UTC(2026, 0, 5));
  const gate = await createPhasegate({ store: new MemoryStore(), clock });
  const users = Array.from({ length: USERS }, (_, i) => `user-${i}`);

  gate.events.on('release:phaseChanged', ({ release, from, to, percentage }) =>
    console.log(`        ↳ ${release.version}: ${from} → ${to} (${percentage}%)`),
  );
  gate.events.on('release:completed', ({ release }) => console.log(`        ↳ ${release.version} released to everyone`));

  await gate.flags.create({ key: 'dark-mode', state: 'rollout', strategy: { type: 'ring', rings: ['internal', 'canary'] } });
  await gate.releases.plan({
    version: '2.0.0',
    type: 'major',
    features: ['new-search', 'new-nav'],
    plan: {
      phases: [
        { name: 'alpha', percentage: 1, durationMs: Duration.week },
        { name: 'beta', percentage: 5, durationMs: 2 * Duration.week },
        { name: 'early-access', percentage: 20, durationMs: 3 * Duration.week },
        { name: 'gradual', percentage: 50, durationMs: 6 * Duration.week },
        { name: 'full', percentage: 100, durationMs: 0 },
      ],
    },
  });
  await gate.releases.start('2.0.0', { by: 'demo' });

  console.log(`phasegate demo: ${USERS.toLocaleString('en')} users, ${WEEKS} simulated weeks\n`);
  console.log('week  phase          exposure   users with new-search   nobody dropped');
  let previous = new Set<string>();
  for (let week = 0; week <= WEEKS; week++) {
    if (week > 0) {
      clock.advance(Duration.week);
      await gate.releases.tick();
    }
    const progress = await gate.releases.progress('2.0.0');
    const exposed = new Set<string>();
    for (const userId of users) if (gate.isEnabled('new-search', { userId })) exposed.add(userId);
    const kept = [...previous].every((userId) => exposed.has(userId));
    previous = exposed;
    console.log(
      `${String(week).padStart(4)}  ${(progress.phase ?? '-').padEnd(13)}  ${`${progress.exposurePercentage}%`.padStart(8)}   ${exposed.size.toLocaleString('en').padStart(21)}   ${kept ? 'yes' : 'NO'}`,
    );
    if (!kept) throw new Error('a user lost the feature: monotonicity is broken');
  }

  console.log(`\ncurrent version: ${await gate.releases.currentVersion()}`);
  console.log(`dark-mode for an internal user: ${gate.isEnabled('dark-mode', { ring: 'internal' })}, in production: ${gate.isEnabled('dark-mode')}`);
  console.log('flags by state:', gate.flags.stats().byState);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
