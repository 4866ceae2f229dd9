import { ErrorCode, OpenFeature, ProviderEvents, type EvaluationDetails, type Hook } from '@openfeature/server-sdk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Collections, ManualClock, MemoryStore, bucketOf, createPhasegate, type Phasegate } from '../../src/index.js';
import { PhasegateProvider } from '../../src/openfeature/index.js';
import { makeFlag } from '../helpers.js';

const JAN_1 = Date.UTC(2026, 0, 1);

async function gateWithFlags(store = new MemoryStore()): Promise<Phasegate> {
  const gate = await createPhasegate({ store, clock: new ManualClock(JAN_1) });
  await gate.flags.create({ key: 'on', state: 'enabled' });
  await gate.flags.create({ key: 'off', state: 'disabled' });
  await gate.flags.create({ key: 'old', state: 'deprecated' });
  await gate.flags.create({ key: 'split', state: 'rollout', strategy: { type: 'percentage', percentage: 50 } });
  await gate.flags.create({ key: 'vip', state: 'rollout', strategy: { type: 'userList', userIds: ['ada'] } });
  await gate.flags.create({ key: 'canary', state: 'rollout', strategy: { type: 'ring', rings: ['canary'] } });
  await gate.flags.create({ key: 'ramp', state: 'rollout', strategy: { type: 'gradual', startAt: JAN_1 + 1000, endAt: JAN_1 + 2000 } });
  await gate.flags.create({ key: 'beta-ui', state: 'beta', accessLevel: 'beta' });
  return gate;
}

afterEach(async () => {
  await OpenFeature.close();
  OpenFeature.clearHooks();
});

describe('PhasegateProvider through the real OpenFeature SDK', () => {
  it('resolves booleans with spec reasons, variants and (with diagnostics) phasegate\'s own account', async () => {
    const gate = await gateWithFlags();
    await OpenFeature.setProviderAndWait(new PhasegateProvider(gate, { diagnostics: true }));
    const client = OpenFeature.getClient();
    const details = (key: string, context: Record<string, unknown> = {}) => client.getBooleanDetails(key, false, context as never);

    expect(await details('on')).toMatchObject({ value: true, variant: 'on', reason: 'STATIC', flagMetadata: { 'phasegate.state': 'enabled', 'phasegate.reason': 'ENABLED' } });
    // A disabled flag answers the caller's fallback, with no variant (the spec's DISABLED).
    expect(await details('off')).toMatchObject({ value: false, reason: 'DISABLED' });
    const disabled = await client.getBooleanDetails('off', true);
    expect(disabled).toMatchObject({ value: true, reason: 'DISABLED' });
    expect(disabled.variant).toBeUndefined();
    expect(await details('old')).toMatchObject({ value: false, reason: 'DISABLED', flagMetadata: { 'phasegate.state': 'deprecated' } });
    expect(await client.getBooleanValue('old', true)).toBe(true);
    const split = await details('split', { targetingKey: 'u-7' });
    expect(split).toMatchObject({ reason: 'SPLIT', flagMetadata: { 'phasegate.strategy': 'percentage', 'phasegate.bucket': bucketOf('split', 'u-7'), 'phasegate.threshold': 50_000 } });
    expect(split.value).toBe(bucketOf('split', 'u-7') < 50_000);
    expect(await details('vip', { targetingKey: 'ada' })).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });
    expect(await details('vip', { targetingKey: 'bob' })).toMatchObject({ value: false, reason: 'DEFAULT' });
    expect(await details('canary', { ring: 'canary' })).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });
    expect(await details('ramp', { targetingKey: 'u' })).toMatchObject({ value: false, reason: 'DEFAULT', flagMetadata: { 'phasegate.reason': 'RAMP_NOT_STARTED' } });
    expect(await details('beta-ui', { targetingKey: 'u', accessLevel: 'alpha' })).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });
    expect(await details('beta-ui', { targetingKey: 'u', accessLevel: 'gold' })).toMatchObject({ value: false });
  });

  it('reports FLAG_NOT_FOUND, TARGETING_KEY_MISSING, TYPE_MISMATCH and GENERAL with the default value', async () => {
    const gate = await gateWithFlags();
    await OpenFeature.setProviderAndWait(new PhasegateProvider(gate, { diagnostics: true }));
    const client = OpenFeature.getClient();
    expect(await client.getBooleanDetails('missing', true)).toMatchObject({ value: true, reason: 'ERROR', errorCode: ErrorCode.FLAG_NOT_FOUND });
    expect(await client.getBooleanDetails('split', true, {})).toMatchObject({
      value: true,
      reason: 'ERROR',
      errorCode: ErrorCode.TARGETING_KEY_MISSING,
      flagMetadata: { 'phasegate.strategy': 'percentage' },
    });
    expect(await client.getStringDetails('on', 'x')).toMatchObject({ value: 'x', reason: 'ERROR', errorCode: ErrorCode.TYPE_MISMATCH });
    expect(await client.getNumberDetails('on', 3)).toMatchObject({ value: 3, errorCode: ErrorCode.TYPE_MISMATCH });
    expect(await client.getObjectDetails('on', { a: 1 })).toMatchObject({ value: { a: 1 }, errorCode: ErrorCode.TYPE_MISMATCH });

    const broken = await createPhasegate({ store: new MemoryStore(), clock: { now: () => { throw new Error('clock broke'); } } });
    await broken.store.put(Collections.flags, 'ramp', makeFlag({ key: 'ramp', state: 'rollout', strategy: { type: 'gradual', startAt: 0, endAt: 10 } }), 0);
    await vi.waitFor(() => expect(broken.allFlags()).toHaveLength(1));
    await OpenFeature.setProviderAndWait('broken', new PhasegateProvider(broken));
    expect(await OpenFeature.getClient('broken').getBooleanDetails('ramp', false, { targetingKey: 'u' })).toMatchObject({
      value: false,
      reason: 'ERROR',
      errorCode: ErrorCode.GENERAL,
      errorMessage: 'clock broke',
    });
  });

  it('is READY after the first load and sends CONFIGURATION_CHANGED when another client changes a flag', async () => {
    const store = new MemoryStore();
    const gate = await gateWithFlags(store);
    const other = await createPhasegate({ store });
    const client = OpenFeature.getClient('events-config');
    let ready = 0;
    const changed: string[][] = [];
    client.addHandler(ProviderEvents.Ready, (event) => void (event?.providerName === 'phasegate' && ready++));
    client.addHandler(ProviderEvents.ConfigurationChanged, (event) => changed.push(event?.flagsChanged ?? []));
    await OpenFeature.setProviderAndWait('events-config', new PhasegateProvider(gate));
    expect(ready).toBeGreaterThanOrEqual(1);
    expect(client.providerStatus).toBe('READY');
    await other.flags.update('off', { state: 'enabled' });
    await vi.waitFor(() => expect(changed).toContainEqual(['off']));
    expect(await client.getBooleanValue('off', false)).toBe(true);
  });

  it('goes STALE when the store becomes unreachable and READY again when it is back', async () => {
    const store = new MemoryStore();
    const listeners: Array<(event: { type: 'status'; available: boolean; error?: Error }) => void> = [];
    const subscribe = store.subscribe.bind(store);
    store.subscribe = (listener) => {
      listeners.push(listener as never);
      return subscribe(listener);
    };
    const gate = await gateWithFlags(store);
    const seen: string[] = [];
    const client = OpenFeature.getClient('events-stale');
    client.addHandler(ProviderEvents.Stale, (event) => void (event?.providerName === 'phasegate' && seen.push('stale')));
    client.addHandler(ProviderEvents.Ready, (event) => void (event?.providerName === 'phasegate' && seen.push('ready')));
    await OpenFeature.setProviderAndWait('events-stale', new PhasegateProvider(gate));
    expect(client.providerStatus).toBe('READY');
    for (const listener of listeners) listener({ type: 'status', available: false, error: new Error('connection reset') });
    await vi.waitFor(() => expect(seen.at(-1)).toBe('stale'));
    expect(client.providerStatus).toBe('STALE');
    expect(await client.getBooleanValue('on', false)).toBe(true); // still answering from the snapshot
    for (const listener of listeners) listener({ type: 'status', available: true });
    await vi.waitFor(() => expect(seen.at(-1)).toBe('ready'));
    expect(client.providerStatus).toBe('READY');
  });

  it('lets hooks see the evaluation, with targetingKey mapped to the user id', async () => {
    const gate = await gateWithFlags();
    await OpenFeature.setProviderAndWait(new PhasegateProvider(gate, { diagnostics: true }));
    const seen: Array<EvaluationDetails<boolean>> = [];
    const hook: Hook = { after: (_context, details) => void seen.push(details as EvaluationDetails<boolean>) };
    OpenFeature.addHooks(hook);
    const value = await OpenFeature.getClient().getBooleanValue('vip', false, { targetingKey: 'ada' });
    expect(value).toBe(true);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ flagKey: 'vip', value: true, variant: 'on', reason: 'TARGETING_MATCH', flagMetadata: { 'phasegate.reason': 'USER_LIST_MATCH' } });
  });
});
