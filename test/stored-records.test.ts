import { describe, expect, it } from 'vitest';
import { Collections, MemoryStore, ValidationError, createPhasegate } from '../src/index.js';

describe('records read back from a store are validated, like flags', () => {
  it('a corrupt release, member, feature, feedback, series or alert is reported with its key', async () => {
    const store = new MemoryStore();
    const gate = await createPhasegate({ store, resyncIntervalMs: 0 });
    try {
      await gate.releases.plan({ version: '1.0.0', type: 'minor', features: ['search'] });
      await gate.earlyAccess.createFeature({ key: 'editor', level: 'beta' });
      await gate.earlyAccess.enroll({ userId: 'm', email: 'm@example.com', level: 'beta' });
      await gate.analytics.record({ metric: 'error_rate', value: 1 });

      const corrupt = async (collection: string, key: string, change: (value: Record<string, unknown>) => Record<string, unknown>) => {
        const record = (await store.get<Record<string, unknown>>(collection, key))!;
        await store.put(collection, key, change(record.value), record.version);
        return record;
      };

      const release = await corrupt(Collections.releases, '1.0.0', (value) => ({ ...value, status: 'exploded' }));
      const releaseError = await gate.releases.get('1.0.0').catch((e: unknown) => e);
      expect(releaseError).toBeInstanceOf(ValidationError);
      expect((releaseError as Error).message).toMatch(/release record '1\.0\.0'.*status/);
      await expect(gate.releases.list()).rejects.toThrow(/release record '1\.0\.0'/);
      await expect(gate.releases.start('1.0.0')).rejects.toThrow(ValidationError);
      await store.put(Collections.releases, '1.0.0', release.value, release.version + 1);

      await corrupt(Collections.earlyAccessUsers, 'm', (value) => ({ ...value, level: 42 }));
      await expect(gate.earlyAccess.member('m')).rejects.toThrow(/early-access member record 'm'.*level/);
      await expect(gate.earlyAccess.approve('m')).rejects.toThrow(ValidationError);

      await corrupt(Collections.earlyAccessFeatures, 'editor', (value) => ({ ...value, holders: 'everyone' }));
      await expect(gate.earlyAccess.feature('editor')).rejects.toThrow(/early-access feature record 'editor'.*holders/);

      const [series] = await store.list(Collections.metrics);
      await corrupt(Collections.metrics, series!.key, (value) => ({ ...value, count: -1 }));
      await expect(gate.analytics.series()).rejects.toThrow(/metric series record/);

      await store.put(Collections.alerts, 'a-1', { id: 'a-1', metric: 'x' }, 0);
      await expect(gate.analytics.alerts()).rejects.toThrow(/alert record 'a-1'/);

      // A record stored under another record's key is not trusted either.
      const again = (await store.get<Record<string, unknown>>(Collections.releases, '1.0.0'))!;
      await store.put(Collections.releases, '9.9.9', again.value, 0);
      await expect(gate.releases.get('9.9.9')).rejects.toThrow(/belongs under key '1\.0\.0'/);
    } finally {
      await gate.close();
    }
  });

  it('fields a newer version added pass through untouched', async () => {
    const store = new MemoryStore();
    const gate = await createPhasegate({ store, resyncIntervalMs: 0 });
    try {
      await gate.releases.plan({ version: '2.0.0', type: 'major' });
      const record = (await store.get<Record<string, unknown>>(Collections.releases, '2.0.0'))!;
      await store.put(Collections.releases, '2.0.0', { ...record.value, futureField: { x: 1 } }, record.version);
      expect(await gate.releases.get('2.0.0')).toMatchObject({ version: '2.0.0', futureField: { x: 1 } });
    } finally {
      await gate.close();
    }
  });
});
