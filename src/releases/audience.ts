import * as z from 'zod';
import { ACCESS_LEVELS, keySchema, type AccessLevel, type Rule } from '../flags/model.js';

/** Prefix of the rule ids a release writes for a phase's audience (other rules on the flag are left alone). */
export const AUDIENCE_RULE_PREFIX = 'release-audience-';

/**
 * Who is on in a phase besides its percentage: members of named segments, contexts in named
 * rings, and early-access members at a named level (levels nest: `beta` includes `alpha`).
 * Any one of them is enough.
 */
export const phaseAudienceSchema = z
  .strictObject({
    segments: z.array(keySchema, { error: 'must be a list of segment keys' }).max(20, 'may name at most 20 segments').optional(),
    rings: z.array(z.string().min(1).max(100), { error: 'must be a list of rings' }).max(20, 'may name at most 20 rings').optional(),
    accessLevels: z
      .array(z.enum(ACCESS_LEVELS, { error: `must be one of ${ACCESS_LEVELS.map((l) => `'${l}'`).join(', ')}` }), { error: 'must be a list of access levels' })
      .optional(),
  })
  .refine((a) => (a.segments?.length ?? 0) + (a.rings?.length ?? 0) + (a.accessLevels?.length ?? 0) > 0, 'must name at least one segment, ring or access level');

/** A phase's audience. */
export type PhaseAudience = z.infer<typeof phaseAudienceSchema>;

/** The levels that qualify for `level` (itself and every more exclusive one). */
function qualifyingLevels(levels: readonly AccessLevel[]): AccessLevel[] {
  const widest = Math.max(...levels.map((level) => ACCESS_LEVELS.indexOf(level)));
  return ACCESS_LEVELS.slice(0, widest + 1);
}

/**
 * The targeting rules that put a phase's audience on: one rule per kind (each serves on), so
 * `evaluate` names which kind let a user in. Pure.
 */
export function audienceRules(audience: PhaseAudience | undefined): Rule[] {
  if (audience === undefined) return [];
  const rules: Rule[] = [];
  for (const segment of audience.segments ?? []) {
    rules.push({ id: `${AUDIENCE_RULE_PREFIX}segment-${segment}`.slice(0, 200), conditions: [], segments: [segment], serve: { type: 'on' } });
  }
  if (audience.rings?.length) {
    rules.push({ id: `${AUDIENCE_RULE_PREFIX}rings`, conditions: [{ attribute: 'ring', operator: 'IN', values: audience.rings }], serve: { type: 'on' } });
  }
  if (audience.accessLevels?.length) {
    rules.push({ id: `${AUDIENCE_RULE_PREFIX}early-access`, conditions: [{ attribute: 'accessLevel', operator: 'IN', values: qualifyingLevels(audience.accessLevels) }], serve: { type: 'on' } });
  }
  return rules;
}

/**
 * The rules a release-owned flag should have: its own rules (anything not written by a release)
 * followed by the audience rules of the current phase. `undefined` when nothing changes.
 */
export function withAudienceRules(existing: readonly Rule[] | undefined, audience: PhaseAudience | undefined): Rule[] | undefined {
  const own = (existing ?? []).filter((rule) => !rule.id.startsWith(AUDIENCE_RULE_PREFIX));
  const next = [...own, ...audienceRules(audience)];
  return JSON.stringify(next) === JSON.stringify(existing ?? []) ? undefined : next;
}
