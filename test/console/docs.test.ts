import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const tsx = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
const doc = readFileSync(join(root, 'docs/console.md'), 'utf8');
const blocks = [...doc.matchAll(/```(ts|sh)\n([\s\S]*?)```/g)].map(([, lang, code]) => ({ lang: lang!, code: code! }));
const work = mkdtempSync(join(tmpdir(), 'phasegate-console-doc-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// `phasegate` on PATH runs the CLI from source, as the installed bin would from dist.
const bin = join(work, 'bin');
execFileSync('mkdir', ['-p', bin]);
writeFileSync(join(bin, 'phasegate'), `#!/bin/sh\nexec node --import ${tsx} ${join(root, 'src/cli/main.ts')} "$@"\n`);
chmodSync(join(bin, 'phasegate'), 0o755);

describe('docs/console.md runs top to bottom', () => {
  it('has TypeScript and shell examples', () => {
    expect(blocks.filter((b) => b.lang === 'ts').length).toBeGreaterThanOrEqual(3);
    expect(blocks.filter((b) => b.lang === 'sh').length).toBeGreaterThanOrEqual(2);
  });

  blocks.forEach(({ lang, code }, index) => {
    it(`block ${index + 1} (${lang}) runs`, () => {
      if (lang === 'ts') {
        const file = join(work, `block-${index}.mts`);
        writeFileSync(
          file,
          code
            .replace(/from 'phasegate'/g, `from '${join(root, 'src/index.ts')}'`)
            .replace(/from 'phasegate\/console'/g, `from '${join(root, 'src/console/index.ts')}'`),
        );
        const output = execFileSync(process.execPath, ['--import', tsx, file], { cwd: root, encoding: 'utf8', timeout: 60_000 });
        // The comments after console.log say what it prints: check them.
        for (const [, expected] of code.matchAll(/console\.log\(.*\); \/\/ (.+)$/gm)) {
          const words = expected!.split(/[:(]/)[0]!.trim();
          expect(output, `block ${index + 1}`).toContain(words.replace(/ \{.*$/, ''));
        }
      } else {
        const output = execFileSync('bash', ['-e', '-c', code], { cwd: work, encoding: 'utf8', timeout: 60_000, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
        if (code.includes('grep -o')) expect(output).toContain('data-flag="checkout-v2"');
      }
    }, 90_000);
  });
});
