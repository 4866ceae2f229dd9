import { defineConfig } from 'tsup';

export default defineConfig({
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
    'cli/main': 'src/cli/main.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  splitting: true,
  treeshake: true,
});
