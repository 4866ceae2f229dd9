import { mkdtempSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Collections, FileStore, createPhasegate } from '../../src/index.js';
import { runStorageConformance } from '../../src/testing/index.js';
import { makeFlag } from '../helpers.js';
import { followsThroughNotification } from './outage.js';
import { hammerFromProcesses } from './shared-state.js';

const directory = mkdtempSync(join(tmpdir(), 'phasegate-file-conformance-'));
runStorageConformance(() => new FileStore(directory), { name: 'FileStore conformance', shared: true, test: { describe, it, expect, afterEach } });

const freshDirectory = () => join(mkdtempSync(join(tmpdir(), 'phasegate-file-')), 'store');

describe('FileStore on disk', () => {
  it('creates the directory 0700 and files 0600, in the documented format', async () => {
    const dir = freshDirectory();
    const store = new FileStore(dir);
    await store.put('flags', 'a', { x: 1 }, 0);
    await store.put('flags', 'a', { x: 2 }, 1);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'flags.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'flags.json.bak')).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(dir, 'flags.json'), 'utf8'))).toEqual({
      format: 'phasegate-store',
      formatVersion: 1,
      collection: 'flags',
      records: { a: { version: 2, value: { x: 2 } } },
    });
    expect(JSON.parse(readFileSync(join(dir, 'flags.json.bak'), 'utf8')).records.a.version).toBe(1);
    expect(existsSync(join(dir, '.lock'))).toBe(false);
  });

  it('a corrupt file gives a clear error naming it, and is never overwritten', async () => {
    const dir = freshDirectory();
    const store = new FileStore(dir);
    await store.put('flags', 'a', { x: 1 }, 0);
    await store.put('flags', 'a', { x: 2 }, 1);
    const file = join(dir, 'flags.json');
    const broken = readFileSync(file, 'utf8').replace('"version": 2', '"version": 2,,');
    writeFileSync(file, broken);
    const reader = new FileStore(dir);
    await expect(reader.get('flags', 'a')).rejects.toThrow(`Store file ${file} is corrupt: invalid JSON`);
    await expect(reader.put('flags', 'b', {}, 0)).rejects.toThrow(/is corrupt/);
    await expect(reader.put('flags', 'a', {}, 2)).rejects.toThrow(/last good copy is .*flags\.json\.bak/);
    expect(readFileSync(file, 'utf8')).toBe(broken);
    expect(JSON.parse(readFileSync(`${file}.bak`, 'utf8')).records.a).toEqual({ version: 1, value: { x: 1 } });
  });

  it('a hand-broken record is named in the error', async () => {
    const dir = freshDirectory();
    const store = new FileStore(dir);
    await store.put('flags', 'a', 1, 0);
    const file = join(dir, 'flags.json');
    writeFileSync(file, JSON.stringify({ format: 'phasegate-store', formatVersion: 1, records: { a: { version: 'two', value: 1 } } }));
    await expect(new FileStore(dir).list('flags')).rejects.toThrow(/record "a" must be \{ "version": <integer ≥ 1>/);
    writeFileSync(file, JSON.stringify({ format: 'something-else', records: {} }));
    await expect(new FileStore(dir).list('flags')).rejects.toThrow(/"format" must be "phasegate-store"/);
  });

  it('rejects prototype-polluting keys on load', async () => {
    const dir = freshDirectory();
    const store = new FileStore(dir);
    await store.put('flags', 'a', 1, 0);
    const file = join(dir, 'flags.json');
    const text = '{"format":"phasegate-store","formatVersion":1,"records":{"__proto__":{"version":1,"value":{"polluted":true}}}}';
    writeFileSync(file, text);
    await expect(new FileStore(dir).list('flags')).rejects.toThrow(/corrupt.*__proto__.*prototype pollution/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('createPhasegate on a corrupt store fails with the file named and leaves the bytes alone', async () => {
    const dir = freshDirectory();
    const store = new FileStore(dir);
    await store.put(Collections.flags, 'x', makeFlag({ key: 'x' }), 0);
    const file = join(dir, 'flags.json');
    writeFileSync(file, '{ not json');
    await expect(createPhasegate({ store: new FileStore(dir) })).rejects.toThrow(`Store file ${file} is corrupt`);
    expect(readFileSync(file, 'utf8')).toBe('{ not json');
  });

  it('rejects collection names that are not safe file names', async () => {
    const store = new FileStore(freshDirectory());
    await expect(store.get('../etc', 'x')).rejects.toThrow(/collection.*must be lowercase letters/);
  });

  it('loses no update when several processes hammer one flag', async () => {
    const dir = freshDirectory();
    const store = new FileStore(dir);
    await hammerFromProcesses(store, 'file', dir, { durationMs: 3000 });
  });

  it('takes over a lock left by a dead process', async () => {
    const dir = freshDirectory();
    const store = new FileStore(dir);
    await store.put('flags', 'a', 1, 0);
    writeFileSync(join(dir, '.lock'), '999999999\n');
    await store.put('flags', 'a', 2, 1);
    expect((await store.get('flags', 'a'))!.version).toBe(2);
  });

  it('a second client on the same directory follows writes through the file watcher', async () => {
    const dir = freshDirectory();
    await followsThroughNotification(() => new FileStore(dir));
  });
});
