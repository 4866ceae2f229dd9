// One OS process hammering a single flag with read-modify-write through the built package.
// argv: kind (file|sqlite|redis|postgres) target collection key durationMs
import { ConflictError, FileStore } from '../../dist/index.js';

const [kind, target, collection, key, durationMs] = process.argv.slice(2);

async function openStore() {
  if (kind === 'file') return new FileStore(target, { watch: false });
  if (kind === 'sqlite') return new (await import('../../dist/sqlite/index.js')).SqliteStore(target);
  if (kind === 'redis') return new (await import('../../dist/redis/index.js')).RedisStore({ url: target });
  if (kind === 'postgres') return new (await import('../../dist/postgres/index.js')).PostgresStore({ connectionString: target });
  throw new Error(`unknown kind ${kind}`);
}

const store = await openStore();
const result = { pid: process.pid, successes: 0, conflicts: 0, errors: [] };
const deadline = Date.now() + Number(durationMs);
while (Date.now() < deadline) {
  try {
    const current = await store.get(collection, key);
    const flag = current.value;
    const next = { ...flag, metadata: { ...flag.metadata, count: flag.metadata.count + 1 } };
    await store.put(collection, key, next, current.version);
    result.successes++;
  } catch (error) {
    if (error instanceof ConflictError) result.conflicts++;
    else result.errors.push(String(error));
  }
}
await store.close();
process.stdout.write(JSON.stringify(result));
