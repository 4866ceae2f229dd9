/**
 * The OpenFeature specification's own Gherkin suites (test/openfeature/conformance/, copied from
 * open-feature/spec with their licence), run through the real `@openfeature/server-sdk` client
 * against `PhasegateProvider`. The .feature files are parsed by the official Gherkin parser; the
 * step definitions are below; the suite's flags (`test-flags.json`, flagd's format) are loaded
 * into phasegate through its public API (`gate.flags.create`, see conformance/flagd.ts).
 *
 * Every scenario runs except those listed in EXCLUDED, each with its reason. The last test
 * checks the counts, so a scenario cannot silently stop running.
 */
import { readFileSync } from 'node:fs';
import { OpenFeature, type Client, type ErrorCode, type EvaluationContext, type EvaluationDetails, type FlagValue, type JsonValue } from '@openfeature/server-sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore, createPhasegate, type Phasegate } from '../../src/index.js';
import { PhasegateProvider } from '../../src/openfeature/index.js';
import { convertFlagdFlags, type FlagdFlag } from './conformance/flagd.js';
import { loadFeature, type Scenario } from './conformance/gherkin.js';
import { ControlledLink } from './support.js';

const HERE = new URL('./conformance/', import.meta.url).pathname;
const FEATURES = ['evaluation_v2.feature', 'metadata.feature', 'evaluation.feature'] as const;

/**
 * The deprecated evaluation.feature evaluates a `context-aware` flag that test-flags.json does not
 * hold. This is the definition the OpenFeature js-sdk's own e2e tests use for it (INTERNAL for
 * that one person as a non-customer, EXTERNAL otherwise), written in the CEL subset the converter
 * reads.
 */
const EXTRA_FLAGS: Readonly<Record<string, FlagdFlag>> = {
  'context-aware': {
    variants: { internal: 'INTERNAL', external: 'EXTERNAL' },
    defaultVariant: 'external',
    contextEvaluator: "fn == 'Sulisław' && ln == 'Świętopełk' && age == 29 && !customer ? 'internal' : ''",
  },
};

/** Scenarios that test the SDK rather than a provider, or a provider state phasegate does not have. */
const EXCLUDED: ReadonlyArray<{ readonly tag: string; readonly reason: string }> = [
  {
    tag: '@reason-codes-cached',
    reason:
      'CACHED is an optional reason for providers that cache remote answers; phasegate evaluates every call locally from its in-memory snapshot, so a second evaluation is as fresh as the first (STATIC/TARGETING_MATCH…), never CACHED',
  },
  { tag: '@hooks', reason: 'hooks and their order are run by the OpenFeature SDK, not by a provider' },
  { tag: '@immutability', reason: 'the immutability of the evaluation context and of the details is the SDK\'s (the SDK copies and freezes them), not a provider\'s' },
];

/** The scenarios the files hold after Examples expansion (82 + 5 + 13), and how many are excluded. */
const EXPECTED = { total: 82 + 5 + 13, excluded: 2 + 1 + 1 } as const;

type FlagType = 'Boolean' | 'String' | 'Integer' | 'Float' | 'Object';

/** What one scenario builds up as its steps run. */
interface World {
  client?: Client;
  flag?: { readonly type: FlagType; readonly key: string; readonly fallback: FlagValue };
  context: EvaluationContext;
  details?: EvaluationDetails<FlagValue>;
  pending?: unknown;
}

let gate: Phasegate;
let domains = 0;

beforeAll(async () => {
  gate = await createPhasegate({ store: new MemoryStore() });
  const flags = JSON.parse(readFileSync(`${HERE}test-flags.json`, 'utf8')) as Record<string, FlagdFlag>;
  for (const converted of convertFlagdFlags({ ...flags, ...EXTRA_FLAGS })) if ('input' in converted) await gate.flags.create(converted.input);
});

afterEach(async () => {
  await OpenFeature.close();
});

afterAll(async () => {
  await gate.close();
});

/** A domain of its own per provider, so scenarios never share a client. */
function newDomain(): string {
  return `conformance-${++domains}`;
}

/** A Gherkin string as written (`{\"a\": 1}` in a table cell is `{"a": 1}`). */
function unescape(text: string): string {
  return text.replace(/\\"/g, '"');
}

/** A value written in a step, read as the flag type asks. */
function typed(type: string, text: string): FlagValue {
  const raw = unescape(text);
  switch (type) {
    case 'Boolean':
      if (raw !== 'true' && raw !== 'false') throw new Error(`not a boolean: ${raw}`);
      return raw === 'true';
    case 'Integer':
    case 'Float': {
      const number = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(number)) throw new Error(`not a number: ${raw}`);
      return number;
    }
    case 'Object':
      return JSON.parse(raw) as JsonValue;
    case 'String':
      return raw;
    default:
      throw new Error(`unknown type ${type}`);
  }
}

async function evaluate(world: World): Promise<EvaluationDetails<FlagValue>> {
  const { client, flag, context } = world;
  if (!client || !flag) throw new Error('a provider and a flag must be given before evaluating');
  switch (flag.type) {
    case 'Boolean':
      return client.getBooleanDetails(flag.key, flag.fallback as boolean, context);
    case 'String':
      return client.getStringDetails(flag.key, flag.fallback as string, context);
    case 'Integer':
    case 'Float':
      return client.getNumberDetails(flag.key, flag.fallback as number, context);
    case 'Object':
      return client.getObjectDetails(flag.key, flag.fallback as JsonValue, context);
  }
}

function detailsOf(world: World): EvaluationDetails<FlagValue> {
  if (!world.details) throw new Error('the flag has not been evaluated');
  return world.details;
}

/** Waits until the client reports `status` (the SDK updates it from provider events). */
async function until(client: Client, status: string): Promise<void> {
  const end = Date.now() + 5000;
  while (client.providerStatus !== status) {
    if (Date.now() > end) throw new Error(`provider status stayed ${client.providerStatus}, expected ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

type Step = (world: World, args: string[], table: readonly (readonly string[])[]) => Promise<void> | void;

/** The step definitions: a pattern for the step text, and what it does. */
const STEPS: ReadonlyArray<readonly [RegExp, Step]> = [
  [
    /^a stable provider$/,
    async (world) => {
      const domain = newDomain();
      await OpenFeature.setProviderAndWait(domain, new PhasegateProvider(gate));
      world.client = OpenFeature.getClient(domain);
    },
  ],
  [
    // A client that is still being created (its store has not answered yet).
    /^a not ready provider$/,
    (world) => {
      const domain = newDomain();
      const link = new ControlledLink(new MemoryStore());
      link.hold();
      OpenFeature.setProvider(domain, new PhasegateProvider(createPhasegate({ store: link })));
      world.client = OpenFeature.getClient(domain);
    },
  ],
  [
    // No client could be created (its store could not be read): nothing can recover.
    /^a fatal provider$/,
    async (world) => {
      const domain = newDomain();
      const link = new ControlledLink(new MemoryStore());
      link.fail(Number.MAX_SAFE_INTEGER);
      OpenFeature.setProvider(domain, new PhasegateProvider(createPhasegate({ store: link })));
      world.client = OpenFeature.getClient(domain);
      await until(world.client, 'FATAL');
    },
  ],
  [
    // A client started from a bootstrap snapshot whose store then failed its first load.
    /^a error provider$/,
    async (world) => {
      const domain = newDomain();
      const link = new ControlledLink(new MemoryStore());
      link.fail(Number.MAX_SAFE_INTEGER);
      const bootstrapped = await createPhasegate({ store: link, bootstrap: gate.snapshotData(), resyncIntervalMs: 0 });
      OpenFeature.setProvider(domain, new PhasegateProvider(bootstrapped));
      world.client = OpenFeature.getClient(domain);
      await until(world.client, 'ERROR');
      bootstrapped.detach();
    },
  ],
  [
    // A ready client whose store connection then dropped: it answers from its last snapshot.
    /^a stale provider$/,
    async (world) => {
      const domain = newDomain();
      const link = new ControlledLink(new MemoryStore());
      const client = await createPhasegate({ store: link, resyncIntervalMs: 0 });
      await OpenFeature.setProviderAndWait(domain, new PhasegateProvider(client));
      world.client = OpenFeature.getClient(domain);
      link.outage();
      await until(world.client, 'STALE');
      client.detach();
    },
  ],
  [
    /^a (Boolean|String|Integer|Float|Object)-flag with key "(.*)" and a fallback value "(.*)"$/,
    (world, [type, key, fallback]) => {
      world.flag = { type: type as FlagType, key: key!, fallback: typed(type!, fallback!) };
    },
  ],
  [
    /^a context containing a key "(.*)", with type "(.*)" and with value "(.*)"$/,
    (world, [key, type, value]) => {
      world.context = { ...world.context, [key!]: typed(type!, value!) as EvaluationContext[string] };
    },
  ],
  [
    /^a context containing a key "(.*)" with null value$/,
    (world, [key]) => {
      world.context = { ...world.context, [key!]: null };
    },
  ],
  [
    /^the flag was evaluated with details$/,
    async (world) => {
      world.details = await evaluate(world);
    },
  ],
  [
    /^the flag was evaluated with details asynchronously$/,
    async (world) => {
      const pending = evaluate(world);
      world.pending = pending;
      world.details = await pending;
    },
  ],
  [
    /^the evaluation should complete without blocking$/,
    (world) => {
      expect(world.pending).toBeInstanceOf(Promise);
    },
  ],
  [
    /^the resolved details value should be "(.*)"$/,
    (world, [value]) => {
      const type = world.flag?.type ?? 'String';
      expect(detailsOf(world).value).toEqual(typed(type, value!));
    },
  ],
  [
    /^the reason should be "([^"]*)"$/,
    (world, [reason]) => {
      expect(detailsOf(world).reason).toBe(reason);
    },
  ],
  [
    /^the error-code should be "(.*)"$/,
    (world, [code]) => {
      expect(detailsOf(world).errorCode).toBe(code as ErrorCode);
    },
  ],
  [
    /^the flag key should be "(.*)"$/,
    (world, [key]) => {
      expect(detailsOf(world).flagKey).toBe(key);
    },
  ],
  [
    /^the variant should be "([^"]*)"$/,
    (world, [variant]) => {
      expect(detailsOf(world).variant).toBe(variant);
    },
  ],
  [
    /^the resolved metadata should contain$/,
    (world, _args, table) => {
      const [header, ...rows] = table;
      expect(header).toEqual(['key', 'metadata_type', 'value']);
      const metadata = detailsOf(world).flagMetadata;
      expect(Object.keys(metadata).sort()).toEqual(rows.map(([key]) => key!).sort());
      for (const [key, type, value] of rows) expect(metadata[key!]).toStrictEqual(typed(type!, value!));
    },
  ],
  [
    /^the resolved metadata is empty$/,
    (world) => {
      expect(detailsOf(world).flagMetadata).toEqual({});
    },
  ],
  [
    /^the provider status should be "(.*)"$/,
    (world, [status]) => {
      expect(world.client?.providerStatus).toBe(status);
    },
  ],

  // evaluation.feature (deprecated upstream): one step evaluates, typed by its wording.
  [
    /^an? (boolean|string|integer|float) flag with key "(.*)" is evaluated with (?:details and )?default value "?([^"]*)"?$/,
    async (world, [type, key, fallback]) => {
      const flagType = (type![0]!.toUpperCase() + type!.slice(1)) as FlagType;
      world.flag = { type: flagType, key: key!, fallback: typed(flagType, fallback!) };
      world.details = await evaluate(world);
    },
  ],
  [
    /^an object flag with key "(.*)" is evaluated with (?:details and )?a null default value$/,
    async (world, [key]) => {
      world.flag = { type: 'Object', key: key!, fallback: null };
      world.details = await evaluate(world);
    },
  ],
  [
    /^the resolved (boolean|string|integer|float) (?:details )?value should be "?([^"]*)"?(?:, the variant should be "(.*)", and the reason should be "(.*)")?$/,
    (world, [type, value, variant, reason]) => {
      const details = detailsOf(world);
      expect(details.value).toEqual(typed(type![0]!.toUpperCase() + type!.slice(1), value!));
      if (variant !== undefined) expect(details.variant).toBe(variant);
      if (reason !== undefined) expect(details.reason).toBe(reason);
    },
  ],
  [
    /^the resolved object (?:details )?value should be contain fields "(.*)", "(.*)", and "(.*)", with values "(.*)", "(.*)" and (\d+), respectively$/,
    (world, [first, second, third, boolean, text, number]) => {
      expect(detailsOf(world).value).toEqual({ [first!]: typed('Boolean', boolean!), [second!]: text, [third!]: Number(number) });
    },
  ],
  [
    /^the variant should be "(.*)", and the reason should be "(.*)"$/,
    (world, [variant, reason]) => {
      expect(detailsOf(world)).toMatchObject({ variant, reason });
    },
  ],
  [
    // Java's and Go's step definitions read the fourth value as a boolean; so does this one.
    /^context contains keys "(.*)", "(.*)", "(.*)", "(.*)" with values "(.*)", "(.*)", (\d+), "(.*)"$/,
    (world, [k1, k2, k3, k4, v1, v2, v3, v4]) => {
      world.context = { ...world.context, [k1!]: v1!, [k2!]: v2!, [k3!]: Number(v3), [k4!]: typed('Boolean', v4!) as boolean };
    },
  ],
  [
    /^a flag with key "(.*)" is evaluated with default value "(.*)"$/,
    async (world, [key, fallback]) => {
      world.flag = { type: 'String', key: key!, fallback: fallback! };
      world.details = await evaluate(world);
    },
  ],
  [
    /^the resolved string response should be "(.*)"$/,
    (world, [value]) => {
      expect(detailsOf(world).value).toBe(value);
    },
  ],
  [
    /^the resolved flag value is "(.*)" when the context is empty$/,
    async (world, [value]) => {
      world.context = {};
      expect((await evaluate(world)).value).toBe(value);
    },
  ],
  [
    /^a non-existent string flag with key "(.*)" is evaluated with details and a fallback value "(.*)"$/,
    async (world, [key, fallback]) => {
      world.flag = { type: 'String', key: key!, fallback: fallback! };
      world.details = await evaluate(world);
    },
  ],
  [
    /^a string flag with key "(.*)" is evaluated as an integer, with details and a fallback value (\d+)$/,
    async (world, [key, fallback]) => {
      world.flag = { type: 'Integer', key: key!, fallback: Number(fallback) };
      world.details = await evaluate(world);
    },
  ],
  [
    /^the default (string|integer) value should be returned$/,
    (world) => {
      expect(detailsOf(world).value).toEqual(world.flag?.fallback);
    },
  ],
  [
    /^the reason should indicate an error and the error code should indicate (?:a missing flag|a type mismatch) with "(.*)"$/,
    (world, [code]) => {
      expect(detailsOf(world)).toMatchObject({ reason: 'ERROR', errorCode: code });
    },
  ],
];

async function run(scenario: Scenario): Promise<void> {
  const world: World = { context: {} };
  for (const step of scenario.steps) {
    // As Cucumber does: a step must match exactly one definition.
    const matching = STEPS.filter(([pattern]) => pattern.test(step.text));
    if (matching.length !== 1) throw new Error(`${matching.length === 0 ? 'no' : 'more than one'} step definition for "${step.text}"`);
    const [pattern, action] = matching[0]!;
    const args = pattern.exec(step.text)!.slice(1);
    const table = (step.argument?.dataTable?.rows ?? []).map((row) => row.cells.map((cell) => cell.value));
    await action(world, args, table);
  }
}

const scenarios = FEATURES.flatMap((file) => loadFeature(`${HERE}${file}`));
const exclusionOf = (scenario: Scenario) => EXCLUDED.find((exclusion) => scenario.tags.includes(exclusion.tag));
const passedByFile = new Map<string, number>();

describe('the OpenFeature specification suites through PhasegateProvider', () => {
  for (const scenario of scenarios) {
    const exclusion = exclusionOf(scenario);
    if (exclusion) {
      it.skip(`${scenario.title} (excluded: ${exclusion.reason})`, () => {});
      continue;
    }
    it(scenario.title, async () => {
      await run(scenario);
      passedByFile.set(scenario.file, (passedByFile.get(scenario.file) ?? 0) + 1);
    });
  }

  it('ran every scenario that is not excluded, and they all passed', () => {
    const excluded = scenarios.filter((scenario) => exclusionOf(scenario) !== undefined).length;
    const passed = [...passedByFile.values()].reduce((sum, count) => sum + count, 0);
    const perFile = FEATURES.map((file) => `${file} ${passedByFile.get(file) ?? 0}/${scenarios.filter((scenario) => scenario.file === file).length}`).join(', ');
    console.log(`OpenFeature conformance: ${passed} of ${scenarios.length} scenarios passed (${perFile}), ${excluded} excluded: ${EXCLUDED.map((e) => e.tag).join(', ')}`);
    expect(scenarios.length).toBe(EXPECTED.total);
    expect(excluded).toBe(EXPECTED.excluded);
    expect(passed).toBe(EXPECTED.total - EXPECTED.excluded);
  });
});
