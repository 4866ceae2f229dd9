import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore, TypeMismatchError, createPhasegate, type EvaluationErrorEvent, type Phasegate } from '../../src/index.js';

const THREE_WAY = {
  type: 'split' as const,
  weights: [
    { variant: 'blue', weight: 33_334 },
    { variant: 'red', weight: 33_333 },
    { variant: 'green', weight: 33_333 },
  ],
};

let gate: Phasegate;
afterEach(async () => {
  await gate?.close();
});

async function gateWithFlags(): Promise<Phasegate> {
  gate = await createPhasegate({ store: new MemoryStore(), resyncIntervalMs: 0 });
  await gate.flags.create({
    key: 'checkout-theme',
    state: 'enabled',
    valueType: 'string',
    variants: [
      { name: 'blue', value: '#00f' },
      { name: 'red', value: '#f00' },
      { name: 'green', value: '#0f0' },
    ],
    fallthrough: THREE_WAY,
  });
  await gate.flags.create({ key: 'max-items', state: 'enabled', valueType: 'number', variants: [{ name: 'few', value: 10 }, { name: 'many', value: 100 }], fallthrough: { type: 'variant', variant: 'many' } });
  await gate.flags.create({ key: 'layout', state: 'disabled', valueType: 'json', variants: [{ name: 'grid', value: { columns: 3 } }, { name: 'list', value: { columns: 1 } }], offVariant: 'list' });
  await gate.flags.create({ key: 'new-checkout', state: 'rollout', strategy: { type: 'percentage', percentage: 100 } });
  return gate;
}

describe('gate.getValue', () => {
  it('serves each flag’s value, typed by the fallback, and the same variant as evaluate', async () => {
    await gateWithFlags();
    for (const userId of ['u-1', 'u-2', 'u-3', 'u-4']) {
      const theme: string = gate.getValue('checkout-theme', { userId }, 'blue');
      const details = gate.evaluate('checkout-theme', { userId });
      expect(theme).toBe(details.value);
      expect(gate.variant('checkout-theme', { userId })).toEqual({ name: details.variant, value: details.value });
    }
    const limit: number = gate.getValue('max-items', { userId: 'u' }, 1);
    expect(limit).toBe(100);
    expect(gate.getValue('layout', { userId: 'u' }, { columns: 2 })).toEqual({ columns: 1 });
    expect(gate.getValue('new-checkout', { userId: 'u' }, false)).toBe(true);
  });

  it('answers the fallback for an unknown flag, a split without a user id, and a fallback of the wrong type (with an event)', async () => {
    await gateWithFlags();
    const errors: EvaluationErrorEvent[] = [];
    gate.events.on('evaluation:error', (event) => errors.push(event));
    expect(gate.getValue('nope', { userId: 'u' }, 'fallback')).toBe('fallback');
    expect(gate.getValue('checkout-theme', {}, 'fallback')).toBe('fallback');
    expect(gate.getValue('checkout-theme', { userId: 'u' }, 7 as never)).toBe(7);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.error).toBeInstanceOf(TypeMismatchError);
    expect(errors[0]!.error.message).toBe("flag 'checkout-theme' serves string values, but the fallback given is a number");
    // One bad call does not affect the next.
    expect(gate.getValue('checkout-theme', { userId: 'u-1' }, 'x')).toBe(gate.evaluate('checkout-theme', { userId: 'u-1' }).value);
  });

  it('never throws, whatever the context', async () => {
    await gateWithFlags();
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('boom');
        },
      },
    );
    expect(gate.getValue('checkout-theme', hostile as never, 'safe')).toBe('safe');
    expect(gate.getValue('checkout-theme', { userId: 42 } as never, 'safe')).toBe('safe');
    expect(gate.variant('checkout-theme', hostile as never)).toBeUndefined();
    expect(() => gate.allValues(hostile as never)).not.toThrow();
  });

  it('counts exposures like isEnabled', async () => {
    await gateWithFlags();
    for (let i = 0; i < 10; i++) gate.getValue('max-items', { userId: `u-${i}` }, 0);
    const counter = gate.exposureCounters().get('max-items')!;
    expect(counter.on).toBe(10);
    gate.getValue('layout', { userId: 'u' }, {});
    expect(gate.exposureCounters().get('layout')!.off).toBe(1);
  });
});

describe('gate.evaluate with a fallback', () => {
  it('gives the details of any type, and the fallback with an error code when nothing can be served', async () => {
    await gateWithFlags();
    expect(gate.evaluate('max-items', { userId: 'u' }, 5)).toMatchObject({ value: 100, variant: 'many', variantReason: 'STATIC', reason: 'ENABLED' });
    expect(gate.evaluate('layout', { userId: 'u' }, {})).toMatchObject({ value: { columns: 1 }, variant: 'list', variantReason: 'DISABLED' });
    expect(gate.evaluate('nope', { userId: 'u' }, 'x')).toMatchObject({ value: 'x', variantReason: 'ERROR', errorCode: 'FLAG_NOT_FOUND', reason: 'FLAG_NOT_FOUND' });
    const mismatch = gate.evaluate('max-items', { userId: 'u' }, 'x');
    expect(mismatch).toMatchObject({ value: 'x', variantReason: 'ERROR', errorCode: 'TYPE_MISMATCH', reason: 'ERROR' });
    expect(mismatch).not.toHaveProperty('variant');
    expect(gate.evaluate('checkout-theme', {}, 'x')).toMatchObject({ value: 'x', errorCode: 'TARGETING_KEY_MISSING', reason: 'NO_USER_ID' });
  });
});

describe('gate.allValues', () => {
  it('gives every flag’s value for one user in one object, the same as getValue', async () => {
    await gateWithFlags();
    const values = gate.allValues({ userId: 'u-9' });
    expect(Object.getPrototypeOf(values)).toBeNull();
    expect({ ...values }).toEqual({
      'checkout-theme': gate.getValue('checkout-theme', { userId: 'u-9' }, ''),
      'max-items': 100,
      layout: { columns: 1 },
      'new-checkout': true,
    });
    expect(JSON.parse(JSON.stringify(values))).toEqual({ ...values });
  });

  it('leaves out flags that cannot be served without a user id, and applies boolean overrides', async () => {
    await gateWithFlags();
    gate.override('new-checkout', false);
    gate.override('not-stored', true);
    const values = gate.allValues({});
    expect(values).not.toHaveProperty('checkout-theme');
    expect(values['new-checkout']).toBe(false);
    expect(values['not-stored']).toBe(true);
    expect(values['max-items']).toBe(100);
  });
});
