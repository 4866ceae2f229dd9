import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// Every ts block of docs/guarded-rollouts.md runs as written (importing the built package by its
// name), in order, each as its own module.
const root = resolve(import.meta.dirname, '../..');
const doc = readFileSync(join(root, 'docs/guarded-rollouts.md'), 'utf8');
const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
// Inside the package (in the git-ignored .tmp/) so that `import … from 'phasegate'` resolves to
// this package itself.
mkdirSync(join(root, '.tmp'), { recursive: true });
const directory = mkdtempSync(join(root, '.tmp', 'docs-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function run(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = execFile(process.execPath, ['--import', 'tsx', file], { cwd: root, timeout: 120_000 }, (_error, stdout, stderr) =>
      done({ code: child.exitCode ?? 1, stdout, stderr }),
    );
  });
}

describe('docs/guarded-rollouts.md', () => {
  it('has the blocks this test expects', () => {
    expect(blocks).toHaveLength(3);
  });

  it.each(blocks.map((block, index) => [index, block] as const))('block %i runs and prints what its comments say', async (index, block) => {
    const file = join(directory, `block-${index}.ts`);
    writeFileSync(file, block);
    const result = await run(file);
    expect(result.code, result.stderr).toBe(0);
    if (index === 0) {
      expect(result.stdout).toMatch(/^rolled_back checkout_error of the release's users [\d.]+ is worse than everyone else's [\d.]+ \(.*\) in phase canary \(regression\)$/m);
      expect(result.stdout).toMatch(/^rolled_back regression$/m);
    }
    if (index === 1) expect(result.stdout).toContain('https://hooks.example.com/phasegate');
    if (index === 2) expect(result.stdout.trim()).toBe('true');
  }, 120_000);
});
