// A second OS process that follows segment changes through a real store.
// argv: kind (redis|postgres) target. Prints `ready <answers>` once loaded, then
// `changed <flags> <answers>` on the first segment change, and exits.
import { createPhasegate, type Store } from '../../src/index.js';

const [kind, target] = process.argv.slice(2) as [string, string];

async function openStore(): Promise<Store> {
  if (kind === 'redis') return new (await import('../../src/redis/index.js')).RedisStore({ url: target });
  return new (await import('../../src/postgres/index.js')).PostgresStore({ connectionString: target });
}

const timer = setTimeout(() => process.exit(2), 30_000);
const gate = await createPhasegate({ store: await openStore() });
const answers = () =>
  JSON.stringify({
    de: gate.isEnabled('eu-checkout', { userId: 'u', attributes: { country: 'DE' } }),
    us: gate.isEnabled('eu-checkout', { userId: 'u', attributes: { country: 'US' } }),
  });
gate.events.once('segment:changed', (change) => {
  process.stdout.write(`changed ${JSON.stringify(change.flags)} ${answers()}\n`);
  clearTimeout(timer);
  void gate.close().then(() => process.exit(0));
});
process.stdout.write(`ready ${answers()}\n`);
