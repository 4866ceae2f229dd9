import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FileStore } from '../../src/index.js';
import { parseByLines } from '../../src/storage/file-store.js';
import { isPollutingKey } from '../../src/validation.js';
import { temporaryDirectories } from '../support/temp.js';

const scratch = temporaryDirectories('file-lines');

describe('FileStore reads its files a line at a time (no file is ever one string)', () => {
  it('parses what it wrote line by line to exactly what JSON.parse of the whole file gives, whatever the values', async () => {
    // Values full of the characters the line layout uses: newlines, brackets, commas, indentation.
    const hasPollutingKey = (node: unknown): boolean =>
      node !== null && typeof node === 'object' && Object.entries(node).some(([key, child]) => isPollutingKey(key) || hasPollutingKey(child));
    const valueArbitrary = fc.jsonValue().filter((value) => !hasPollutingKey(value)).map((value) => ({ value, tricky: '\n  ]\n}\n    {"key":"x"},' }));
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), valueArbitrary), { selector: ([key]) => key, maxLength: 12 }), async (entries) => {
        const directory = join(scratch(), 'store');
        const store = new FileStore(directory, { watch: false });
        await store.put('flags', 'seed', 0, 0);
        for (const [key, value] of entries) if (key !== 'seed') await store.put('flags', key, value, 0);
        const bytes = readFileSync((await store.currentFileOf('flags'))!);
        expect(parseByLines(bytes)).toEqual(JSON.parse(bytes.toString('utf8')));
        // And a fresh store reading that file sees every record as written.
        const reader = new FileStore(directory, { watch: false });
        for (const [key, value] of entries) if (key !== 'seed') expect((await reader.get('flags', key))?.value).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 25 },
    );
  });

  it('leaves files laid out otherwise (hand-written, compact, format 1) to the whole-file parser', () => {
    expect(parseByLines(Buffer.from('{"format":"phasegate-store","formatVersion":2,"records":[]}'))).toBe(undefined);
    expect(parseByLines(Buffer.from('{\n  "format": "phasegate-store",\n  "records": {}\n}\n'))).toBe(undefined);
    // A record line broken by hand: the whole-file parser reports it, with JSON's own message.
    expect(parseByLines(Buffer.from('{\n  "format": "phasegate-store",\n  "records": [\n    {"key":"a",,}\n  ]\n}\n'))).toBe(undefined);
    // Anything after the closing brace is not this store's layout either.
    expect(parseByLines(Buffer.from('{\n  "format": "phasegate-store",\n  "records": [\n  ]\n}\nextra\n'))).toBe(undefined);
  });
});
