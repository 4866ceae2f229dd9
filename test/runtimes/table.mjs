/**
 * The same flags, contexts and questions for every runtime (test/runtimes/runtimes.test.ts).
 * Plain JavaScript on purpose: Node, Bun, Deno, workerd, the edge runtime and Chromium all load
 * this file as it is, with the BUILT package passed in as `phasegate`.
 */

/** The evaluation clock: mid-ramp for the gradual flag, after the date conditions. */
export const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);

export const SEGMENTS = [
  {
    key: 'eu-customers',
    conditions: [
      { attribute: 'country', operator: 'IN', values: ['DE', 'FR', 'IT', 'ES', 'NL'] },
      { attribute: 'plan', operator: 'NOT_IN', values: ['free'] },
    ],
  },
];

export const FLAGS = [
  { key: 'new-checkout', state: 'rollout', strategy: { type: 'percentage', percentage: 12.5 } },
  { key: 'payments-v3', state: 'rollout', strategy: { type: 'percentage', percentage: 50 } },
  { key: 'fine-grained', state: 'rollout', strategy: { type: 'percentage', percentage: 33.333 } },
  { key: 'listed', state: 'rollout', strategy: { type: 'userList', userIds: ['u-42', 'Zoë', '用户-7'] } },
  { key: 'canary-only', state: 'rollout', strategy: { type: 'ring', rings: ['canary', 'internal'] } },
  {
    key: 'ramp',
    state: 'rollout',
    strategy: { type: 'gradual', startAt: Date.UTC(2026, 4, 1), endAt: Date.UTC(2026, 6, 1) },
  },
  { key: 'always', state: 'enabled' },
  { key: 'never', state: 'disabled' },
  { key: 'beta-editor', state: 'beta', strategy: { type: 'percentage', percentage: 100 } },
  {
    key: 'targeted',
    state: 'rollout',
    strategy: { type: 'percentage', percentage: 10 },
    rules: [
      {
        id: 'eu-enterprise',
        conditions: [
          { attribute: 'plan', operator: 'IN', values: ['enterprise'] },
          { attribute: 'country', operator: 'IN', values: ['DE', 'FR', 'IT', 'ES', 'NL'] },
          { attribute: 'appVersion', operator: 'SEMVER_GT', values: ['2.3.0'] },
        ],
        serve: { type: 'on' },
      },
      { id: 'no-free', conditions: [{ attribute: 'plan', operator: 'IN', values: ['free'] }], serve: { type: 'off' } },
      { id: 'pro-half', conditions: [{ attribute: 'plan', operator: 'IN', values: ['pro'] }], serve: { type: 'percentage', percentage: 50 } },
    ],
  },
  {
    key: 'operators',
    state: 'rollout',
    strategy: { type: 'percentage', percentage: 0 },
    rules: [
      { id: 'office', conditions: [{ attribute: 'ip', operator: 'IN_CIDR', values: ['10.0.0.0/8', '2001:db8::/32'] }], serve: { type: 'on' } },
      { id: 'staff', conditions: [{ attribute: 'email', operator: 'STR_ENDS_WITH', values: ['@example.com'], caseInsensitive: true }], serve: { type: 'on' } },
      { id: 'adults', conditions: [{ attribute: 'age', operator: 'NUM_GTE', values: ['18'] }, { attribute: 'age', operator: 'NUM_LT', values: ['65'] }], serve: { type: 'on' } },
      { id: 'launched', conditions: [{ attribute: 'currentTime', operator: 'DATE_AFTER', values: ['2026-02-01'] }, { attribute: 'country', operator: 'IN', values: ['US'], negate: true }, { attribute: 'beta', operator: 'IN', values: ['true'] }], serve: { type: 'on' } },
      { id: 'pattern', conditions: [{ attribute: 'device', operator: 'REGEX', values: ['^pixel-[0-9]+$'] }], serve: { type: 'percentage', percentage: 40 } },
      { id: 'old-app', conditions: [{ attribute: 'appVersion', operator: 'SEMVER_LT', values: ['2.0.0-rc.1'] }], serve: { type: 'off' } },
    ],
  },
  { key: 'eu-invoices', state: 'rollout', rules: [{ id: 'eu', segments: ['eu-customers'], serve: { type: 'on' } }] },
  {
    key: 'one-click-pay',
    state: 'rollout',
    strategy: { type: 'percentage', percentage: 100 },
    prerequisites: [{ flag: 'new-checkout', enabled: true }],
  },
  { key: 'checkout', state: 'rollout', bucketBy: 'accountId', strategy: { type: 'percentage', percentage: 60 } },
];

export const CONTEXTS = [
  undefined,
  {},
  { userId: 'u-42' },
  { userId: 'u-43' },
  { userId: 'user@example.com', attributes: { email: 'USER@EXAMPLE.COM' } },
  { userId: 'Zoë', ring: 'canary' },
  { userId: '用户-7', ring: 'internal', attributes: { country: 'FR', plan: 'pro' } },
  { userId: '🚀rocket', accessLevel: 'beta' },
  { userId: 'a-very-long-user-id-'.repeat(20), accessLevel: 'alpha' },
  { userId: 'u-1', attributes: { plan: 'enterprise', country: 'DE', appVersion: '2.4.1' } },
  { userId: 'u-2', attributes: { plan: 'free', country: 'DE' } },
  { userId: 'u-3', attributes: { plan: 'pro', country: 'NL', appVersion: '1.9.9', age: 30, beta: true } },
  { userId: 'u-4', attributes: { ip: '10.1.2.3', device: 'pixel-8', age: '17' } },
  { userId: 'u-5', attributes: { ip: '2001:db8::1', country: 'US', beta: 'true' } },
  { userId: 'u-6', attributes: { accountId: 'acme' } },
  { userId: 'u-7', attributes: { accountId: 42 } },
  { userId: 'u-8', attributes: { accountId: '42', device: 'iphone' } },
  { userId: 'u-9', ring: 42 },
  { userId: 7 },
];

/** The rows of docs/bucketing.md's test vectors: salt and user id. */
export const VECTORS = [
  ['new-checkout', 'u-42'],
  ['new-checkout', 'u-43'],
  ['new-checkout', 'user@example.com'],
  ['payments-v3', 'u-42'],
  ['release-2.0.0:dark-mode', '42'],
  ['a', 'b'],
  ['salt', 'Zoë'],
  ['salt', '用户-7'],
  ['salt', '🚀rocket'],
  ['checkout', 'acme'],
  ['checkout', '42'],
];

const pick = (result) => [
  result.enabled,
  result.reason,
  result.bucket ?? null,
  result.threshold ?? null,
  result.ruleId ?? null,
];

/**
 * Every answer a runtime gives for the table: the client (MemoryStore, flags written through
 * it, then a second client started from the first one's snapshot), the pure evaluator, the
 * bucketing vectors and the hashes phasegate computes itself.
 */
export async function answers(phasegate) {
  const clock = new phasegate.ManualClock(NOW);
  const gate = await phasegate.createPhasegate({ store: new phasegate.MemoryStore(), clock, resyncIntervalMs: 0 });
  for (const segment of SEGMENTS) await gate.segments.create(segment);
  for (const flag of FLAGS) await gate.flags.create(flag);
  const snapshot = phasegate.parseSnapshotData(JSON.parse(JSON.stringify(gate.snapshotData())));
  const edge = await phasegate.createPhasegate({ store: new phasegate.MemoryStore(), clock, bootstrap: snapshot, resyncIntervalMs: 0 });
  const environment = phasegate.targetingEnvironment({ segments: snapshot.segments ?? [], flags: snapshot.flags });
  const rows = [];
  for (const flag of snapshot.flags) {
    for (const context of CONTEXTS) {
      rows.push([
        flag.key,
        gate.isEnabled(flag.key, context),
        ...pick(gate.evaluate(flag.key, context)),
        edge.isEnabled(flag.key, context),
        ...pick(phasegate.evaluateFlag(flag, context, NOW, environment)),
      ]);
    }
  }
  // An audited write with its actor and reason: they reach the audit log through
  // AsyncLocalStorage where the runtime has one (see docs/edge.md for the others).
  await gate.flags.update('never', { description: 'kill switch' }, { by: 'dana', reason: 'audit check' });
  const audit = (await gate.audit.list({ key: 'never' })).map((entry) => [entry.actor, entry.action, entry.reason ?? null]);
  await gate.earlyAccess.createFeature({ key: 'editor', level: 'beta' });
  const member = await gate.earlyAccess.enroll({ userId: 'm-1', email: 'Ada@Example.com', level: 'beta' });
  const exposure = gate.exposureCounts()['new-checkout'];
  const result = {
    rows,
    vectors: VECTORS.map(([salt, userId]) => phasegate.bucketOf(salt, userId)),
    thresholds: [12.5, 0.001, 33.333, 100].map((percentage) => phasegate.thresholdFor(percentage)),
    enabledFlags: gate.enabledFlags({ userId: 'u-1', attributes: { plan: 'enterprise', country: 'DE', appVersion: '2.4.1' } }),
    exposure: [exposure.on, exposure.off, exposure.invalid],
    emailHash: member.emailHash,
    signature: phasegate.webhookSignature('whsec-test', 1767225600, '{"event":"release.rolledBack","version":"2.0.0"}'),
    hashVersion: phasegate.HASH_VERSION,
    audit,
  };
  await edge.close();
  await gate.close();
  return result;
}
