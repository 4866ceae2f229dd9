import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as src from '../src/index.js';

/**
 * One process loading both builds, as an app does when its code imports phasegate and a
 * dependency requires it. Runs after `npm run build` (part of `npm test`).
 */
const dist = resolve(import.meta.dirname, '../dist');
type Api = typeof src;
const loadEsm = async (): Promise<Api> => (await import(pathToFileURL(resolve(dist, 'index.js')).href)) as Api;
const loadCjs = (): Api => createRequire(import.meta.url)(resolve(dist, 'index.cjs')) as Api;

const CLASSES = [
  ['ValidationError', 'VALIDATION', (api: Api) => new api.ValidationError('thing', [{ path: 'a', message: 'bad' }])],
  ['ConflictError', 'CONFLICT', (api: Api) => new api.ConflictError('flags', 'k', 1, 2)],
  ['NotFoundError', 'NOT_FOUND', (api: Api) => new api.NotFoundError('Flag', 'k')],
  ['AlreadyExistsError', 'ALREADY_EXISTS', (api: Api) => new api.AlreadyExistsError('Flag', 'k')],
  ['IllegalTransitionError', 'ILLEGAL_TRANSITION', (api: Api) => new api.IllegalTransitionError('release 1.0.0', 'a', 'b')],
  ['StoreError', 'STORE', (api: Api) => new api.StoreError('down')],
  ['ClosedError', 'CLOSED', (api: Api) => new api.ClosedError('closed')],
] as const;

describe('error identity', () => {
  it('every error class check works from both the ESM and the CJS build', async () => {
    const esm = await loadEsm();
    const cjs = loadCjs();
    expect(esm.PhasegateError).not.toBe(cjs.PhasegateError); // really two builds
    for (const [thrower, checker] of [[esm, cjs], [cjs, esm], [esm, esm], [cjs, cjs], [src, esm], [cjs, src]] as const) {
      for (const [name, code, make] of CLASSES) {
        const error = make(thrower);
        expect(error.code).toBe(code);
        expect(error).toBeInstanceOf(checker[name]);
        expect(error).toBeInstanceOf(checker.PhasegateError);
        expect(error).toBeInstanceOf(Error);
        expect(checker.isPhasegateError(error)).toBe(true);
        expect(checker.isPhasegateError(error, code)).toBe(true);
        for (const [other, otherCode] of CLASSES) {
          if (other === name) continue;
          expect(error).not.toBeInstanceOf(checker[other]);
          expect(checker.isPhasegateError(error, otherCode)).toBe(false);
        }
      }
    }
  });

  it('a duplicate thrown by the CJS build is an AlreadyExistsError to ESM code', async () => {
    const esm = await loadEsm();
    const cjs = loadCjs();
    const gate = await cjs.createPhasegate({ store: new cjs.MemoryStore() });
    try {
      await gate.flags.create({ key: 'dup' });
      const error = await gate.flags.create({ key: 'dup' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(esm.AlreadyExistsError);
      expect(esm.isPhasegateError(error, 'ALREADY_EXISTS')).toBe(true);
    } finally {
      await gate.close();
    }
  });

  it('is not fooled by look-alikes', () => {
    for (const value of [null, undefined, 42, 'ALREADY_EXISTS', { code: 'ALREADY_EXISTS' }, new Error('x'), Object.assign(new Error('x'), { code: 'CONFLICT' })]) {
      expect(src.isPhasegateError(value)).toBe(false);
      expect(value instanceof src.PhasegateError).toBe(false);
      expect(value instanceof src.ConflictError).toBe(false);
    }
  });

  it('a duplicate email is an AlreadyExistsError (instanceof was false)', async () => {
    const gate = await src.createPhasegate({ store: new src.MemoryStore() });
    try {
      await gate.earlyAccess.enroll({ userId: 'u-1', email: 'ada@example.com' });
      const error = await gate.earlyAccess.enroll({ userId: 'u-2', email: 'ADA@example.com' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(src.AlreadyExistsError);
      expect(Object.getPrototypeOf(error)).toBe(src.AlreadyExistsError.prototype);
      expect((error as Error).message).not.toContain('ada@');
    } finally {
      await gate.close();
    }
  });
});
