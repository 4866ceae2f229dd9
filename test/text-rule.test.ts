import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryStore, ValidationError, createPhasegate } from '../src/index.js';
import { textProblem } from '../src/validation.js';

const BAD = ['a\u0000b', '\u0000', 'x\uD800', '\uDC00y', 'a\uDC00\uD800b'];

describe('one text rule for every store', () => {
  it('\\u0000 in text passes validation no more (PostgreSQL refused it later): every model refuses it, naming the field', async () => {
    const gate = await createPhasegate({ store: new MemoryStore(), resyncIntervalMs: 0 });
    try {
      await gate.flags.create({ key: 'f' });
      await gate.releases.plan({ version: '1.0.0', type: 'minor', features: ['g'] });
      await gate.earlyAccess.createFeature({ key: 'editor', level: 'beta' });
      await gate.earlyAccess.enroll({ userId: 'm', email: 'm@example.com', level: 'beta' });
      await gate.earlyAccess.approve('m');
      await gate.earlyAccess.activate('m');
      await gate.releases.start('1.0.0');
      for (const bad of BAD) {
        const attempts: Array<[string, () => Promise<unknown>]> = [
          ['flag description', () => gate.flags.create({ key: 'g', description: bad })],
          ['flag update', () => gate.flags.update('f', { enabledUsers: ['ok', bad] })],
          ['flag metadata key', () => gate.flags.update('f', { metadata: { [bad]: 1 } })],
          ['release description', () => gate.releases.plan({ version: '2.0.0', type: 'minor', description: bad })],
          ['release bug fix', () => gate.releases.plan({ version: '2.0.1', type: 'patch', bugFixes: [bad] })],
          ['hold reason', () => gate.releases.hold('1.0.0', bad)],
          ['actor', () => gate.releases.advance('1.0.0', { by: bad })],
          ['enrollment user id', () => gate.earlyAccess.enroll({ userId: bad, email: 'x@example.com' })],
          ['feature description', () => gate.earlyAccess.createFeature({ key: 'other', level: 'beta', description: bad })],
          ['feedback text', () => gate.earlyAccess.feedback('m', 'editor', { text: bad })],
          ['suspension reason', () => gate.earlyAccess.suspend('m', bad)],
          ['metric feature', () => gate.analytics.record({ metric: 'error_rate', value: 1, feature: bad })],
        ];
        for (const [what, attempt] of attempts) {
          const error = await attempt().catch((e: unknown) => e);
          expect(error, `${what} with ${JSON.stringify(bad)}`).toBeInstanceOf(ValidationError);
          expect((error as Error).message).toMatch(/NUL|surrogate/);
        }
      }
      // Nothing was stored by the refused writes.
      expect((await gate.flags.get('f'))?.enabledUsers).toEqual([]);
      expect(await gate.releases.get('2.0.0')).toBeUndefined();
      expect((await gate.releases.get('1.0.0'))?.hold).toBeNull();
      expect((await gate.earlyAccess.member('m'))?.status).toBe('active');
      expect(await gate.earlyAccess.feedbackOf('m')).toEqual([]);
    } finally {
      await gate.close();
    }
  });

  it('property: text is refused exactly when it holds NUL or an unpaired surrogate', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)) }), (text) => {
        const wellFormed = !/[\uD800-\uDFFF]/.test(text.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''));
        expect(textProblem(text) === undefined).toBe(wellFormed && !text.includes('\u0000'));
      }),
      { numRuns: 2000 },
    );
  });
});
