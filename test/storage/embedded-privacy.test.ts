import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Collections, FileStore, MemoryStore, createPhasegate, type Store } from '../../src/index.js';
import { SqliteStore } from '../../src/sqlite/index.js';
import { PROTOTYPE_NAMED_IDS } from '../../src/testing/conformance.js';

const scratch = mkdtempSync(join(tmpdir(), 'phasegate-embedded-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let counter = 0;

const kinds: [string, () => { store: Store; directory?: string }][] = [
  ['MemoryStore', () => ({ store: new MemoryStore() })],
  [
    'FileStore',
    () => {
      const directory = join(scratch, `file-${++counter}`);
      return { store: new FileStore(directory), directory };
    },
  ],
  [
    'SqliteStore',
    () => {
      const directory = join(scratch, `sqlite-${++counter}`);
      return { store: new SqliteStore(join(directory, 'phasegate.db')), directory };
    },
  ],
];

/** Every byte of every file under `directory`. */
function allBytes(directory: string): Buffer {
  const chunks: Buffer[] = [];
  const visit = (path: string): void => {
    if (statSync(path).isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
    else chunks.push(readFileSync(path));
  };
  visit(directory);
  return Buffer.concat(chunks);
}

describe.each(kinds)('%s', (_, open) => {
  it("enroll({ userId: 'constructor' }) works and leaves the members collection readable", async () => {
    const { store } = open();
    const gate = await createPhasegate({ store });
    try {
      await gate.earlyAccess.enroll({ userId: 'alice', email: 'alice@example.com', level: 'beta' });
      for (const [index, userId] of PROTOTYPE_NAMED_IDS.entries()) {
        await gate.earlyAccess.enroll({ userId, email: `proto${index}@example.com`, level: 'beta' });
      }
      for (const userId of PROTOTYPE_NAMED_IDS) expect((await gate.earlyAccess.member(userId))?.userId).toBe(userId);
      await gate.earlyAccess.approve('constructor');
      expect((await gate.earlyAccess.member('constructor'))?.status).toBe('approved');
      // The collection is still readable and writable as a whole.
      const stats = await gate.earlyAccess.stats();
      expect(stats.members.total).toBe(PROTOTYPE_NAMED_IDS.length + 1);
      await gate.earlyAccess.enroll({ userId: 'bob', email: 'bob@example.com', level: 'alpha' });
      expect((await gate.earlyAccess.member('bob'))?.status).toBe('pending');
      expect(await store.count(Collections.earlyAccessUsers)).toBe(PROTOTYPE_NAMED_IDS.length + 2);
      await gate.earlyAccess.delete('__proto__');
      expect(await gate.earlyAccess.member('__proto__')).toBe(undefined);
    } finally {
      await gate.close();
    }
  });
});

describe.each(kinds.filter(([name]) => name !== 'MemoryStore'))('%s, right to be forgotten', (_, open) => {
  it('after earlyAccess.delete no byte of the email or the feedback text is left in the store files', async () => {
    const { store, directory } = open();
    const email = 'forget.me.please@example.com';
    const text = 'Confidential: the export button ate my quarterly report';
    const gate = await createPhasegate({ store });
    try {
      await gate.earlyAccess.createFeature({ key: 'bulk-export', description: 'Export everything', level: 'beta' });
      await gate.earlyAccess.enroll({ userId: 'leaver', email, level: 'beta' });
      await gate.earlyAccess.enroll({ userId: 'stayer', email: 'stayer@example.com', level: 'beta' });
      for (const userId of ['leaver', 'stayer']) {
        await gate.earlyAccess.approve(userId);
        await gate.earlyAccess.activate(userId);
      }
      await gate.earlyAccess.feedback('leaver', 'bulk-export', { rating: 2, text });
      await gate.earlyAccess.feedback('stayer', 'bulk-export', { rating: 5, text: 'Works for me' });
      // Written more than once, so backups and older generations hold copies too.
      await gate.earlyAccess.suspend('leaver', 'testing');
      await gate.earlyAccess.reinstate('leaver');
      expect(allBytes(directory!).includes(email)).toBe(true);
      expect(allBytes(directory!).includes(text)).toBe(true);

      await gate.earlyAccess.delete('leaver');
      expect(await gate.earlyAccess.member('leaver')).toBe(undefined);
      expect((await gate.earlyAccess.member('stayer'))?.email).toBe('stayer@example.com');
    } finally {
      await gate.close();
    }
    const bytes = allBytes(directory!);
    expect(bytes.includes(email), 'the email is still in the store files').toBe(false);
    expect(bytes.includes(text), 'the feedback text is still in the store files').toBe(false);
    expect(bytes.includes('stayer@example.com')).toBe(true);
  });
});
