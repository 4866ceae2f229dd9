// Benchmark cases. A case is `name: { label, kind, expected, group?, async?, setup }`:
//   setup(users) -> { evaluate(userId) -> boolean | Promise<boolean>, evaluateContext?, close? }
//   expected: the fraction of calls that must answer true (checked, so no case wins by doing nothing)
//   group: the cases measured together, interleaved in one process (default: by kind, GROUP_OF_KIND);
//          every group also runs its anchors (anchorsOf: `floor`, and `phasegate isEnabled` but
//          in the exposure group), so each ratio is in-process.
//   async: evaluate returns a promise (awaited in the loop).
// To add a case: add an entry here (a new `group` name makes a new process); bench/run.mjs
// picks it up, and `npm run bench -- --only=<text>` runs the groups holding matching cases.
// Every peer is fully offline: data is bootstrapped in-process and any URL it insists on points
// at a closed loopback port.
import murmurhash3 from 'murmurhash3js-revisited';

export const FLAG = 'bench';
export const PERCENTAGE = 10;
const LOOPBACK = 'http://127.0.0.1:9';

/** MurmurHash3 x86_32 hand-inlined over the string `bench:<id>` (no allocation): the floor. */
function floorHash(id) {
  // The 6 prefix bytes "bench:" are streamed first, then the id.
  const prefix = 'bench:';
  const length = prefix.length + id.length;
  let h1 = 0;
  let k1 = 0;
  let shift = 0;
  for (let i = 0; i < length; i++) {
    const c = i < 6 ? prefix.charCodeAt(i) : id.charCodeAt(i - 6);
    k1 |= c << shift;
    shift += 8;
    if (shift === 32) {
      k1 = Math.imul(k1, 0xcc9e2d51);
      k1 = (k1 << 15) | (k1 >>> 17);
      k1 = Math.imul(k1, 0x1b873593);
      h1 ^= k1;
      h1 = (h1 << 13) | (h1 >>> 19);
      h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
      k1 = 0;
      shift = 0;
    }
  }
  if (shift > 0) {
    k1 = Math.imul(k1, 0xcc9e2d51);
    k1 = (k1 << 15) | (k1 >>> 17);
    k1 = Math.imul(k1, 0x1b873593);
    h1 ^= k1;
  }
  h1 ^= length;
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h1 = Math.imul(h1, 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  return h1 >>> 0;
}

const encoder = new TextEncoder();

async function phasegateGate(options = {}) {
  const { createPhasegate, MemoryStore, Collections } = await import('../dist/index.js');
  const store = new MemoryStore();
  const flags = options.flags ?? 1;
  const gate = await createPhasegate({ store, trackExposure: options.trackExposure ?? false });
  for (let i = 1; i < flags; i++) {
    await store.put(Collections.flags, `other-${i}`, { key: `other-${i}`, description: '', state: 'rollout', strategy: { type: 'percentage', percentage: 50 }, enabledUsers: [], tags: [], metadata: {}, hashVersion: 1, createdAt: 0, updatedAt: 0 }, 0);
  }
  await gate.flags.create({
    key: FLAG,
    state: options.state ?? 'rollout',
    strategy: options.strategy ?? { type: 'percentage', percentage: PERCENTAGE },
    ...(options.rules ? { rules: options.rules } : {}),
  });
  for (const { key, percentage } of options.extraFlags ?? []) await gate.flags.create({ key, state: 'rollout', strategy: { type: 'percentage', percentage } });
  return gate;
}

// Targeting: one flag, three conditions (an IN over 50 countries, SEMVER_GT, NUM_GTE) and a 10%
// rollout of the users who match. Every user matches, so every call evaluates all three
// conditions (the worst case for an AND); the expected enabled fraction stays 10%.
const COUNTRIES = 'AD AE AR AT AU BE BG BR CA CH CL CN CO CY CZ DE DK EE ES FI FR GB GR HR HU IE IN IS IT JP KR LI LT LU LV MT MX NL NO NZ PL PT RO SE SG SI SK TR US ZA'.split(' ');
const VERSIONS = ['2.3.1', '2.4.0', '3.0.0', '2.10.7', '4.1.0-rc.1'];
/** The attributes of user `i`: deterministic, all inside the targeted audience. */
function attributesOf(i) {
  return { country: COUNTRIES[i % COUNTRIES.length], version: VERSIONS[i % VERSIONS.length], seats: 10 + (i % 490) };
}
/** Builds each user's context once, in the peer's own shape; evaluation looks it up by id. */
function contextsFor(users, shape) {
  return new Map(users.map((id, i) => [id, shape(id, attributesOf(i))]));
}

/** The group of a case that names none: cases of one kind compare with each other. */
export const GROUP_OF_KIND = {
  floor: 'floor',
  reference: 'floor',
  phasegate: 'floor',
  peer: 'peers',
  targeting: 'targeting',
  'targeting-peer': 'targeting',
  openfeature: 'openfeature',
  'all-flags': 'all-flags',
  'all-flags-peer': 'all-flags',
};

/** Cases other groups run too: the in-process anchors of their ratios. */
export const ANCHORS = ['floor', 'phasegate isEnabled'];

/**
 * The anchors group `group` runs. The exposure group runs the floor alone: a real process holds
 * one client, and two clients in one process (one counting exposure, one not) share the JIT's
 * type feedback for `isEnabled`, which slows both (bench/run.mjs reports that case too).
 */
export const anchorsOf = (group) => (group === 'exposure' ? ['floor'] : ANCHORS);

/** The group of a case. */
export const groupOf = (definition) => definition.group ?? GROUP_OF_KIND[definition.kind] ?? definition.kind;

// All flags for one user: 20 percentage flags (5%, 10%, ..., 100%), every one evaluated for the
// user; each case answers the 10% flag from its all-flags result (so the fraction is checked).
const ALL_FLAGS = Array.from({ length: 20 }, (_, i) => ({ key: `all-${String(i).padStart(2, '0')}`, percentage: (i + 1) * 5 }));
const TEN_PERCENT = ALL_FLAGS[1].key;

/** Expected enabled fraction per case (the bench checks each case really evaluated). */
export const cases = {
  floor: {
    label: 'MurmurHash3 hand-inlined, % 100000 < 10000 (floor)',
    kind: 'floor',
    expected: 0.1,
    setup: async () => ({ evaluate: (id) => floorHash(id) % 100000 < PERCENTAGE * 1000 }),
  },
  'murmurhash3js-revisited': {
    label: 'murmurhash3js-revisited + TextEncoder',
    kind: 'reference',
    expected: 0.1,
    setup: async () => ({ evaluate: (id) => murmurhash3.x86.hash32(encoder.encode(`bench:${id}`), 0) % 100000 < PERCENTAGE * 1000 }),
  },
  'phasegate isEnabled': {
    label: 'phasegate isEnabled (percentage)',
    kind: 'phasegate',
    expected: 0.1,
    setup: async () => {
      const gate = await phasegateGate();
      return { evaluate: (userId) => gate.isEnabled(FLAG, { userId }), evaluateContext: (context) => gate.isEnabled(FLAG, context) };
    },
  },
  'phasegate isEnabled + exposure': {
    group: 'exposure',
    label: 'phasegate isEnabled, exposure counting on',
    kind: 'phasegate',
    expected: 0.1,
    setup: async () => {
      const gate = await phasegateGate({ trackExposure: true });
      return { evaluate: (userId) => gate.isEnabled(FLAG, { userId }), evaluateContext: (context) => gate.isEnabled(FLAG, context) };
    },
  },
  'phasegate isEnabled + exposure, beside a client without': {
    label: 'phasegate isEnabled, exposure on, in a process with another client (exposure off)',
    kind: 'phasegate',
    expected: 0.1,
    setup: async () => {
      const gate = await phasegateGate({ trackExposure: true });
      return { evaluate: (userId) => gate.isEnabled(FLAG, { userId }) };
    },
  },
  'phasegate isEnabled, 10k flags': {
    label: 'phasegate isEnabled with 10,000 flags loaded',
    kind: 'phasegate',
    expected: 0.1,
    setup: async () => {
      const gate = await phasegateGate({ flags: 10_000 });
      return { evaluate: (userId) => gate.isEnabled(FLAG, { userId }) };
    },
  },
  'phasegate evaluate': {
    label: 'phasegate evaluate (full result)',
    kind: 'phasegate',
    expected: 0.1,
    setup: async () => {
      const gate = await phasegateGate();
      return { evaluate: (userId) => gate.evaluate(FLAG, { userId }).enabled };
    },
  },
  'phasegate ring': {
    group: 'strategies',
    label: 'phasegate isEnabled (ring)',
    kind: 'phasegate',
    expected: 0.5,
    setup: async () => {
      const gate = await phasegateGate({ strategy: { type: 'ring', rings: ['canary'] } });
      const contexts = [{ ring: 'canary' }, { ring: 'production' }];
      let i = 0;
      return { evaluate: () => gate.isEnabled(FLAG, contexts[i++ & 1]) };
    },
  },
  'phasegate userList 100k': {
    group: 'strategies',
    label: 'phasegate isEnabled (user list of 100,000)',
    kind: 'phasegate',
    expected: 0.1,
    setup: async (users) => {
      const listed = users.filter((_, i) => i % 10 === 0);
      const padding = Array.from({ length: 100_000 - listed.length }, (_, i) => `listed-${i}`);
      const gate = await phasegateGate({ strategy: { type: 'userList', userIds: [...listed, ...padding] } });
      return { evaluate: (userId) => gate.isEnabled(FLAG, { userId }) };
    },
  },
  'phasegate userList 1k': {
    group: 'strategies',
    label: 'phasegate isEnabled (user list of 1,000)',
    kind: 'phasegate',
    expected: 0.1,
    setup: async (users) => {
      const gate = await phasegateGate({ strategy: { type: 'userList', userIds: users.filter((_, i) => i % 10 === 0) } });
      return { evaluate: (userId) => gate.isEnabled(FLAG, { userId }) };
    },
  },
  'phasegate enabled': {
    group: 'strategies',
    label: 'phasegate isEnabled (enabled flag)',
    kind: 'phasegate',
    expected: 1,
    setup: async () => {
      const gate = await phasegateGate({ state: 'enabled' });
      return { evaluate: (userId) => gate.isEnabled(FLAG, { userId }) };
    },
  },
  'phasegate disabled': {
    group: 'strategies',
    label: 'phasegate isEnabled (disabled flag)',
    kind: 'phasegate',
    expected: 0,
    setup: async () => {
      const gate = await phasegateGate({ state: 'disabled' });
      return { evaluate: (userId) => gate.isEnabled(FLAG, { userId }) };
    },
  },
  'targeting phasegate': {
    label: 'phasegate isEnabled, rule: IN 50 countries + SEMVER_GT + NUM_GTE, 10%',
    kind: 'targeting',
    expected: 0.1,
    setup: async (users) => {
      const gate = await phasegateGate({
        strategy: { type: 'percentage', percentage: 0 },
        rules: [
          {
            id: 'audience',
            conditions: [
              { attribute: 'country', operator: 'IN', values: COUNTRIES },
              { attribute: 'version', operator: 'SEMVER_GT', values: ['2.0.0'] },
              { attribute: 'seats', operator: 'NUM_GTE', values: [10] },
            ],
            serve: { type: 'percentage', percentage: PERCENTAGE },
          },
        ],
      });
      const contexts = contextsFor(users, (userId, attributes) => ({ userId, attributes }));
      return {
        evaluate: (userId) => gate.isEnabled(FLAG, contexts.get(userId)),
        // The allocation check passes { userId }: answer for that user's prebuilt context.
        evaluateContext: (context) => gate.isEnabled(FLAG, contexts.get(context.userId)),
      };
    },
  },
  'targeting growthbook': {
    label: 'GrowthBookClient evalFeature, $in + $vgt + $gte, coverage 10%',
    kind: 'targeting-peer',
    expected: 0.1,
    setup: async (users) => {
      const { GrowthBookClient } = await import('@growthbook/growthbook');
      const client = new GrowthBookClient({ apiHost: LOOPBACK, clientKey: 'sdk-bench' });
      const condition = { country: { $in: COUNTRIES }, version: { $vgt: '2.0.0' }, seats: { $gte: 10 } };
      client.initSync({
        payload: { features: { [FLAG]: { defaultValue: false, rules: [{ condition, force: true, coverage: PERCENTAGE / 100, hashAttribute: 'id' }] } } },
        streaming: false,
      });
      const contexts = contextsFor(users, (id, attributes) => ({ attributes: { id, ...attributes } }));
      return { evaluate: (id) => client.evalFeature(FLAG, contexts.get(id)).value === true, close: () => client.destroy() };
    },
  },
  'targeting unleash': {
    label: 'unleash-client isEnabled, flexibleRollout 10% + 3 constraints',
    kind: 'targeting-peer',
    expected: 0.1,
    setup: async (users) => {
      const { Unleash, InMemStorageProvider } = await import('unleash-client');
      const constraints = [
        { contextName: 'country', operator: 'IN', values: COUNTRIES },
        { contextName: 'version', operator: 'SEMVER_GT', value: '2.0.0' },
        { contextName: 'seats', operator: 'NUM_GTE', value: '10' },
      ];
      const unleash = new Unleash({
        url: `${LOOPBACK}/api/`,
        appName: 'phasegate-bench',
        disableMetrics: true,
        refreshInterval: 0,
        storageProvider: new InMemStorageProvider(),
        bootstrap: {
          data: [
            {
              name: FLAG,
              enabled: true,
              strategies: [{ name: 'flexibleRollout', constraints, parameters: { rollout: String(PERCENTAGE), stickiness: 'userId', groupId: FLAG } }],
            },
          ],
        },
      });
      unleash.on('error', () => {});
      unleash.on('warn', () => {});
      await new Promise((resolve) => unleash.once('ready', resolve));
      const contexts = contextsFor(users, (userId, attributes) => ({ userId, properties: { ...attributes, seats: String(attributes.seats) } }));
      return { evaluate: (userId) => unleash.isEnabled(FLAG, contexts.get(userId)), close: () => unleash.destroy() };
    },
  },
  'targeting launchdarkly': {
    label: 'LaunchDarkly variation, rule with 3 clauses + 10% rollout',
    kind: 'targeting-peer',
    async: true,
    expected: 0.1,
    setup: async (users) => {
      const { init, integrations, basicLogger } = await import('@launchdarkly/node-server-sdk');
      const td = new integrations.TestData();
      await td.usePreconfiguredFlag({
        key: FLAG,
        version: 1,
        on: true,
        variations: [true, false],
        offVariation: 1,
        fallthrough: { variation: 1 },
        rules: [
          {
            id: 'audience',
            clauses: [
              { attribute: 'country', op: 'in', values: COUNTRIES },
              { attribute: 'version', op: 'semVerGreaterThan', values: ['2.0.0'] },
              { attribute: 'seats', op: 'greaterThanOrEqual', values: [10] },
            ],
            rollout: { variations: [{ variation: 0, weight: PERCENTAGE * 1000 }, { variation: 1, weight: 100_000 - PERCENTAGE * 1000 }] },
          },
        ],
        salt: 'bench',
      });
      const client = init('sdk-bench', {
        updateProcessor: td.getFactory(),
        sendEvents: false,
        diagnosticOptOut: true,
        baseUri: LOOPBACK,
        streamUri: LOOPBACK,
        eventsUri: LOOPBACK,
        logger: basicLogger({ level: 'none' }),
      });
      await client.waitForInitialization({ timeout: 10 });
      const contexts = contextsFor(users, (key, attributes) => ({ kind: 'user', key, ...attributes }));
      return { evaluate: (key) => client.variation(FLAG, contexts.get(key), false), close: () => client.close() };
    },
  },
  growthbook: {
    label: 'GrowthBookClient evalFeature',
    kind: 'peer',
    expected: 0.1,
    setup: async () => {
      const { GrowthBookClient } = await import('@growthbook/growthbook');
      const client = new GrowthBookClient({ apiHost: LOOPBACK, clientKey: 'sdk-bench' });
      client.initSync({
        payload: { features: { [FLAG]: { defaultValue: false, rules: [{ force: true, coverage: PERCENTAGE / 100, hashAttribute: 'id' }] } } },
        streaming: false,
      });
      return { evaluate: (id) => client.evalFeature(FLAG, { attributes: { id } }).value === true, close: () => client.destroy() };
    },
  },
  unleash: {
    label: 'unleash-client isEnabled',
    kind: 'peer',
    expected: 0.1,
    setup: async () => {
      const { Unleash, InMemStorageProvider } = await import('unleash-client');
      const unleash = new Unleash({
        url: `${LOOPBACK}/api/`,
        appName: 'phasegate-bench',
        disableMetrics: true,
        refreshInterval: 0,
        storageProvider: new InMemStorageProvider(),
        bootstrap: {
          data: [
            {
              name: FLAG,
              enabled: true,
              strategies: [{ name: 'flexibleRollout', parameters: { rollout: String(PERCENTAGE), stickiness: 'userId', groupId: FLAG } }],
            },
          ],
        },
      });
      unleash.on('error', () => {}); // the loopback URL refuses, by design
      unleash.on('warn', () => {});
      await new Promise((resolve) => unleash.once('ready', resolve));
      return { evaluate: (userId) => unleash.isEnabled(FLAG, { userId }), close: () => unleash.destroy() };
    },
  },
  launchdarkly: {
    label: 'LaunchDarkly node-server-sdk variation',
    kind: 'peer',
    async: true,
    expected: 0.1,
    setup: async () => {
      const { init, integrations, basicLogger } = await import('@launchdarkly/node-server-sdk');
      const td = new integrations.TestData();
      await td.usePreconfiguredFlag({
        key: FLAG,
        version: 1,
        on: true,
        variations: [true, false],
        offVariation: 1,
        fallthrough: { rollout: { variations: [{ variation: 0, weight: PERCENTAGE * 1000 }, { variation: 1, weight: 100_000 - PERCENTAGE * 1000 }] } },
        salt: 'bench',
      });
      const client = init('sdk-bench', {
        updateProcessor: td.getFactory(),
        sendEvents: false,
        diagnosticOptOut: true,
        baseUri: LOOPBACK,
        streamUri: LOOPBACK,
        eventsUri: LOOPBACK,
        logger: basicLogger({ level: 'none' }),
      });
      await client.waitForInitialization({ timeout: 10 });
      return { evaluate: (key) => client.variation(FLAG, { kind: 'user', key }, false), close: () => client.close() };
    },
  },
  configcat: {
    label: 'ConfigCat snapshot getValue',
    kind: 'peer',
    expected: 0.1,
    setup: async () => {
      const configcat = await import('configcat-node');
      const config = {
        p: { u: 'https://cdn-global.configcat.com', r: 0, s: 'bench-salt' },
        f: { [FLAG]: { t: 0, a: 'Identifier', p: [{ p: PERCENTAGE, v: { b: true } }, { p: 100 - PERCENTAGE, v: { b: false } }], v: { b: false } } },
      };
      // A cache pre-filled with the config (fetch time, etag, JSON), read in offline mode.
      const entry = `${Date.now()}\nbench-etag\n${JSON.stringify(config)}`;
      const client = configcat.getClient('configcat-proxy/phasegate-bench', configcat.PollingMode.ManualPoll, {
        offline: true,
        cache: { get: () => entry, set: () => {} },
        logger: configcat.createConsoleLogger(configcat.LogLevel.Off),
        baseUrl: LOOPBACK,
      });
      await client.waitForReady();
      const snapshot = client.snapshot();
      return { evaluate: (identifier) => snapshot.getValue(FLAG, false, { identifier }) === true, close: () => client.dispose() };
    },
  },
  'openfeature in-memory': {
    label: 'OpenFeature getBooleanValue, in-memory provider',
    kind: 'openfeature',
    async: true,
    expected: 0.1,
    setup: async () => {
      const { OpenFeature, InMemoryProvider } = await import('@openfeature/server-sdk');
      const provider = new InMemoryProvider({
        [FLAG]: {
          variants: { on: true, off: false },
          defaultVariant: 'off',
          disabled: false,
          // The in-memory provider has no rollouts: give it the same hash, the documented way.
          contextEvaluator: (context) => (murmurhash3.x86.hash32(encoder.encode(`bench:${context.targetingKey}`), 0) % 100000 < PERCENTAGE * 1000 ? 'on' : 'off'),
        },
      });
      await OpenFeature.setProviderAndWait('in-memory', provider);
      const client = OpenFeature.getClient('in-memory');
      return { evaluate: (targetingKey) => client.getBooleanValue(FLAG, false, { targetingKey }) };
    },
  },
  'openfeature no-op (ceiling)': {
    label: 'OpenFeature getBooleanValue, no-op provider (the SDK alone)',
    kind: 'openfeature',
    async: true,
    expected: 0,
    setup: async () => {
      const { OpenFeature } = await import('@openfeature/server-sdk');
      // Answers a constant: what remains is the SDK's own cost per call, the ceiling for any provider.
      const constant = { value: false, reason: 'STATIC' };
      const provider = {
        metadata: { name: 'constant' },
        runsOn: 'server',
        resolveBooleanEvaluation: async () => constant,
        resolveStringEvaluation: async (_, value) => ({ value }),
        resolveNumberEvaluation: async (_, value) => ({ value }),
        resolveObjectEvaluation: async (_, value) => ({ value }),
      };
      await OpenFeature.setProviderAndWait('constant', provider);
      const client = OpenFeature.getClient('constant');
      return { evaluate: (targetingKey) => client.getBooleanValue(FLAG, false, { targetingKey }) };
    },
  },
  'openfeature no-op string (ceiling)': {
    label: 'OpenFeature getStringValue, no-op provider (the SDK alone)',
    kind: 'openfeature',
    async: true,
    expected: 0,
    setup: async () => {
      const { OpenFeature } = await import('@openfeature/server-sdk');
      // Answers the fallback: what remains is the SDK's own cost per string call.
      const provider = {
        metadata: { name: 'constant-string' },
        runsOn: 'server',
        resolveBooleanEvaluation: async (_, value) => ({ value }),
        resolveStringEvaluation: async (_, value) => ({ value, reason: 'STATIC' }),
        resolveNumberEvaluation: async (_, value) => ({ value }),
        resolveObjectEvaluation: async (_, value) => ({ value }),
      };
      await OpenFeature.setProviderAndWait('constant-string', provider);
      const client = OpenFeature.getClient('constant-string');
      return { evaluate: async (targetingKey) => (await client.getStringValue(FLAG, 'none', { targetingKey })) === 'first' };
    },
  },
  'openfeature phasegate string': {
    label: 'OpenFeature getStringValue, PhasegateProvider, 3-way split',
    kind: 'openfeature',
    async: true,
    // A third of the users get the first variant.
    expected: 1 / 3,
    setup: async () => {
      const { OpenFeature } = await import('@openfeature/server-sdk');
      const { createPhasegate, MemoryStore } = await import('../dist/index.js');
      const { PhasegateProvider } = await import('../dist/openfeature/index.js');
      const gate = await createPhasegate({ store: new MemoryStore(), trackExposure: false });
      await gate.flags.create({
        key: FLAG,
        state: 'enabled',
        valueType: 'string',
        variants: [
          { name: 'first', value: 'first' },
          { name: 'second', value: 'second' },
          { name: 'third', value: 'third' },
        ],
        offVariant: 'first',
        fallthrough: { type: 'split', weights: [{ variant: 'first', weight: 33_334 }, { variant: 'second', weight: 33_333 }, { variant: 'third', weight: 33_333 }] },
      });
      await OpenFeature.setProviderAndWait('phasegate-string', new PhasegateProvider(gate));
      const client = OpenFeature.getClient('phasegate-string');
      return { evaluate: async (targetingKey) => (await client.getStringValue(FLAG, 'none', { targetingKey })) === 'first' };
    },
  },
  'openfeature phasegate': {
    label: 'OpenFeature getBooleanValue, PhasegateProvider',
    kind: 'openfeature',
    async: true,
    expected: 0.1,
    setup: async () => {
      const { OpenFeature } = await import('@openfeature/server-sdk');
      const { PhasegateProvider } = await import('../dist/openfeature/index.js');
      const gate = await phasegateGate();
      await OpenFeature.setProviderAndWait('phasegate', new PhasegateProvider(gate));
      const client = OpenFeature.getClient('phasegate');
      return { evaluate: (targetingKey) => client.getBooleanValue(FLAG, false, { targetingKey }) };
    },
  },
  'all-flags phasegate': {
    label: 'phasegate enabledFlags, 20 flags for one user',
    kind: 'all-flags',
    expected: 0.1,
    setup: async () => {
      const gate = await phasegateGate({ extraFlags: ALL_FLAGS });
      return { evaluate: (userId) => gate.enabledFlags({ userId }).includes(TEN_PERCENT) };
    },
  },
  'all-flags growthbook': {
    label: 'GrowthBookClient evalFeature over its 20 features',
    kind: 'all-flags-peer',
    expected: 0.1,
    setup: async () => {
      const { GrowthBookClient } = await import('@growthbook/growthbook');
      const client = new GrowthBookClient({ apiHost: LOOPBACK, clientKey: 'sdk-bench' });
      const features = Object.fromEntries(ALL_FLAGS.map(({ key, percentage }) => [key, { defaultValue: false, rules: [{ force: true, coverage: percentage / 100, hashAttribute: 'id' }] }]));
      client.initSync({ payload: { features }, streaming: false });
      const keys = ALL_FLAGS.map((flag) => flag.key);
      return {
        evaluate: (id) => {
          const context = { attributes: { id } };
          const values = {};
          for (const key of keys) values[key] = client.evalFeature(key, context).value === true;
          return values[TEN_PERCENT];
        },
        close: () => client.destroy(),
      };
    },
  },
  'all-flags unleash': {
    label: 'unleash-client isEnabled over its 20 toggles',
    kind: 'all-flags-peer',
    expected: 0.1,
    setup: async () => {
      const { Unleash, InMemStorageProvider } = await import('unleash-client');
      const unleash = new Unleash({
        url: `${LOOPBACK}/api/`,
        appName: 'phasegate-bench',
        disableMetrics: true,
        refreshInterval: 0,
        storageProvider: new InMemStorageProvider(),
        bootstrap: {
          data: ALL_FLAGS.map(({ key, percentage }) => ({
            name: key,
            enabled: true,
            strategies: [{ name: 'flexibleRollout', parameters: { rollout: String(percentage), stickiness: 'userId', groupId: key } }],
          })),
        },
      });
      unleash.on('error', () => {});
      unleash.on('warn', () => {});
      await new Promise((resolve) => unleash.once('ready', resolve));
      return {
        evaluate: (userId) => {
          const context = { userId };
          const values = {};
          for (const toggle of unleash.getFeatureToggleDefinitions()) values[toggle.name] = unleash.isEnabled(toggle.name, context);
          return values[TEN_PERCENT];
        },
        close: () => unleash.destroy(),
      };
    },
  },
  'all-flags launchdarkly': {
    label: 'LaunchDarkly allFlagsState, 20 flags',
    kind: 'all-flags-peer',
    async: true,
    expected: 0.1,
    setup: async () => {
      const { init, integrations, basicLogger } = await import('@launchdarkly/node-server-sdk');
      const td = new integrations.TestData();
      for (const { key, percentage } of ALL_FLAGS) {
        await td.usePreconfiguredFlag({
          key,
          version: 1,
          on: true,
          variations: [true, false],
          offVariation: 1,
          fallthrough: { rollout: { variations: [{ variation: 0, weight: percentage * 1000 }, { variation: 1, weight: 100_000 - percentage * 1000 }] } },
          salt: key,
        });
      }
      const client = init('sdk-bench', {
        updateProcessor: td.getFactory(),
        sendEvents: false,
        diagnosticOptOut: true,
        baseUri: LOOPBACK,
        streamUri: LOOPBACK,
        eventsUri: LOOPBACK,
        logger: basicLogger({ level: 'none' }),
      });
      await client.waitForInitialization({ timeout: 10 });
      return { evaluate: async (key) => (await client.allFlagsState({ kind: 'user', key })).getFlagValue(TEN_PERCENT) === true, close: () => client.close() };
    },
  },
};
