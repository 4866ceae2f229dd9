// Scale: how long 10,000 flags take to load, and memory per flag. Run with --expose-gc.
import { Collections, MemoryStore, createPhasegate } from '../dist/index.js';

const count = Number(process.argv[2] ?? 10_000);
const store = new MemoryStore();
for (let i = 0; i < count; i++) {
  const key = `flag-${String(i).padStart(5, '0')}`;
  await store.put(Collections.flags, key, { key, description: 'scale test flag', state: 'rollout', strategy: { type: 'percentage', percentage: 25 }, enabledUsers: [], tags: [], metadata: {}, hashVersion: 1, createdAt: 0, updatedAt: 0 }, 0);
}
globalThis.gc?.();
const before = process.memoryUsage().heapUsed;
const start = process.hrtime.bigint();
const gate = await createPhasegate({ store });
const loadMs = Number(process.hrtime.bigint() - start) / 1e6;
globalThis.gc?.();
const bytesPerFlag = (process.memoryUsage().heapUsed - before) / count;
let on = 0;
for (let i = 0; i < count; i++) if (gate.isEnabled(`flag-${String(i).padStart(5, '0')}`, { userId: 'u-1' })) on++;
process.stdout.write(`${JSON.stringify({ flags: gate.allFlags().length, loadMs, bytesPerFlag, on })}\n`);
process.exit(0);
