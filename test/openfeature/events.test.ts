import { OpenFeature, ProviderEvents, type EventDetails } from '@openfeature/server-sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore, createPhasegate } from '../../src/index.js';
import { PhasegateProvider } from '../../src/openfeature/index.js';
import { RedisStore } from '../../src/redis/index.js';
import { RedisServer } from '../support/servers.js';
import { ControlledLink } from './support.js';

afterEach(async () => {
  await OpenFeature.close();
});

/** Every event of `type` the named domain's client sees from phasegate. */
function record(domain: string, type: ProviderEvents): EventDetails[] {
  const seen: EventDetails[] = [];
  OpenFeature.getClient(domain).addHandler(type, (details) => void (details?.providerName === 'phasegate' && seen.push(details)));
  return seen;
}

describe('PhasegateProvider configuration events', () => {
  it('announces one PROVIDER_CONFIGURATION_CHANGED per batch of changes, each key once, and none for the first load', async () => {
    const memory = new MemoryStore();
    const writer = await createPhasegate({ store: memory, resyncIntervalMs: 0 });
    await writer.flags.create({ key: 'a', state: 'enabled' });
    const link = new ControlledLink(memory);
    const gate = await createPhasegate({ store: link, resyncIntervalMs: 0 });
    const changed = record('batch', ProviderEvents.ConfigurationChanged);
    await OpenFeature.setProviderAndWait('batch', new PhasegateProvider(gate));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(changed).toEqual([]);

    // Notifications lost; a full resync then finds three changes at once: one event.
    link.mute();
    await writer.flags.update('a', { state: 'disabled' });
    await writer.flags.create({ key: 'c', state: 'enabled' });
    await writer.flags.create({ key: 'b', state: 'enabled' });
    await writer.flags.update('b', { state: 'disabled' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(changed).toEqual([]);
    await gate.resync();
    await expect.poll(() => changed.length).toBe(1);
    expect(changed[0]?.flagsChanged).toEqual(['a', 'b', 'c']);

    // A change seen through its notification is announced on its own.
    link.unmute();
    await writer.flags.delete('c');
    await expect.poll(() => changed.map((event) => event.flagsChanged)).toEqual([['a', 'b', 'c'], ['c']]);
    gate.detach();
    writer.detach();
  });

  it('names the flags whose rules use a segment when the segment changes', async () => {
    const gate = await createPhasegate({ store: new MemoryStore() });
    await gate.segments.create({ key: 'eu', conditions: [{ attribute: 'country', operator: 'IN', values: ['DE'] }] });
    await gate.flags.create({ key: 'eu-checkout', state: 'rollout', rules: [{ id: 'eu', segments: ['eu'], serve: { type: 'on' } }] });
    await gate.flags.create({ key: 'unrelated', state: 'enabled' });
    const changed = record('segments', ProviderEvents.ConfigurationChanged);
    await OpenFeature.setProviderAndWait('segments', new PhasegateProvider(gate));
    const client = OpenFeature.getClient('segments');
    expect(await client.getBooleanValue('eu-checkout', false, { targetingKey: 'u', country: 'FR' })).toBe(false);
    await gate.segments.update('eu', { conditions: [{ attribute: 'country', operator: 'IN', values: ['DE', 'FR'] }] });
    await expect.poll(() => changed.map((event) => event.flagsChanged)).toEqual([['eu-checkout']]);
    expect(await client.getBooleanValue('eu-checkout', false, { targetingKey: 'u', country: 'FR' })).toBe(true);
    gate.detach();
  });

  it('one failed store read no longer leaves the OpenFeature client in ERROR while it answers correctly', async () => {
    const memory = new MemoryStore();
    const link = new ControlledLink(memory);
    const gate = await createPhasegate({ store: link, resyncIntervalMs: 0 });
    await gate.flags.create({ key: 'a', state: 'enabled' });
    const writer = await createPhasegate({ store: memory, resyncIntervalMs: 0 });
    await OpenFeature.setProviderAndWait('flaky', new PhasegateProvider(gate));
    const client = OpenFeature.getClient('flaky');
    const storeErrors: string[] = [];
    gate.events.on('store:error', (event) => void storeErrors.push(event.operation));
    link.fail(1);
    await writer.flags.update('a', { state: 'disabled' });
    await expect.poll(() => storeErrors).toEqual(['sync']);
    expect(client.providerStatus).toBe('READY');
    expect(await client.getBooleanValue('a', false)).toBe(true); // the last good snapshot
    await gate.resync();
    expect(await client.getBooleanValue('a', true)).toBe(true); // disabled: the fallback
    expect((await client.getBooleanDetails('a', true)).reason).toBe('DISABLED');
    gate.detach();
    writer.detach();
  });
});

describe('PhasegateProvider life cycle', () => {
  it('is NOT_READY while its client is being created, then READY', async () => {
    const link = new ControlledLink(new MemoryStore());
    link.hold();
    OpenFeature.setProvider('pending', new PhasegateProvider(createPhasegate({ store: link })));
    const client = OpenFeature.getClient('pending');
    expect(client.providerStatus).toBe('NOT_READY');
    expect(await client.getBooleanDetails('a', true)).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'PROVIDER_NOT_READY' });
    link.release();
    await expect.poll(() => client.providerStatus).toBe('READY');
    expect(await client.getBooleanDetails('a', true)).toMatchObject({ value: true, errorCode: 'FLAG_NOT_FOUND' });
  });

  it('is FATAL when its client cannot be created, and says why', async () => {
    const link = new ControlledLink(new MemoryStore());
    link.fail(Number.MAX_SAFE_INTEGER);
    const errors = record('fatal', ProviderEvents.Error);
    OpenFeature.setProvider('fatal', new PhasegateProvider(createPhasegate({ store: link })));
    const client = OpenFeature.getClient('fatal');
    await expect.poll(() => client.providerStatus).toBe('FATAL');
    expect(errors.at(-1)?.message).toMatch(/phasegate client could not be created: .*failed a read/);
    expect(await client.getBooleanDetails('a', true)).toMatchObject({ value: true, errorCode: 'PROVIDER_FATAL' });
  });

  it('is ERROR when a bootstrapped client cannot load, answers from the bootstrap, and READY once a load succeeds', async () => {
    const source = await createPhasegate({ store: new MemoryStore() });
    await source.flags.create({ key: 'a', state: 'enabled' });
    const link = new ControlledLink(new MemoryStore());
    link.fail(1);
    const gate = await createPhasegate({ store: link, bootstrap: source.snapshotData(), resyncIntervalMs: 0 });
    OpenFeature.setProvider('bootstrapped', new PhasegateProvider(gate));
    const client = OpenFeature.getClient('bootstrapped');
    await expect.poll(() => client.providerStatus).toBe('ERROR');
    expect(await client.getBooleanValue('a', false)).toBe(true);
    // The provider re-reads (after 1 s, then with backoff); this re-read succeeds.
    await expect.poll(() => client.providerStatus, { timeout: 8000, interval: 100 }).toBe('READY');
    gate.detach();
    source.detach();
  });

  it('stops forwarding events when closed', async () => {
    const gate = await createPhasegate({ store: new MemoryStore() });
    const provider = new PhasegateProvider(gate);
    const seen: unknown[] = [];
    provider.events.addHandler(ProviderEvents.ConfigurationChanged, (details) => void seen.push(details));
    await OpenFeature.setProviderAndWait('closing', provider);
    await gate.flags.create({ key: 'a', state: 'enabled' });
    await expect.poll(() => seen.length).toBe(1);
    await OpenFeature.close();
    await gate.flags.create({ key: 'b', state: 'enabled' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen).toHaveLength(1);
    expect(gate.events.listenerCount('flag:changed')).toBe(0);
    gate.detach();
  });
});

describe('PhasegateProvider over a real Redis', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start('none');
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('goes STALE when Redis dies, keeps answering from its snapshot, and READY once Redis is back', async () => {
    const gate = await createPhasegate({ store: new RedisStore({ url: redis.url }), resyncIntervalMs: 0 });
    await gate.flags.create({ key: 'checkout', state: 'enabled' });
    const stale = record('redis', ProviderEvents.Stale);
    const ready = record('redis', ProviderEvents.Ready);
    await OpenFeature.setProviderAndWait('redis', new PhasegateProvider(gate));
    const client = OpenFeature.getClient('redis');
    const readyBefore = ready.length;
    await redis.kill();
    await expect.poll(() => client.providerStatus, { timeout: 15_000, interval: 50 }).toBe('STALE');
    expect(stale.length).toBeGreaterThanOrEqual(1);
    expect(await client.getBooleanValue('checkout', false)).toBe(true);
    await redis.resume();
    await expect.poll(() => client.providerStatus, { timeout: 15_000, interval: 50 }).toBe('READY');
    expect(ready.length).toBeGreaterThan(readyBefore);
    await gate.close();
  });
});
