/**
 * The 12-week rollout demo (`npm run demo`): 100,000 synthetic users, a simulated clock,
 * and a feature taken from 1% to everyone over twelve weeks, printing who has it each week.
 */
import { Duration, ManualClock, MemoryStore, createPhasegate, rampPercentage } from 'phasegate';

const USERS = 100_000;
const WEEKS = 12;

async function main(): Promise<void> {
  const clock = new ManualClock(Date.UTC(2026, 0, 5));
  const gate = await createPhasegate({ store: new MemoryStore(), clock });
  const users = Array.from({ length: USERS }, (_, i) => `user-${i}`);
  const start = clock.now();

  await gate.flags.create({
    key: 'new-search',
    description: 'Search rebuilt on the new index, ramped over 12 weeks',
    state: 'rollout',
    strategy: { type: 'gradual', startAt: start, endAt: start + WEEKS * Duration.week },
  });
  await gate.flags.create({
    key: 'dark-mode',
    description: 'Dark mode for internal staff first',
    state: 'rollout',
    strategy: { type: 'ring', rings: ['internal', 'canary'] },
  });
  await gate.flags.create({
    key: 'checkout-v2',
    description: 'New checkout at a fixed 12.5%',
    state: 'rollout',
    strategy: { type: 'percentage', percentage: 12.5 },
  });

  console.log(`phasegate demo: ${USERS.toLocaleString('en')} users, ${WEEKS} simulated weeks\n`);
  console.log('week  ramp %   new-search users   checkout-v2 users   kept everyone from last week');
  let previous = new Set<string>();
  for (let week = 0; week <= WEEKS; week++) {
    clock.set(start + week * Duration.week);
    const exposed = new Set<string>();
    let checkout = 0;
    for (const userId of users) {
      if (gate.isEnabled('new-search', { userId })) exposed.add(userId);
      if (gate.isEnabled('checkout-v2', { userId })) checkout++;
    }
    const kept = [...previous].every((userId) => exposed.has(userId));
    previous = exposed;
    const ramp = rampPercentage(start, start + WEEKS * Duration.week, clock.now());
    console.log(
      `${String(week).padStart(4)}  ${ramp.toFixed(3).padStart(7)}  ${exposed.size.toLocaleString('en').padStart(17)}  ${checkout.toLocaleString('en').padStart(18)}   ${kept ? 'yes' : 'NO'}`,
    );
    if (!kept) throw new Error('a user lost the feature: monotonicity is broken');
  }

  console.log(`\ndark-mode for an internal user: ${gate.isEnabled('dark-mode', { ring: 'internal' })}`);
  console.log(`dark-mode in production:        ${gate.isEnabled('dark-mode')}`);
  console.log('\nflags by state:', gate.flags.stats().byState);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
