import { ErrorCode, OpenFeature } from '@openfeature/server-sdk';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, MemoryStore, createPhasegate, type Phasegate } from '../../src/index.js';
import { PhasegateProvider, toPhasegateContext } from '../../src/openfeature/index.js';

afterEach(async () => {
  await OpenFeature.close();
});

async function gateWith(): Promise<Phasegate> {
  const gate = await createPhasegate({ store: new MemoryStore(), clock: new ManualClock(Date.UTC(2026, 0, 1)) });
  await gate.flags.create({ key: 'checkout', state: 'enabled', metadata: { team: 'payments', ticket: 42, paid: true, ratio: 0.25 } });
  await gate.flags.create({ key: 'plain', state: 'enabled' });
  await gate.flags.create({ key: 'off', state: 'disabled', metadata: { team: 'growth' } });
  await gate.flags.create({ key: 'sunset', state: 'deprecated' });
  return gate;
}

describe('PhasegateProvider flag metadata', () => {
  it("passes the flag's own metadata through as flagMetadata, values and types unchanged", async () => {
    const gate = await gateWith();
    await OpenFeature.setProviderAndWait(new PhasegateProvider(gate));
    const details = await OpenFeature.getClient().getBooleanDetails('checkout', false);
    expect(details.flagMetadata).toStrictEqual({ team: 'payments', ticket: 42, paid: true, ratio: 0.25 });
  });

  it("a flag without metadata reports none (phasegate's own reason, state and bucket no longer appear in flagMetadata)", async () => {
    const gate = await gateWith();
    await OpenFeature.setProviderAndWait(new PhasegateProvider(gate));
    expect((await OpenFeature.getClient().getBooleanDetails('plain', false)).flagMetadata).toStrictEqual({});
    expect((await OpenFeature.getClient().getBooleanDetails('missing', false)).flagMetadata).toStrictEqual({});
  });

  it('follows metadata changes made through any client', async () => {
    const store = new MemoryStore();
    const gate = await createPhasegate({ store });
    await gate.flags.create({ key: 'checkout', state: 'enabled', metadata: { owner: 'a' } });
    const other = await createPhasegate({ store });
    await OpenFeature.setProviderAndWait(new PhasegateProvider(gate));
    const client = OpenFeature.getClient();
    await other.flags.update('checkout', { metadata: { owner: 'b', since: 2026 } });
    await expect.poll(async () => (await client.getBooleanDetails('checkout', false)).flagMetadata).toStrictEqual({ owner: 'b', since: 2026 });
    await other.flags.update('checkout', { metadata: {} });
    await expect.poll(async () => (await client.getBooleanDetails('checkout', false)).flagMetadata).toStrictEqual({});
    await other.flags.delete('checkout');
    await expect.poll(async () => (await client.getBooleanDetails('checkout', false)).errorCode).toBe(ErrorCode.FLAG_NOT_FOUND);
    other.detach();
    gate.detach();
  });

  it('with diagnostics, adds phasegate\'s account under phasegate.* keys beside the flag\'s own metadata', async () => {
    const gate = await gateWith();
    await OpenFeature.setProviderAndWait(new PhasegateProvider(gate, { diagnostics: true }));
    const details = await OpenFeature.getClient().getBooleanDetails('checkout', false);
    expect(details.flagMetadata).toMatchObject({ team: 'payments', ticket: 42, 'phasegate.reason': 'ENABLED', 'phasegate.state': 'enabled' });
  });
});

describe('PhasegateProvider errors and disabled flags', () => {
  it('answers FLAG_NOT_FOUND, not TYPE_MISMATCH, for a missing flag requested as a string, number or object', async () => {
    const gate = await gateWith();
    await OpenFeature.setProviderAndWait(new PhasegateProvider(gate));
    const client = OpenFeature.getClient();
    expect(await client.getStringDetails('missing', 'x')).toMatchObject({ value: 'x', reason: 'ERROR', errorCode: ErrorCode.FLAG_NOT_FOUND });
    expect(await client.getNumberDetails('missing', 7)).toMatchObject({ value: 7, reason: 'ERROR', errorCode: ErrorCode.FLAG_NOT_FOUND });
    expect(await client.getObjectDetails('missing', { a: 1 })).toMatchObject({ value: { a: 1 }, reason: 'ERROR', errorCode: ErrorCode.FLAG_NOT_FOUND });
  });

  it("a disabled or deprecated flag answers the caller's fallback with reason DISABLED, not false", async () => {
    const gate = await gateWith();
    await OpenFeature.setProviderAndWait(new PhasegateProvider(gate));
    const client = OpenFeature.getClient();
    for (const key of ['off', 'sunset']) {
      const details = await client.getBooleanDetails(key, true);
      expect(details).toMatchObject({ value: true, reason: 'DISABLED' });
      expect(details.errorCode).toBeUndefined();
      expect(details.variant).toBeUndefined();
    }
    expect((await client.getBooleanDetails('off', true)).flagMetadata).toStrictEqual({ team: 'growth' });
  });

  it('a request of the wrong type answers TYPE_MISMATCH without evaluating (no exposure is counted)', async () => {
    const gate = await gateWith();
    await OpenFeature.setProviderAndWait(new PhasegateProvider(gate));
    const client = OpenFeature.getClient();
    const counted = () => {
      const counter = gate.exposureCounters().get('checkout');
      return (counter?.on ?? 0) + (counter?.off ?? 0);
    };
    const before = counted();
    expect(await client.getStringDetails('checkout', 'x', { targetingKey: 'u-1' })).toMatchObject({ value: 'x', errorCode: ErrorCode.TYPE_MISMATCH, flagMetadata: { team: 'payments' } });
    expect(counted()).toBe(before);
    await client.getBooleanValue('checkout', false, { targetingKey: 'u-1' });
    expect(counted()).toBe(before + 1);
  });

  it('never rejects, whatever the context holds', async () => {
    const gate = await gateWith();
    const provider = new PhasegateProvider(gate);
    await OpenFeature.setProviderAndWait(provider);
    const hostile = new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error('hostile');
        },
        get: () => {
          throw new Error('hostile');
        },
      },
    );
    const details = await provider.resolveBooleanEvaluation('checkout', false, hostile as never);
    expect(details.value).toBe(true);
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.dictionary(fc.string(), fc.jsonValue()), fc.boolean(), async (key, context, fallback) => {
        const resolved = await provider.resolveBooleanEvaluation(key, fallback, context as never);
        if (resolved.errorCode !== undefined || resolved.reason === 'DISABLED') expect(resolved.value).toBe(fallback);
        else expect(typeof resolved.value).toBe('boolean');
      }),
      { numRuns: 200 },
    );
  });

  it('maps OpenFeature context fields to phasegate context fields and attributes', () => {
    expect(toPhasegateContext({ targetingKey: 'u-1', ring: 'canary', accessLevel: 'beta', earlyAccessFeatures: ['x'], country: 'DE', email: null })).toEqual({
      userId: 'u-1',
      ring: 'canary',
      accessLevel: 'beta',
      earlyAccessFeatures: ['x'],
      attributes: { country: 'DE', email: null },
    });
    expect(toPhasegateContext({ targetingKey: '', accessLevel: 'gold', ring: 3 })).toEqual({ attributes: {} });
  });
});

describe('PhasegateProvider typed values', () => {
  async function typedGate(): Promise<Phasegate> {
    const gate = await createPhasegate({ store: new MemoryStore() });
    await gate.flags.create({
      key: 'theme',
      state: 'enabled',
      valueType: 'string',
      variants: [
        { name: 'blue', value: '#00f' },
        { name: 'red', value: '#f00' },
        { name: 'green', value: '#0f0' },
      ],
      offVariant: 'blue',
      fallthrough: { type: 'split', weights: [{ variant: 'blue', weight: 33_334 }, { variant: 'red', weight: 33_333 }, { variant: 'green', weight: 33_333 }] },
      targets: [{ variant: 'green', users: ['ada'] }],
      rules: [{ id: 'de', conditions: [{ attribute: 'country', operator: 'IN', values: ['DE'] }], serve: { type: 'variant', variant: 'red' } }],
      metadata: { owner: 'design' },
    });
    await gate.flags.create({ key: 'limit', state: 'enabled', valueType: 'number', variants: [{ name: 'low', value: 10 }, { name: 'high', value: 2.5e3 }], offVariant: 'low', fallthrough: { type: 'variant', variant: 'high' } });
    await gate.flags.create({ key: 'layout', state: 'disabled', valueType: 'json', variants: [{ name: 'grid', value: { columns: 3, dense: true } }], offVariant: 'grid', fallthrough: { type: 'variant', variant: 'grid' } });
    await gate.flags.create({ key: 'config', state: 'enabled', valueType: 'json', variants: [{ name: 'v1', value: { retries: 3, hosts: ['a', 'b'] } }], offVariant: 'v1', fallthrough: { type: 'variant', variant: 'v1' } });
    return gate;
  }

  it('resolves string, number and object flags with their variant and the reason that chose it', async () => {
    const gate = await typedGate();
    await OpenFeature.setProviderAndWait(new PhasegateProvider(gate));
    const client = OpenFeature.getClient();
    const colours = new Map([['blue', '#00f'], ['red', '#f00'], ['green', '#0f0']]);
    const split = await client.getStringDetails('theme', 'x', { targetingKey: 'u-7' });
    expect(split).toMatchObject({ reason: 'SPLIT', flagMetadata: { owner: 'design' } });
    expect(colours.get(split.variant!)).toBe(split.value);
    expect(split.value).toBe(gate.getValue('theme', { userId: 'u-7' }, 'x'));
    expect(await client.getStringDetails('theme', 'x', { targetingKey: 'ada' })).toMatchObject({ value: '#0f0', variant: 'green', reason: 'TARGETING_MATCH' });
    expect(await client.getStringDetails('theme', 'x', { targetingKey: 'u-7', country: 'DE' })).toMatchObject({ value: '#f00', variant: 'red', reason: 'TARGETING_MATCH' });
    expect(await client.getStringDetails('theme', 'x', {})).toMatchObject({ value: 'x', reason: 'ERROR', errorCode: ErrorCode.TARGETING_KEY_MISSING });
    expect(await client.getNumberDetails('limit', 1)).toMatchObject({ value: 2500, variant: 'high', reason: 'STATIC' });
    expect(await client.getObjectDetails('config', {})).toMatchObject({ value: { retries: 3, hosts: ['a', 'b'] }, variant: 'v1', reason: 'STATIC' });
    expect(await client.getObjectDetails('layout', { fallback: true })).toMatchObject({ value: { fallback: true }, reason: 'DISABLED' });
  });

  it('a three-way split reaches every variant in about its share of users', async () => {
    const gate = await typedGate();
    await OpenFeature.setProviderAndWait(new PhasegateProvider(gate));
    const client = OpenFeature.getClient();
    const counts = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const details = await client.getStringDetails('theme', 'x', { targetingKey: `user-${i}` });
      counts.set(details.variant!, (counts.get(details.variant!) ?? 0) + 1);
    }
    for (const variant of ['blue', 'red', 'green']) expect(counts.get(variant)).toBeGreaterThan(850);
  });

  it('answers TYPE_MISMATCH with the fallback for every wrong pairing, FLAG_NOT_FOUND first for a missing key', async () => {
    const gate = await typedGate();
    await OpenFeature.setProviderAndWait(new PhasegateProvider(gate));
    const client = OpenFeature.getClient();
    expect(await client.getBooleanDetails('theme', true)).toMatchObject({ value: true, errorCode: ErrorCode.TYPE_MISMATCH, flagMetadata: { owner: 'design' } });
    expect(await client.getNumberDetails('theme', 3)).toMatchObject({ value: 3, errorCode: ErrorCode.TYPE_MISMATCH });
    expect(await client.getStringDetails('limit', 'x')).toMatchObject({ value: 'x', errorCode: ErrorCode.TYPE_MISMATCH });
    expect(await client.getObjectDetails('limit', [1])).toMatchObject({ value: [1], errorCode: ErrorCode.TYPE_MISMATCH });
    expect(await client.getStringDetails('config', 'x')).toMatchObject({ value: 'x', errorCode: ErrorCode.TYPE_MISMATCH });
    expect(await client.getNumberDetails('nope', 3)).toMatchObject({ value: 3, errorCode: ErrorCode.FLAG_NOT_FOUND });
  });
});
