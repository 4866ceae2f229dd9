import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layering of docs/architecture.md, checked on every import in src/:
 * core (flags/, storage/ and the top-level core files) knows no domain; a domain knows the core
 * and itself; only the composition files and the edges (CLI, adapters, testing) see everything.
 */
const src = resolve(import.meta.dirname, '../src');
const DOMAINS = ['releases', 'early-access', 'analytics'];
const CORE_DIRS = ['flags', 'storage'];
const CORE_FILES = ['clock.ts', 'errors.ts', 'validation.ts', 'event-port.ts', 'contracts.ts', 'hyperloglog.ts', 'runtime.ts', 'semver.ts'];

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

function layerOf(file: string): string {
  const path = relative(src, file);
  const [first] = path.split('/');
  if (!path.includes('/')) return CORE_FILES.includes(path) ? 'core' : `composition:${path}`;
  if (CORE_DIRS.includes(first!)) return 'core';
  if (DOMAINS.includes(first!)) return `domain:${first}`;
  return `edge:${first}`;
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'/g)].map((match) => resolve(dirname(file), match[1]!.replace(/\.js$/, '.ts')));
}

describe('architecture', () => {
  const all = files(src);

  it('has the layers it documents', () => {
    expect(all.some((file) => layerOf(file) === 'domain:releases')).toBe(true);
    expect(all.filter((file) => layerOf(file) === 'core').length).toBeGreaterThan(10);
  });

  it('core knows no domain, no composition file and no edge; a domain imports no other domain', () => {
    const violations: string[] = [];
    for (const file of all) {
      const from = layerOf(file);
      if (from.startsWith('composition') || from.startsWith('edge')) continue;
      for (const target of importsOf(file)) {
        const to = layerOf(target);
        const allowed = to === 'core' || to === from;
        if (!allowed) violations.push(`${relative(src, file)} (${from}) imports ${relative(src, target)} (${to})`);
      }
    }
    expect(violations).toEqual([]);
  });
});
