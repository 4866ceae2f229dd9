// Scale: loading flags and their memory, against the floor of reading and parsing the same
// records, and GrowthBook holding the same number of features. Each size runs in a fresh
// process (run with --expose-gc):
//   node --expose-gc bench/scale.mjs <flags>
// Prints JSON. Times are CPU time of this process; memory is retained heap after a full GC.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Collections, MemoryStore, createPhasegate } from '../dist/index.js';

const count = Number(process.argv[2] ?? 10_000);
const cpuMs = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};
const heap = () => {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
};
const keyOf = (i) => `flag-${String(i).padStart(6, '0')}`;
const record = (key) => ({ key, description: 'scale test flag', state: 'rollout', strategy: { type: 'percentage', percentage: 25 }, enabledUsers: [], tags: [], metadata: {}, hashVersion: 1, createdAt: 0, updatedAt: 0 });

// The floor: the same records as one JSON file, read and parsed.
const directory = mkdtempSync(join(tmpdir(), 'phasegate-scale-'));
const file = join(directory, 'flags.json');
writeFileSync(file, JSON.stringify(Array.from({ length: count }, (_, i) => ({ key: keyOf(i), version: 1, value: record(keyOf(i)) }))));
let start = cpuMs();
const parsed = JSON.parse(readFileSync(file, 'utf8'));
const floorMs = cpuMs() - start;
if (parsed.length !== count) throw new Error('floor read the wrong number of records');
rmSync(directory, { recursive: true, force: true });

const store = new MemoryStore();
for (let i = 0; i < count; i++) await store.put(Collections.flags, keyOf(i), record(keyOf(i)), 0);
// The store's own listing (what any load must at least do with this store).
start = cpuMs();
let listed = 0;
let after;
for (;;) {
  const page = await store.list(Collections.flags, after === undefined ? { limit: 1000 } : { after, limit: 1000 });
  listed += page.length;
  if (page.length < 1000) break;
  after = page.at(-1).key;
}
const listMs = cpuMs() - start;

const before = heap();
start = cpuMs();
const gate = await createPhasegate({ store, resyncIntervalMs: 0 });
const loadMs = cpuMs() - start;
const bytesPerFlag = (heap() - before) / count;
let on = 0;
for (let i = 0; i < count; i++) if (gate.isEnabled(keyOf(i), { userId: 'u-1' })) on++;
const bytesPerFlagEvaluated = (heap() - before) / count;

// GrowthBook holding the same number of features (its payload parsed and kept, as it keeps it).
const { GrowthBookClient } = await import('@growthbook/growthbook');
const payloadText = JSON.stringify({ features: Object.fromEntries(Array.from({ length: count }, (_, i) => [keyOf(i), { defaultValue: false, rules: [{ force: true, coverage: 0.25, hashAttribute: 'id' }] }])) });
const peerBefore = heap();
start = cpuMs();
const client = new GrowthBookClient({ apiHost: 'http://127.0.0.1:9', clientKey: 'sdk-bench' });
client.initSync({ payload: JSON.parse(payloadText), streaming: false });
const peerLoadMs = cpuMs() - start;
const peerBytesPerFlag = (heap() - peerBefore) / count;
let peerOn = 0;
for (let i = 0; i < count; i++) if (client.evalFeature(keyOf(i), { attributes: { id: 'u-1' } }).value === true) peerOn++;
client.destroy();
process.stdout.write(`${JSON.stringify({ flags: gate.allFlags().length, listed, floorMs, listMs, loadMs, bytesPerFlag, bytesPerFlagEvaluated, peerLoadMs, peerBytesPerFlag, on, peerOn })}\n`);
process.exit(0);
