import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('docs/testing.md', () => {
  const doc = readFileSync(new URL('../../docs/testing.md', import.meta.url), 'utf8');
  const directory = new URL('../../examples/property-testing/', import.meta.url);
  const examples = readdirSync(directory).filter((file) => file.endsWith('.test.ts'));

  it('shows exactly the worked examples that run as tests', () => {
    expect(examples).toHaveLength(3);
    for (const file of examples) expect(doc).toContain(readFileSync(new URL(file, directory), 'utf8'));
  });
});
