import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const doc = readFileSync(new URL('../../docs/targeting.md', import.meta.url), 'utf8');
const blocks = (language: string) => [...doc.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((match) => match[1]!);

describe('docs/targeting.md runs top to bottom', () => {
  it('every ts block, as one program', async () => {
    const code = blocks('ts');
    expect(code.length).toBeGreaterThanOrEqual(6);
    // Under test/ so vitest resolves `phasegate` to the source, as a user's bundler resolves the package.
    const directory = resolve(import.meta.dirname, `.doc-run-${process.pid}`);
    mkdirSync(directory, { recursive: true });
    try {
      const file = join(directory, 'targeting.ts');
      writeFileSync(file, `${code.join('\n')}\nexport {};\n`);
      await import(file);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('every sh block, against a fresh store', async () => {
    const script = blocks('sh');
    expect(script.length).toBeGreaterThanOrEqual(1);
    const directory = mkdtempSync(join(tmpdir(), 'phasegate-targeting-doc-'));
    try {
      const main = resolve(import.meta.dirname, '../../src/cli/main.ts');
      const tsx = resolve(import.meta.dirname, '../../node_modules/tsx/dist/loader.mjs');
      const bin = join(directory, 'bin');
      mkdirSync(bin);
      writeFileSync(join(bin, 'phasegate'), `#!/bin/sh\nexec "${process.execPath}" --import "${tsx}" "${main}" "$@" --store "${join(directory, 'store')}"\n`);
      chmodSync(join(bin, 'phasegate'), 0o755);
      const { stdout } = await promisify(execFile)('bash', ['-e', '-c', script.join('\n')], {
        cwd: directory,
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
      });
      expect(stdout).toContain('on  reason RULE_MATCH');
      expect(stdout).toContain('1. staff: serve on when email STR_ENDS_WITH/i @example.com');
      expect(stdout).toContain('used by:     checkout');
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  }, 180_000);
});
