import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { temporaryDirectories } from '../support/temp.js';

const root = resolve(import.meta.dirname, '../..');
const main = join(root, 'src/cli/main.ts');
const scratch = temporaryDirectories('variants-cli');
// Resolved here, so the CLI can run in a directory of its own (where `tsx` is not installed).
const tsx = import.meta.resolve('tsx');

function phasegate(cwd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, ['--import', tsx, main, ...args], { cwd }, (error, stdout, stderr) => {
      done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('phasegate flag … with variants', () => {
  it('creates a string flag with a split, serves variants from rules, and shows them in eval, show, status and the dashboard', async () => {
    const cwd = scratch();
    const created = await phasegate(cwd, ['flag', 'create', 'checkout-theme', '--type', 'string', '--variant', 'blue=#00f', '--variant', 'red=#f00', '--variant', 'green=#0f0', '--fallthrough', 'blue=34,red=33,green=33', '--state', 'enabled']);
    expect(created).toMatchObject({ code: 0 });
    const json = JSON.parse((await phasegate(cwd, ['flag', 'show', 'checkout-theme', '--json'])).stdout);
    expect(json).toMatchObject({
      valueType: 'string',
      variants: [{ name: 'blue', value: '#00f' }, { name: 'red', value: '#f00' }, { name: 'green', value: '#0f0' }],
      offVariant: 'blue',
      fallthrough: { type: 'split', weights: [{ variant: 'blue', weight: 34_000 }, { variant: 'red', weight: 33_000 }, { variant: 'green', weight: 33_000 }] },
    });
    const evaluated = await phasegate(cwd, ['flag', 'eval', 'checkout-theme', '--user', 'u-42']);
    expect(evaluated.stdout).toMatch(/^variant (blue|red|green) = "#[0f]{3}"  \(SPLIT, variant bucket \d+\)$/m);
    const rule = await phasegate(cwd, ['flag', 'rule', 'add', 'checkout-theme', '--id', 'staff', '--when', 'email STR_ENDS_WITH @example.com', '--serve', 'red']);
    expect(rule.stdout).toBe('added rule staff: serve variant red when email STR_ENDS_WITH @example.com to checkout-theme\n');
    const staff = await phasegate(cwd, ['flag', 'eval', 'checkout-theme', '--user', 'u-1', '--attr', 'email=ann@example.com']);
    expect(staff.stdout).toContain('variant red = "#f00"  (TARGETING_MATCH)');
    expect(staff.stdout).toContain("serves variant 'red'");
    const shown = (await phasegate(cwd, ['flag', 'show', 'checkout-theme'])).stdout;
    expect(shown).toContain('value type:   string\nvariants:\n  blue = "#00f"\n  red = "#f00"\n  green = "#0f0"\noff variant:  blue\nfallthrough:  blue 34% / red 33% / green 33%');
    expect((await phasegate(cwd, ['status'])).stdout).toContain('string: blue 34% / red 33% / green 33% (off: blue)');
    await phasegate(cwd, ['dashboard', '--out', 'dash.html']);
    const html = readFileSync(join(cwd, 'dash.html'), 'utf8');
    expect(html).toContain('<h2>Flags with variants</h2>');
    expect(html).toContain('blue = &quot;#00f&quot;');
  }, 300_000);

  it('reads values by type, and refuses bad variants and splits with a usage error naming the option', async () => {
    const cwd = scratch();
    await phasegate(cwd, ['flag', 'create', 'limits', '--type', 'json', '--variant', 'small={"items":10}', '--variant', 'big={"items":100}', '--fallthrough', 'big', '--off-variant', 'small']);
    expect(JSON.parse((await phasegate(cwd, ['flag', 'show', 'limits', '--json'])).stdout).variants).toEqual([{ name: 'small', value: { items: 10 } }, { name: 'big', value: { items: 100 } }]);
    expect(await phasegate(cwd, ['flag', 'create', 'n', '--type', 'number', '--variant', 'a=ten'])).toMatchObject({ code: 2, stderr: expect.stringContaining("--variant a: a number flag's value must be a number, got 'ten'") });
    expect(await phasegate(cwd, ['flag', 'create', 'n', '--variant', 'a=1'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--variant needs --type') });
    expect(await phasegate(cwd, ['flag', 'create', 's', '--type', 'string', '--variant', 'a=x', '--variant', 'b=y', '--fallthrough', 'a=50,b=40'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--fallthrough: the shares must add up to 100%, they add up to 90%'),
    });
    expect(await phasegate(cwd, ['flag', 'create', 's', '--type', 'string', '--variant', 'a=x', '--off-variant', 'zz'])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining("offVariant: names 'zz'"),
    });
    // `flag set --variant` reads values as the stored flag's type.
    expect(await phasegate(cwd, ['flag', 'set', 'limits', '--variant', 'small={"items":5}', '--variant', 'big={"items":50}'])).toMatchObject({ code: 0 });
    expect(JSON.parse((await phasegate(cwd, ['flag', 'show', 'limits', '--json'])).stdout).variants[1]).toEqual({ name: 'big', value: { items: 50 } });
  }, 300_000);
});

/** Type-checks `files` (name → source) beside `declarations`, `phasegate` mapped to src; diagnostics by file. */
function typeCheck(directory: string, files: Record<string, string>, declarations: readonly string[] = []): Map<string, string[]> {
  const names = Object.entries(files).map(([name, text]) => {
    const path = join(directory, name);
    writeFileSync(path, text);
    return path;
  });
  const program = ts.createProgram([...declarations, ...names], {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: ['node'],
    typeRoots: [join(root, 'node_modules/@types')],
    baseUrl: root,
    paths: { phasegate: ['./src/index.ts'] },
  });
  const byFile = new Map<string, string[]>();
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const file = diagnostic.file?.fileName ?? '';
    if (!file.startsWith(directory)) continue;
    const name = file.slice(directory.length + 1);
    byFile.set(name, [...(byFile.get(name) ?? []), ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')]);
  }
  return byFile;
}

const USE = (body: string) => `import { createPhasegate, MemoryStore } from 'phasegate';
export async function use(): Promise<void> {
  const gate = await createPhasegate({ store: new MemoryStore() });
  ${body}
}
`;

describe('phasegate typegen', () => {
  it('writes a declaration under which a wrong key or value type fails to compile and a right one passes', async () => {
    const cwd = scratch();
    await phasegate(cwd, ['flag', 'create', 'checkout-theme', '--type', 'string', '--variant', 'blue=#00f', '--variant', 'red=#f00', '--description', 'Theme of the */ checkout']);
    await phasegate(cwd, ['flag', 'create', 'max-items', '--type', 'number', '--variant', 'few=10', '--variant', 'many=100']);
    await phasegate(cwd, ['flag', 'create', 'layout', '--type', 'json', '--variant', 'grid={"columns":3}']);
    await phasegate(cwd, ['flag', 'create', 'new-checkout']);
    const written = await phasegate(cwd, ['typegen', '--out', 'src/flags.d.ts']);
    expect(written).toMatchObject({ code: 0, stdout: `wrote the types of 4 flag(s) to ${join(cwd, 'src/flags.d.ts')}\n` });
    const declaration = readFileSync(join(cwd, 'src/flags.d.ts'), 'utf8');
    expect(declaration).toContain("declare module 'phasegate' {\n  interface PhasegateFlags {\n    /** Theme of the *\\/ checkout */\n    \"checkout-theme\": string;\n    \"layout\": JsonValue;\n");

    const checked = typeCheck(join(cwd, 'src'), {
      'good.ts': USE(`const theme: string = gate.getValue('checkout-theme', { userId: 'u' }, 'blue');
  const limit: number = gate.getValue('max-items', undefined, 10);
  const on: boolean = gate.getValue('new-checkout', undefined, false);
  const layout = gate.getValue('layout', undefined, { columns: 1 });
  const name: string | undefined = gate.variant('checkout-theme')?.name;
  const value: string | undefined = gate.variant('checkout-theme')?.value;
  void [theme, limit, on, layout, name, value];`),
      'wrong-key.ts': USE(`gate.getValue('checkout-thme', undefined, 'blue');`),
      'wrong-type.ts': USE(`gate.getValue('max-items', undefined, 'many');`),
      'wrong-variant-key.ts': USE(`gate.variant('nope');`),
    }, [join(cwd, 'src/flags.d.ts')]);
    expect(checked.get('good.ts'), checked.get('good.ts')?.join('\n')).toBeUndefined();
    expect(checked.get('wrong-key.ts')?.join('\n')).toMatch(/'"checkout-thme"' is not assignable to parameter of type 'keyof PhasegateFlags'/);
    expect(checked.get('wrong-type.ts')?.join('\n')).toMatch(/Argument of type '(string|"many")' is not assignable to parameter of type 'number'/);
    expect(checked.get('wrong-variant-key.ts')).toHaveLength(1);
  }, 300_000);

  it('without the declaration any key works and the value is typed by the fallback', () => {
    const directory = scratch();
    const checked = typeCheck(directory, {
      'free.ts': USE(`const theme: string = gate.getValue('whatever', undefined, 'blue');
  const count: number = gate.getValue('other', undefined, 3);
  // @ts-expect-error a string fallback gives a string
  const wrong: number = gate.getValue('third', undefined, 'x');
  void [theme, count, wrong];`),
    });
    expect(checked.get('free.ts')).toBeUndefined();
  }, 300_000);
});
