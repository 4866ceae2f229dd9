import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StoreError } from '../src/errors.js';
import { asyncContext, findBuiltin, hmacSha256Hex, nodeBuiltin, randomHex, sha256Hex } from '../src/runtime.js';

describe('what phasegate asks of its host (src/runtime.ts)', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('hashes exactly like node:crypto: SHA-256 and HMAC-SHA256 of any text, unicode and empty included', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 100 }), (text, key) => {
        expect(sha256Hex(text)).toBe(createHash('sha256').update(text).digest('hex'));
        expect(hmacSha256Hex(key, text)).toBe(createHmac('sha256', key).update(text).digest('hex'));
      }),
      { numRuns: 300 },
    );
    // Keys longer than a SHA-256 block are hashed first, as HMAC specifies.
    const long = 'k'.repeat(200);
    expect(hmacSha256Hex(long, 'body')).toBe(createHmac('sha256', long).update('body').digest('hex'));
  });

  it('draws random bytes from Web Crypto as hex', () => {
    const drawn = new Set(Array.from({ length: 50 }, () => randomHex(8)));
    for (const value of drawn) expect(value).toMatch(/^[0-9a-f]{16}$/);
    expect(drawn.size).toBe(50);
  });

  it('finds Node built-ins through process.getBuiltinModule, and nothing in a runtime without it', () => {
    expect(findBuiltin<typeof import('node:path')>('node:path')?.join('a', 'b')).toBe('a/b');
    vi.stubGlobal('process', undefined);
    expect(findBuiltin('node:path')).toBeUndefined();
  });

  it('FileStore in a runtime without a file system: importing works, using it says what is missing', () => {
    vi.stubGlobal('process', undefined);
    const fs = nodeBuiltin<typeof import('node:fs')>('node:fs', 'FileStore');
    const { readdirSync } = fs;
    expect(() => readdirSync('.')).toThrow(StoreError);
    expect(() => readdirSync('.')).toThrow(
      'FileStore needs node:fs, which this runtime does not have (it runs in Node.js, Bun and Deno); use MemoryStore or a networked store here',
    );
  });

  it("carries a value through awaits with the host's AsyncLocalStorage", async () => {
    const context = asyncContext<string>();
    const seen = await Promise.all(
      ['a', 'b'].map((value) =>
        context.run(value, async () => {
          await new Promise((resolve) => setTimeout(resolve, value === 'a' ? 5 : 1));
          return context.getStore();
        }),
      ),
    );
    expect(seen).toEqual(['a', 'b']);
    expect(context.getStore()).toBeUndefined();
  });

  it('without AsyncLocalStorage (a browser) the context carries nothing, so the audit log falls back to the default actor', async () => {
    vi.stubGlobal('process', undefined);
    const context = asyncContext<string>();
    expect(await context.run('a', async () => context.getStore())).toBeUndefined();
    expect(context.run('a', () => 42)).toBe(42);
  });
});
