import semver from '../semver.js';
import * as z from 'zod';
import type { StoredRecord } from '../storage/store.js';
import { storedRecordParser } from '../validation.js';
import { RELEASE_STATUSES, RELEASE_TYPES, type Release } from './model.js';

// Stored records are checked for what the code relies on; unknown fields pass through, so a
// record written by a newer version of phasegate still loads.
const epoch = z.number().int().min(0);
const text = z.string();

const phaseSchema = z.looseObject({
  name: text.min(1),
  percentage: z.number().min(0).max(100),
  durationMs: z.number().int().min(0),
  gate: z.enum(['auto', 'manual']),
});

const stepSchema = z.looseObject({ action: text.min(1), params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])) });

const breachSchema = z.looseObject({
  metric: text,
  value: z.number(),
  limit: z.number(),
  bad: z.enum(['above', 'below']),
  phase: text.nullable(),
  severity: z.enum(['warning', 'critical']),
});

const releaseRecordSchema = z
  .looseObject({
    version: text.refine((version) => semver.valid(version) === version, 'must be a valid semantic version'),
    type: z.enum(RELEASE_TYPES),
    description: text,
    status: z.enum(RELEASE_STATUSES),
    features: z.array(text.min(1)),
    bugFixes: z.array(text),
    breakingChanges: z.array(text),
    plan: z.looseObject({ phases: z.array(phaseSchema).min(1) }),
    rollbackPlan: z.looseObject({
      triggers: z.array(z.looseObject({ metric: text, limit: z.number(), bad: z.enum(['above', 'below']) })),
      steps: z.array(stepSchema),
    }),
    salt: text.min(1),
    phaseIndex: z.number().int().min(0).nullable(),
    phaseStartedAt: epoch.nullable(),
    hold: z.looseObject({ at: epoch, by: text, reason: text, breach: breachSchema.optional() }).nullable(),
    previousVersion: text.nullable(),
    rollback: z
      .looseObject({
        at: epoch,
        reason: text,
        by: text,
        phase: text.nullable(),
        currentVersionBefore: text.nullable(),
        currentVersionAfter: text.nullable(),
        steps: z.array(z.looseObject({ step: stepSchema, outcome: z.enum(['done', 'queued', 'emitted', 'unhandled']) })),
        breach: breachSchema.optional(),
      })
      .nullable(),
    history: z.array(z.looseObject({ at: epoch, kind: text, by: text })),
    createdAt: epoch,
    updatedAt: epoch,
    startedAt: epoch.nullable(),
    releasedAt: epoch.nullable(),
  })
  .refine((release) => release.phaseIndex === null || release.phaseIndex < release.plan.phases.length, {
    message: 'must point at a phase of the plan',
    path: ['phaseIndex'],
  });

/** Validates a release read back from a store; a bad record throws a ValidationError naming its key. */
export const parseStoredRelease = storedRecordParser(releaseRecordSchema, 'release', (release) => release.version) as (
  record: Parameters<ReturnType<typeof storedRecordParser>>[0],
  storeName: string,
) => Release;

// `at`: when the completion or rollback that set it happened (see current-version.ts); absent before 0.2.
const currentVersionSchema = z.strictObject({ version: text.nullable(), at: epoch.optional() });

const parseCurrentVersion = storedRecordParser(currentVersionSchema, 'current version');

/** The key of the "current version" pointer in the meta collection. */
export const CURRENT_VERSION_KEY = 'current-version';

/** Validates the releases' records of the shared meta collection (the current-version pointer); other keys pass. */
export function parseStoredReleaseMeta(record: StoredRecord<unknown>, storeName: string): unknown {
  return record.key === CURRENT_VERSION_KEY ? parseCurrentVersion(record, storeName) : record.value;
}
