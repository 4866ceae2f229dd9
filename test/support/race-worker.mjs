// One OS process racing the others for compare-and-set on version 1 of one record per round,
// through the built package. Round r starts when the file `<go>-<r>` appears; the process tries
// once, then reports by creating `<go>-<r>-done-<id>`.
// argv: kind (file|sqlite) target collection rounds go
import { existsSync, writeFileSync } from 'node:fs';
import { ConflictError, FileStore } from '../../dist/index.js';

const [kind, target, collection, rounds, go] = process.argv.slice(2);

async function openStore() {
  if (kind === 'file') return new FileStore(target, { watch: false });
  if (kind === 'sqlite') return new (await import('../../dist/sqlite/index.js')).SqliteStore(target);
  throw new Error(`unknown kind ${kind}`);
}

const store = await openStore();
const me = `${process.pid}-${Math.random().toString(36).slice(2)}`;
const result = { me, won: [], conflicts: 0, errors: [] };
for (let round = 0; round < Number(rounds); round++) {
  const deadline = Date.now() + 60_000;
  while (!existsSync(`${go}-${round}`)) {
    if (Date.now() > deadline) throw new Error(`round ${round} never started`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const key = `race-${round}`;
  try {
    await store.put(collection, key, { winner: me }, 1);
    result.won.push(key);
  } catch (error) {
    if (error instanceof ConflictError) result.conflicts++;
    else result.errors.push(String(error));
  }
  writeFileSync(`${go}-${round}-done-${me}`, '');
}
await store.close();
process.stdout.write(JSON.stringify(result));
