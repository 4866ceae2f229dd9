import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseStructuredKey, seriesKey, sketchKey, structuredKey, structuredPrefix } from '../../src/analytics/keys.js';

const part = fc.oneof(fc.string(), fc.constantFrom('', '|', '2.0.0', '2.0.0|x', '"', '\\', ',', ']', 'null', '__proto__'), fc.constant(null));

describe('structured analytics keys (issue 14 item 7)', () => {
  it('round-trip any parts, whatever characters they hold', () => {
    fc.assert(
      fc.property(fc.array(part, { maxLength: 5 }), (parts) => {
        expect(parseStructuredKey(structuredKey(...parts))).toEqual(parts);
      }),
    );
  });

  it('a prefix matches exactly the keys whose leading parts are equal: no value reaches into the next part', () => {
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 3 }), fc.array(part, { minLength: 1, maxLength: 4 }), (prefixParts, keyParts) => {
        const matches = structuredKey(...keyParts).startsWith(structuredPrefix(...prefixParts));
        const leadingEqual = keyParts.length > prefixParts.length && prefixParts.every((p, i) => keyParts[i] === p);
        expect(matches).toBe(leadingEqual);
      }),
    );
  });

  it("keeps a release '2.0.0|x' and a feature 'x|<day>' apart from 2.0.0 and from sketches", () => {
    expect(seriesKey('error_rate', '2.0.0|x', null).startsWith(structuredPrefix('series', 'error_rate', '2.0.0'))).toBe(false);
    expect(seriesKey('adoption', 'active', 'x|2026-04-06')).not.toBe(sketchKey('active', 'x', '2026-04-06'));
    expect(parseStructuredKey('error_rate|2.0.0|')).toBeUndefined();
    expect(parseStructuredKey('[1,2]')).toBeUndefined();
    expect(parseStructuredKey('[not json')).toBeUndefined();
  });
});
