import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { temporaryDirectories } from '../support/temp.js';
import { codeBlocks, type CodeBlock } from './blocks.js';

/**
 * Every shell and TypeScript block of README.md and docs/*.md runs, top to bottom, as a new user
 * would run them: one fresh temp directory per file (so `./.phasegate` is a fresh store), shell
 * blocks with bash where `phasegate` and `npx phasegate` are the built CLI, TypeScript blocks with
 * tsx where `import … from 'phasegate'` is the built package. A block that cannot run is marked
 * `<!-- not-run: why -->` right above its fence, and must be listed in NOT_RUN below.
 */
const root = resolve(import.meta.dirname, '../..');
const scratch = temporaryDirectories('docs');
const files = ['README.md', ...readdirSync(join(root, 'docs')).filter((file) => file.endsWith('.md')).sort().map((file) => `docs/${file}`)];

/** Every block that is not run, as `file: reason`. Adding one is a visible decision. */
const NOT_RUN = [
  'README.md: installs dependencies and runs the whole test suite, which includes this runner',
  'docs/edge.md: a Cloudflare Worker module (test/runtimes/runtimes.test.ts serves one in workerd)',
  'docs/flags.md: the shape of a stored flag, not a program',
  'docs/openfeature.md: installs packages from the registry',
  'docs/openfeature.md: the "before" picture, with a made-up vendor SDK and your app',
  'docs/openfeature.md: needs your app and a Redis server; test/openfeature/provider.test.ts runs the provider',
  'docs/storage.md: the Store interface, a type declaration',
  'docs/storage.md: needs a Redis server; test/storage/redis-store.test.ts runs the adapter against a real one',
  'docs/storage.md: needs a PostgreSQL server; test/storage/postgres-store.test.ts runs the adapter against a real one',
  'docs/storage.md: a test file of your own for your adapter; examples/custom-store/map-store.test.ts is the runnable version',
  'docs/testing.md: runs as examples/property-testing/no-user-loses-a-feature.test.ts (test/testing/docs-examples.test.ts checks the text is the same)',
  'docs/testing.md: runs as examples/property-testing/feature-dependency.test.ts (test/testing/docs-examples.test.ts checks the text is the same)',
  'docs/testing.md: runs as examples/property-testing/stable-assignment.test.ts (test/testing/docs-examples.test.ts checks the text is the same)',
];

const blocksByFile = new Map(files.map((file) => [file, codeBlocks(root, file)]));

/** A directory where `phasegate` and `npx phasegate` run the built CLI, and nothing else does. */
function shims(directory: string): string {
  const bin = join(directory, 'bin');
  mkdirSync(bin);
  const cli = join(root, 'dist', 'cli', 'main.js');
  writeFileSync(join(bin, 'phasegate'), `#!/bin/sh\nexec "${process.execPath}" "${cli}" "$@"\n`);
  writeFileSync(
    join(bin, 'npx'),
    `#!/bin/sh\n[ "$1" = "--no" ] && shift\nif [ "$1" = "phasegate" ]; then shift; exec "${process.execPath}" "${cli}" "$@"; fi\necho "the docs runner only provides 'npx phasegate', not 'npx $*'" >&2\nexit 127\n`,
  );
  chmodSync(join(bin, 'phasegate'), 0o755);
  chmodSync(join(bin, 'npx'), 0o755);
  return bin;
}

/** A project folder whose node_modules has this checkout's packages and `phasegate` itself (its dist). */
function project(directory: string): string {
  const cwd = join(directory, 'project');
  mkdirSync(join(cwd, 'node_modules'), { recursive: true });
  writeFileSync(join(cwd, 'package.json'), JSON.stringify({ name: 'docs-reader', private: true, type: 'module' }));
  for (const entry of readdirSync(join(root, 'node_modules'))) {
    if (entry.startsWith('.')) continue;
    symlinkSync(join(root, 'node_modules', entry), join(cwd, 'node_modules', entry), 'dir');
  }
  symlinkSync(root, join(cwd, 'node_modules', 'phasegate'), 'dir');
  return cwd;
}

function describeFailure(block: CodeBlock, result: ReturnType<typeof spawnSync>): string {
  const exit = result.error ? `could not run (${result.error.message})` : result.signal ? `was killed (${result.signal})` : `exited ${result.status}`;
  return [
    `${block.file} block ${block.index} (line ${block.line}, ${block.language}) ${exit}`,
    `--- stderr ---\n${String(result.stderr).trim()}`,
    `--- stdout ---\n${String(result.stdout).trim()}`,
    `--- block ---\n${block.code.trimEnd()}`,
  ].join('\n');
}

it('lists every block that is not run, and marks nothing else', () => {
  const marked = [...blocksByFile.values()].flat().filter((block) => block.notRun !== undefined);
  expect(marked.map((block) => `${block.file}: ${block.notRun}`).sort()).toEqual([...NOT_RUN].sort());
});

it('runs the built CLI and package (npm test builds before testing)', () => {
  expect(existsSync(join(root, 'dist', 'cli', 'main.js'))).toBe(true);
  expect(existsSync(join(root, 'dist', 'index.js'))).toBe(true);
});

for (const file of files) {
  const blocks = blocksByFile.get(file)!;
  describe.skipIf(blocks.every((block) => block.notRun !== undefined))(file, () => {
    let cwd = '';
    let env: NodeJS.ProcessEnv = {};
    beforeAll(() => {
      const directory = scratch();
      cwd = project(directory);
      const { PHASEGATE_STORE: _ignored, ...rest } = process.env;
      env = { ...rest, PATH: `${shims(directory)}:${process.env.PATH}`, NO_COLOR: '1' };
    });

    for (const block of blocks) {
      it.skipIf(block.notRun !== undefined)(`block ${block.index} (line ${block.line}, ${block.language}) runs`, () => {
        let result;
        if (block.language === 'sh') {
          result = spawnSync('bash', ['-euo', 'pipefail', '-c', block.code], { cwd, env, encoding: 'utf8', timeout: 120_000 });
        } else {
          const script = join(cwd, `block-${block.index}.ts`);
          writeFileSync(script, block.code);
          result = spawnSync(join(root, 'node_modules', '.bin', 'tsx'), [script], { cwd, env, encoding: 'utf8', timeout: 120_000 });
        }
        if (result.status !== 0) expect.fail(describeFailure(block, result));
      }, 150_000);
    }
  });
}
