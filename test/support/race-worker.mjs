// One OS process racing the others for compare-and-set on version 1 of many keys, through the
// built package. Waits for the go file, then tries each key once, as fast as it can.
// argv: kind (file|sqlite) target collection keyCount goFile
import { existsSync } from 'node:fs';
import { ConflictError, FileStore } from '../../dist/index.js';

const [kind, target, collection, keyCount, goFile] = process.argv.slice(2);

async function openStore() {
  if (kind === 'file') return new FileStore(target, { watch: false });
  if (kind === 'sqlite') return new (await import('../../dist/sqlite/index.js')).SqliteStore(target);
  throw new Error(`unknown kind ${kind}`);
}

const store = await openStore();
const me = `${process.pid}-${Math.random().toString(36).slice(2)}`;
const result = { me, won: [], conflicts: 0, errors: [] };
const deadline = Date.now() + 30_000;
while (!existsSync(goFile) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
for (let round = 0; round < Number(keyCount); round++) {
  const key = `race-${round}`;
  try {
    await store.put(collection, key, { winner: me }, 1);
    result.won.push(key);
  } catch (error) {
    if (error instanceof ConflictError) result.conflicts++;
    else result.errors.push(String(error));
  }
}
await store.close();
process.stdout.write(JSON.stringify(result));
