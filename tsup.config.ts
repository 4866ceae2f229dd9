import { defineConfig } from 'tsup';

// Two builds: the library (ESM + CJS with types) and the CLI (ESM only; `bin` needs nothing else).
// No source maps: they would point at src/, which the package does not ship.
// `npm run build` empties dist/ first; neither build cleans, so they cannot race.
const common = {
  clean: false,
  sourcemap: false,
  target: 'node20',
  splitting: true,
  treeshake: true,
} as const;

export default defineConfig([
  {
    ...common,
    entry: {
      index: 'src/index.ts',
      'testing/index': 'src/testing/index.ts',
      'redis/index': 'src/redis/index.ts',
      'postgres/index': 'src/postgres/index.ts',
      'sqlite/index': 'src/sqlite/index.ts',
      'openfeature/index': 'src/openfeature/index.ts',
      'schemas/index': 'src/schemas/index.ts',
      'dashboard/index': 'src/dashboard/index.ts',
      'internals/index': 'src/internals/index.ts',
      'console/index': 'src/console/index.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    // import.meta.url for the fast-check loader in the CommonJS build.
    shims: true,
    // fast-check is a peer, so tsup would leave the import alone; let the alias below take it.
    noExternal: ['fast-check'],
    esbuildOptions(options) {
      // Only the arbitraries use fast-check: load it on first use (see the loader for why).
      options.alias = { ...options.alias, 'fast-check': './src/testing/fast-check-loader.ts' };
    },
  },
  {
    ...common,
    entry: { 'cli/main': 'src/cli/main.ts' },
    format: ['esm'],
    dts: false,
  },
]);
