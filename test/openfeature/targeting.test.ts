import { OpenFeature } from '@openfeature/server-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, MemoryStore, createPhasegate } from '../../src/index.js';
import { PhasegateProvider } from '../../src/openfeature/index.js';

afterEach(async () => {
  await OpenFeature.close();
});

describe('PhasegateProvider with targeting', () => {
  it('passes OpenFeature context fields to conditions and reports rule matches as TARGETING_MATCH or SPLIT', async () => {
    const gate = await createPhasegate({ store: new MemoryStore(), clock: new ManualClock() });
    await gate.flags.create({ key: 'kill', state: 'enabled' });
    await gate.flags.create({
      key: 'checkout',
      state: 'rollout',
      prerequisites: [{ flag: 'kill', enabled: true }],
      rules: [
        { id: 'de', conditions: [{ attribute: 'country', operator: 'IN', values: ['DE'] }], serve: { type: 'on' } },
        { id: 'pro', conditions: [{ attribute: 'plan', operator: 'IN', values: ['pro'] }], serve: { type: 'percentage', percentage: 50 } },
      ],
    });
    await OpenFeature.setProviderAndWait(new PhasegateProvider(gate, { diagnostics: true }));
    const client = OpenFeature.getClient();
    const de = await client.getBooleanDetails('checkout', false, { targetingKey: 'u-1', country: 'DE' });
    expect(de).toMatchObject({ value: true, reason: 'TARGETING_MATCH', flagMetadata: { 'phasegate.reason': 'RULE_MATCH', 'phasegate.ruleId': 'de' } });
    const pro = await client.getBooleanDetails('checkout', false, { targetingKey: 'u-1', plan: 'pro' });
    expect(pro).toMatchObject({ reason: 'SPLIT', flagMetadata: { 'phasegate.ruleId': 'pro' } });
    const other = await client.getBooleanDetails('checkout', true, { targetingKey: 'u-1' });
    expect(other).toMatchObject({ value: false, reason: 'SPLIT', flagMetadata: { 'phasegate.reason': 'OUTSIDE_PERCENTAGE' } });
    expect(other.flagMetadata['phasegate.ruleId']).toBeUndefined();
    await gate.flags.update('kill', { state: 'disabled' });
    const killed = await client.getBooleanDetails('checkout', true, { targetingKey: 'u-1', country: 'DE' });
    expect(killed).toMatchObject({ value: false, reason: 'TARGETING_MATCH', flagMetadata: { 'phasegate.reason': 'PREREQUISITE_FAILED', 'phasegate.prerequisite': 'kill' } });
    gate.detach();
  });
});
