import { describe, expect, it } from 'vitest';
import { ManualClock, MemoryStore, createPhasegate } from '../../src/index.js';
import { audienceRules } from '../../src/releases/audience.js';

describe('a release phase audience', () => {
  it('is on in its phase besides the percentage, and goes when the phase does', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const gate = await createPhasegate({ store: new MemoryStore(), clock });
    await gate.segments.create({ key: 'design-partners', conditions: [{ attribute: 'company', operator: 'IN', values: ['acme', 'globex'] }] });
    await gate.releases.plan({
      version: '3.0.0',
      type: 'major',
      features: ['new-editor'],
      plan: {
        phases: [
          { name: 'alpha', percentage: 0, durationMs: 0, gate: 'manual', audience: { rings: ['internal'], accessLevels: ['alpha'] } },
          { name: 'beta', percentage: 0, durationMs: 0, gate: 'manual', audience: { segments: ['design-partners'], accessLevels: ['beta'] } },
          { name: 'gradual', percentage: 0, durationMs: 0, gate: 'manual' },
          { name: 'full', percentage: 100, durationMs: 0 },
        ],
      },
    });
    const staff = { userId: 'u-staff', ring: 'internal' };
    const alphaMember = { userId: 'u-alpha', accessLevel: 'alpha' as const };
    const betaMember = { userId: 'u-beta', accessLevel: 'beta' as const };
    const partner = { userId: 'u-partner', attributes: { company: 'acme' } };
    const anyone = { userId: 'u-anyone' };
    const on = () => [staff, alphaMember, betaMember, partner, anyone].map((context) => gate.isEnabled('new-editor', context));

    await gate.releases.start('3.0.0');
    expect(on()).toEqual([true, true, false, false, false]);
    expect(gate.evaluate('new-editor', staff)).toMatchObject({ reason: 'RULE_MATCH', ruleId: 'release-audience-rings' });

    await gate.releases.advance('3.0.0');
    // Levels nest: a beta audience includes alpha members.
    expect(on()).toEqual([false, true, true, true, false]);
    expect(gate.evaluate('new-editor', partner).ruleId).toBe('release-audience-segment-design-partners');

    await gate.releases.advance('3.0.0');
    expect(on()).toEqual([false, false, false, false, false]);
    expect((await gate.flags.get('new-editor'))?.rules).toEqual([]);
  });

  it('keeps rules that the release did not write', async () => {
    const gate = await createPhasegate({ store: new MemoryStore(), clock: new ManualClock() });
    await gate.releases.plan({
      version: '1.1.0',
      type: 'minor',
      features: ['search'],
      plan: {
        phases: [
          { name: 'canary', percentage: 0, durationMs: 0, gate: 'manual', audience: { rings: ['canary'] } },
          { name: 'internal', percentage: 0, durationMs: 0, gate: 'manual', audience: { rings: ['internal'] } },
          { name: 'full', percentage: 100, durationMs: 0 },
        ],
      },
    });
    await gate.releases.start('1.1.0');
    const vip = { id: 'vip', conditions: [{ attribute: 'plan', operator: 'IN' as const, values: ['vip'] }], serve: { type: 'on' as const } };
    const flag = await gate.flags.get('search');
    await gate.flags.update('search', { rules: [vip, ...(flag?.rules ?? [])] });
    await gate.releases.advance('1.1.0');
    expect((await gate.flags.get('search'))?.rules?.map((rule) => rule.id)).toEqual(['vip', 'release-audience-rings']);
    expect(gate.isEnabled('search', { userId: 'u', attributes: { plan: 'vip' } })).toBe(true);
    expect(gate.isEnabled('search', { userId: 'u', ring: 'internal' })).toBe(true);
    expect(gate.isEnabled('search', { userId: 'u', ring: 'canary' })).toBe(false);
  });

  it('is validated with the plan', async () => {
    const gate = await createPhasegate({ store: new MemoryStore() });
    const plan = (audience: unknown) =>
      gate.releases.plan({ version: '1.0.0', type: 'minor', plan: { phases: [{ name: 'a', percentage: 1, durationMs: 0, audience } as never] } });
    await expect(plan({})).rejects.toThrow('plan.phases.0.audience: must name at least one segment, ring or access level');
    await expect(plan({ accessLevels: ['gold'] })).rejects.toThrow("plan.phases.0.audience.accessLevels.0: must be one of 'alpha'");
    expect(audienceRules(undefined)).toEqual([]);
  });
});
