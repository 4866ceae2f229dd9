/**
 * What `import fc from 'fast-check'` means inside the built package (tsup aliases it here).
 *
 * Why: fast-check is an optional peer that only the arbitraries need, yet `phasegate/testing`
 * re-exports them beside `createTestGate`. A static import would make the whole subpath fail to
 * load without fast-check (ERR_MODULE_NOT_FOUND before any code runs), so the built package
 * loads it on first use instead, and says how to install it if it is missing. The arbitraries
 * only touch `fc` inside their functions, so merely importing `phasegate/testing` never loads it.
 *
 * fast-check's own checks are duck-typed, so arbitraries from this (CommonJS) copy mix freely
 * with the ones a test file builds from its own `import fc from 'fast-check'`.
 */
import { createRequire } from 'node:module';

type FastCheck = typeof import('fast-check');

let loaded: FastCheck | undefined;

function fastCheck(): FastCheck {
  if (loaded) return loaded;
  try {
    loaded = createRequire(import.meta.url)('fast-check') as FastCheck;
    return loaded;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'MODULE_NOT_FOUND' && /'fast-check'/.test((error as Error).message)) {
      throw new Error("phasegate's arbitraries need fast-check, which is not installed: run 'npm install --save-dev fast-check'", { cause: error });
    }
    throw error;
  }
}

const fc = new Proxy({} as FastCheck, {
  get: (_target, property) => Reflect.get(fastCheck(), property),
  has: (_target, property) => Reflect.has(fastCheck(), property),
});

export default fc;
