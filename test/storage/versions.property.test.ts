import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { FileStore, MemoryStore } from '../../src/index.js';
import { SqliteStore } from '../../src/sqlite/index.js';
import { concurrentRecreatesNeverReuseVersions, versionsNeverGoBackwards } from './versions.js';

const directory = mkdtempSync(join(tmpdir(), 'phasegate-versions-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('versions never go backwards (property)', () => {
  it('MemoryStore', async () => {
    await versionsNeverGoBackwards(() => new MemoryStore(), 200);
  });

  it('MemoryStore, concurrent deletes and re-creates', async () => {
    const shared = new MemoryStore();
    await concurrentRecreatesNeverReuseVersions(() => shared);
  });

  it('FileStore', async () => {
    await versionsNeverGoBackwards(() => new FileStore(join(directory, 'property'), { watch: false }), 25);
  });

  it('FileStore, several instances deleting and re-creating one key', async () => {
    await concurrentRecreatesNeverReuseVersions(() => new FileStore(join(directory, 'concurrent'), { watch: false }), { instances: 4, rounds: 40, pauseMs: 5 });
  });

  it('SqliteStore', async () => {
    await versionsNeverGoBackwards(() => new SqliteStore(join(directory, 'sqlite-property', 'phasegate.db')), 50);
  });

  it('SqliteStore, several instances deleting and re-creating one key', async () => {
    await concurrentRecreatesNeverReuseVersions(() => new SqliteStore(join(directory, 'sqlite-concurrent', 'phasegate.db')), { instances: 4, rounds: 40, pauseMs: 5 });
  });
});
