import { FirstSuccessfulStrategy, InMemoryProvider, MultiProvider, OpenFeature, ProviderEvents, type EventDetails } from '@openfeature/server-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore, createPhasegate } from '../../src/index.js';
import { PhasegateProvider } from '../../src/openfeature/index.js';
import { ControlledLink } from './support.js';

afterEach(async () => {
  await OpenFeature.close();
});

/** The flags of the provider being migrated away from, in OpenFeature's in-memory provider. */
function legacyProvider(): InMemoryProvider {
  return new InMemoryProvider({
    'legacy-banner': { variants: { on: true, off: false }, defaultVariant: 'on', disabled: false },
    checkout: { variants: { on: false, off: true }, defaultVariant: 'on', disabled: false },
  });
}

describe("PhasegateProvider inside OpenFeature's MultiProvider", () => {
  it('answers its own flags first and lets the next provider answer the flags it does not have', async () => {
    const gate = await createPhasegate({ store: new MemoryStore() });
    await gate.flags.create({ key: 'checkout', state: 'enabled', metadata: { team: 'payments' } });
    const multi = new MultiProvider([{ provider: new PhasegateProvider(gate) }, { provider: legacyProvider() }]);
    await OpenFeature.setProviderAndWait('multi', multi);
    const client = OpenFeature.getClient('multi');

    const checkout = await client.getBooleanDetails('checkout', false);
    expect(checkout).toMatchObject({ value: true, reason: 'STATIC', variant: 'on', flagMetadata: { team: 'payments' } });
    // FLAG_NOT_FOUND from phasegate is what lets the first-match strategy ask the next provider.
    expect(await client.getBooleanDetails('legacy-banner', false)).toMatchObject({ value: true, reason: 'STATIC' });
    // Found nowhere: the multi-provider reports its own aggregate error, with the fallback.
    expect(await client.getBooleanDetails('nowhere', true)).toMatchObject({ value: true, reason: 'ERROR' });
    // Any other error stops the first-match strategy: phasegate's error stands (wrapped by the multi-provider).
    const mismatch = await client.getStringDetails('checkout', 'x');
    expect(mismatch).toMatchObject({ value: 'x', reason: 'ERROR' });
    expect(mismatch.errorMessage).toContain("flag 'checkout' serves boolean values, but the fallback given is a string");
    gate.detach();
  });

  it('with the first-successful strategy, a disabled phasegate flag is an answer, not an error', async () => {
    const gate = await createPhasegate({ store: new MemoryStore() });
    await gate.flags.create({ key: 'checkout', state: 'disabled' });
    const multi = new MultiProvider([{ provider: new PhasegateProvider(gate) }, { provider: legacyProvider() }], new FirstSuccessfulStrategy());
    await OpenFeature.setProviderAndWait('multi-successful', multi);
    const client = OpenFeature.getClient('multi-successful');
    expect(await client.getBooleanDetails('checkout', true)).toMatchObject({ value: true, reason: 'DISABLED' });
    gate.detach();
  });

  it("passes phasegate's CONFIGURATION_CHANGED, STALE and READY through to the multi-provider's clients", async () => {
    const memory = new MemoryStore();
    const link = new ControlledLink(memory);
    const gate = await createPhasegate({ store: link, resyncIntervalMs: 0 });
    await gate.flags.create({ key: 'checkout', state: 'enabled' });
    const multi = new MultiProvider([{ provider: new PhasegateProvider(gate) }, { provider: legacyProvider() }]);
    const changed: EventDetails[] = [];
    const client = OpenFeature.getClient('multi-events');
    client.addHandler(ProviderEvents.ConfigurationChanged, (details) => void (details && changed.push(details)));
    await OpenFeature.setProviderAndWait('multi-events', multi);
    expect(client.providerStatus).toBe('READY');

    const writer = await createPhasegate({ store: memory, resyncIntervalMs: 0 });
    await writer.flags.update('checkout', { state: 'disabled' });
    await expect.poll(() => changed.map((event) => event.flagsChanged)).toContainEqual(['checkout']);
    expect((await client.getBooleanDetails('checkout', true)).reason).toBe('DISABLED');

    link.outage();
    await expect.poll(() => client.providerStatus).toBe('STALE');
    expect((await client.getBooleanDetails('checkout', true)).reason).toBe('DISABLED');
    link.restore();
    await expect.poll(() => client.providerStatus).toBe('READY');
    writer.detach();
    gate.detach();
  });

  it('keeps the multi-provider NOT_READY until the phasegate client exists', async () => {
    const link = new ControlledLink(new MemoryStore());
    link.hold();
    const multi = new MultiProvider([{ provider: new PhasegateProvider(createPhasegate({ store: link })) }, { provider: legacyProvider() }]);
    OpenFeature.setProvider('multi-pending', multi);
    const client = OpenFeature.getClient('multi-pending');
    expect(client.providerStatus).toBe('NOT_READY');
    link.release();
    await expect.poll(() => client.providerStatus).toBe('READY');
    expect(await client.getBooleanValue('legacy-banner', false)).toBe(true);
  });
});
