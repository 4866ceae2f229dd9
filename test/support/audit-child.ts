// A separate process for the atomic-audit crash tests (run with `node --import tsx`).
//   audit-child.ts STORE STEP KEY
// STORE: a SQLite database path, or a redis:// URL. Updates flag KEY (state enabled, by `ana`,
// reason `launch`), or deletes it when STEP ends in `-delete`, and SIGKILLs itself at STEP:
//   after-ahead[-delete]: the pending audit entry is stored, the flag write has not happened;
//   after-write[-delete]: the flag write is committed, its audit entry not promoted.
// Prints `killed-at-never` when the step was never reached.
import { createPhasegate, type Store } from '../../src/index.js';
import { RedisStore } from '../../src/redis/index.js';
import { SqliteStore } from '../../src/sqlite/index.js';

const [where, step, key] = process.argv.slice(2) as [string, string, string];
const inner: Store = where.startsWith('redis://') ? new RedisStore({ url: where }) : new SqliteStore(where);
const die = () => process.kill(process.pid, 'SIGKILL');

// The store as the client sees it, with a trap at the step under test.
const store = new Proxy(inner, {
  get(target, field, receiver) {
    const value = Reflect.get(target, field, receiver) as unknown;
    if (typeof value !== 'function') return value;
    return async (...args: unknown[]) => {
      const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      const [collection, recordKey] = args as [string, string];
      if (field === 'put' && collection === 'audit' && String(recordKey).startsWith('~pending:') && step.startsWith('after-ahead')) die();
      if ((field === 'put' || field === 'delete') && collection === 'flags' && recordKey === key && step.startsWith('after-write')) die();
      return result;
    };
  },
});

const gate = await createPhasegate({ store, resyncIntervalMs: 0 });
if (step.endsWith('-delete')) await gate.flags.delete(key, { by: 'ana', reason: 'cleanup' });
else await gate.flags.update(key, { state: 'enabled' }, { by: 'ana', reason: 'launch' });
process.stdout.write('killed-at-never\n');
await gate.close();
