import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** docs/architecture.md lists every entry point's value exports; this keeps the list true. */
const doc = readFileSync(new URL('../docs/architecture.md', import.meta.url), 'utf8');
const section = doc.slice(doc.indexOf('## Public surface'));

function documented(): Map<string, string[]> {
  const entries = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const [, token, colon] of section.matchAll(/`([^`]+)`(:?)/g)) {
    if (token!.startsWith('phasegate') && colon) entries.set(token!, (current = []));
    else current?.push(token!);
  }
  return entries;
}

const MODULES: Record<string, () => Promise<Record<string, unknown>>> = {
  phasegate: () => import('../src/index.js'),
  'phasegate/schemas': () => import('../src/schemas/index.js'),
  'phasegate/dashboard': () => import('../src/dashboard/index.js'),
  'phasegate/testing': () => import('../src/testing/index.js'),
  'phasegate/openfeature': () => import('../src/openfeature/index.js'),
  'phasegate/sqlite': () => import('../src/sqlite/index.js'),
  'phasegate/console': () => import('../src/console/index.js'),
  'phasegate/redis': () => import('../src/redis/index.js'),
  'phasegate/postgres': () => import('../src/postgres/index.js'),
  'phasegate/internals': () => import('../src/internals/index.js'),
};

describe('public surface', () => {
  it('docs/architecture.md lists exactly what each entry point exports', async () => {
    const listed = documented();
    expect([...listed.keys()].sort()).toEqual(Object.keys(MODULES).sort());
    for (const [entry, load] of Object.entries(MODULES)) {
      expect(listed.get(entry)!.slice().sort(), entry).toEqual(Object.keys(await load()).sort());
    }
  });

  it('the main entry keeps internals out (statistics, sketches, schemas, renderers)', async () => {
    const main = await import('../src/index.js');
    for (const name of ['HyperLogLog', 'summarize', 'quantile', 'SERIES_WINDOW', 'flagSchema', 'strategySchema', 'renderStatus', 'gatherOverview']) {
      expect(main, name).not.toHaveProperty(name);
    }
  });
});
