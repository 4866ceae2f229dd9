import { readFileSync } from 'node:fs';

/** A fenced code block of a Markdown file. */
export interface CodeBlock {
  /** The file, relative to the repository (`docs/cli.md`). */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** 1-based position among the file's runnable-language blocks. */
  readonly index: number;
  readonly language: 'sh' | 'ts';
  readonly code: string;
  /** Why the block is not run, from a `<!-- not-run: reason -->` line right above its fence. */
  readonly notRun: string | undefined;
}

const LANGUAGES: Readonly<Record<string, 'sh' | 'ts'>> = { sh: 'sh', bash: 'sh', shell: 'sh', ts: 'ts', typescript: 'ts' };
const NOT_RUN = /^<!--\s*not-run:\s*(.+?)\s*-->$/;

/**
 * The shell and TypeScript blocks of a Markdown file, in order. Blocks in other languages (or
 * none: output samples) are not returned. A block is skipped by the runner only when the line
 * right above its fence is `<!-- not-run: why -->`; the docs test lists every such block. A
 * TypeScript block without imports continues the ones before it and runs together with them.
 */
export function codeBlocks(root: string, file: string): CodeBlock[] {
  const lines = readFileSync(`${root}/${file}`, 'utf8').split('\n');
  const blocks: CodeBlock[] = [];
  // A TypeScript block with no import of its own carries on from the blocks before it (a guide
  // that builds one `gate` step by step): it runs with them, from the last block that imports.
  let chain = '';
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, info] = open;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !(lines[i]!.trimStart().startsWith(fence!) && lines[i]!.trim() === fence); i++) {
      body.push(lines[i]!.startsWith(indent!) ? lines[i]!.slice(indent!.length) : lines[i]!);
    }
    const language = LANGUAGES[info!.toLowerCase()];
    if (!language) continue;
    const marker = NOT_RUN.exec(lines[start - 1]?.trim() ?? '');
    let code = `${body.join('\n')}\n`;
    if (language === 'ts' && !marker) {
      chain = /^\s*import\s/m.test(code) ? code : `${chain}${code}`;
      code = chain;
    }
    blocks.push({ file, line: start + 1, index: blocks.length + 1, language, code, notRun: marker?.[1] });
  }
  return blocks;
}
