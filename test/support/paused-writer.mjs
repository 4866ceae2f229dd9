// One OS process that reads a record and then writes a large value over it with compare-and-set,
// so the test has time to stop (SIGSTOP) or kill it mid-write. Prints what its write ended as.
// argv: directory collection key nameReuseAfterMs
import { ConflictError, FileStore, StoreError } from '../../dist/index.js';

const [directory, collection, key, nameReuseAfterMs] = process.argv.slice(2);
const store = new FileStore(directory, { watch: false, nameReuseAfterMs: Number(nameReuseAfterMs) });
const current = await store.get(collection, key);
let outcome;
try {
  await store.put(collection, key, { by: 'paused', padding: 'x'.repeat(40_000_000) }, current.version);
  outcome = 'ok';
} catch (error) {
  if (error instanceof ConflictError) outcome = `conflict: ${error.message}`;
  else if (error instanceof StoreError) outcome = `store-error: ${error.message}`;
  else outcome = `error: ${String(error)}`;
}
await store.close();
process.stdout.write(JSON.stringify({ outcome }));
