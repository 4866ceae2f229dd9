import semver from '../semver.js';
import * as z from 'zod';
import { Duration } from '../clock.js';
import { keySchema } from '../flags/model.js';
import { phaseAudienceSchema } from './audience.js';

/** Kinds of release; each has a default rollout plan. */
export const RELEASE_TYPES = ['major', 'minor', 'patch', 'hotfix', 'beta', 'alpha'] as const;
/** A release's kind. */
export type ReleaseType = (typeof RELEASE_TYPES)[number];

/** Life-cycle states of a release. */
export const RELEASE_STATUSES = ['planned', 'in_progress', 'testing', 'staging', 'released', 'rolled_back'] as const;
/** Where a release is in its life cycle. */
export type ReleaseStatus = (typeof RELEASE_STATUSES)[number];

/** The statuses in which phases move and a release can be held, advanced or completed. */
export const ACTIVE_RELEASE_STATUSES: readonly ReleaseStatus[] = ['in_progress', 'testing', 'staging'];

/** Allowed status transitions. `released → rolled_back` undoes a release that went bad after completion. */
export const RELEASE_TRANSITIONS: Readonly<Record<ReleaseStatus, readonly ReleaseStatus[]>> = {
  planned: ['in_progress'],
  in_progress: ['testing', 'staging', 'released', 'rolled_back'],
  testing: ['in_progress', 'staging', 'released', 'rolled_back'],
  staging: ['testing', 'released', 'rolled_back'],
  released: ['rolled_back'],
  rolled_back: [],
};

const percentage = z
  .number({ error: 'must be a number' })
  .min(0, 'must be at least 0')
  .max(100, 'must be at most 100')
  .refine((p) => Math.abs(p * 1000 - Math.round(p * 1000)) < 1e-6, 'may have at most three decimals');

/** One phase of a rollout plan. */
export const rolloutPhaseSchema = z.strictObject({
  name: z.string({ error: 'must be a string' }).regex(/^[a-z0-9][a-z0-9_-]{0,49}$/, 'must be lowercase letters, digits, "-" or "_"'),
  percentage,
  durationMs: z.number({ error: 'must be a number of milliseconds' }).int('must be whole milliseconds').min(0, 'must be at least 0'),
  /** `auto`: `tick()` advances once the duration has passed. `manual`: only `advance()` does. */
  gate: z.enum(['auto', 'manual'], { error: "must be 'auto' or 'manual'" }).default('auto'),
  /** Who is on in this phase besides its percentage: segments, rings, early-access levels. */
  audience: phaseAudienceSchema.optional(),
});
/** One phase of a rollout plan. */
export type RolloutPhase = z.infer<typeof rolloutPhaseSchema>;

/** A rollout plan: phases in order, percentages never going down. */
export const rolloutPlanSchema = z
  .strictObject({ phases: z.array(rolloutPhaseSchema).min(1, 'must have at least one phase').max(20, 'may have at most 20 phases') })
  .superRefine((plan, context) => {
    const seen = new Set<string>();
    plan.phases.forEach((phase, index) => {
      if (seen.has(phase.name)) context.addIssue({ code: 'custom', path: ['phases', index, 'name'], message: `'${phase.name}' is used by an earlier phase` });
      seen.add(phase.name);
      const previous = plan.phases[index - 1];
      if (previous && phase.percentage < previous.percentage) {
        context.addIssue({
          code: 'custom',
          path: ['phases', index, 'percentage'],
          message: `must not be lower than the previous phase's ${previous.percentage} (percentages never go down)`,
        });
      }
    });
  });
/** A rollout plan. */
export type RolloutPlan = z.infer<typeof rolloutPlanSchema>;
/** A rollout plan as given (gates optional). */
export type RolloutPlanInput = z.input<typeof rolloutPlanSchema>;

/**
 * A metric condition that triggers a hold (past `limit`) or rollback (past `critical`), evaluated
 * by the analytics module. Without `critical`, the documented default is half the limit further.
 */
export const triggerConditionSchema = z
  .strictObject({
    metric: z.string().min(1, 'must not be empty').max(100),
    limit: z.number({ error: 'must be a number' }).refine(Number.isFinite, 'must be finite'),
    /** Which side of the limit is bad. */
    bad: z.enum(['above', 'below'], { error: "must be 'above' or 'below'" }),
    /** Past this the breach is critical and rolls the release back. */
    critical: z.number({ error: 'must be a number' }).refine(Number.isFinite, 'must be finite').optional(),
  })
  .superRefine((t, context) => {
    if (t.critical === undefined) return;
    if (t.bad === 'above' ? !(t.critical > t.limit) : !(t.critical < t.limit)) {
      context.addIssue({ code: 'custom', path: ['critical'], message: `must be ${t.bad} the limit ${t.limit} (bad is '${t.bad}')` });
    }
  });
/** A trigger condition. */
export type TriggerCondition = z.infer<typeof triggerConditionSchema>;

const stepParameter = z.union([z.string().max(500), z.number(), z.boolean()]);

/** One rollback step: built-in (`disableFeatures`, `restorePreviousVersion`) or an action the host handles through events. */
export const rollbackStepSchema = z.strictObject({
  action: z.string().regex(/^[a-zA-Z][a-zA-Z0-9_-]{0,49}$/, 'must be a short action name'),
  params: z.record(z.string(), stepParameter).default({}),
});
/** A rollback step. */
export type RollbackStep = z.infer<typeof rollbackStepSchema>;

/** What to watch and what to do when a release goes wrong. */
export const rollbackPlanSchema = z.strictObject({
  triggers: z.array(triggerConditionSchema).max(20),
  steps: z.array(rollbackStepSchema).max(20),
});
/** A rollback plan. */
export type RollbackPlan = z.infer<typeof rollbackPlanSchema>;
/** A rollback plan as given. */
export type RollbackPlanInput = z.input<typeof rollbackPlanSchema>;

/** A semantic version as phasegate stores it: valid semver, no leading `v`. */
export const versionSchema = z
  .string({ error: 'must be a string' })
  .refine((version) => semver.valid(version) === version, 'must be a valid semantic version such as 2.1.0 (no leading "v")');

/** The fields of a release a caller sets, without defaults (edits must not reset what they leave out). */
const releaseFields = {
  type: z.enum(RELEASE_TYPES, { error: `must be one of ${RELEASE_TYPES.map((t) => `'${t}'`).join(', ')}` }),
  description: z.string({ error: 'must be a string' }).max(2000, 'must be at most 2000 characters'),
  features: z
    .array(keySchema, { error: 'must be a list of flag keys' })
    .max(100, 'may list at most 100 features')
    .refine((features) => new Set(features).size === features.length, 'must not list a feature twice'),
  bugFixes: z.array(z.string().min(1).max(500)).max(500),
  breakingChanges: z.array(z.string().min(1).max(500)).max(500),
  plan: rolloutPlanSchema,
  rollbackPlan: rollbackPlanSchema,
  /** A deliberate downgrade: the version may be lower than the current version. */
  downgrade: z.boolean({ error: 'must be true or false' }),
};

/** Input to `gate.releases.plan`. */
export const releasePlanInputSchema = z.strictObject({
  version: versionSchema,
  type: releaseFields.type,
  description: releaseFields.description.default(''),
  features: releaseFields.features.default([]),
  bugFixes: releaseFields.bugFixes.default([]),
  breakingChanges: releaseFields.breakingChanges.default([]),
  plan: releaseFields.plan.optional(),
  rollbackPlan: releaseFields.rollbackPlan.optional(),
  downgrade: releaseFields.downgrade.default(false),
});
/** Input to `gate.releases.plan`. */
export type ReleasePlanInput = z.input<typeof releasePlanInputSchema>;

/** Input to `gate.releases.edit`: only the fields named change. */
export const releaseEditSchema = z
  .strictObject({
    type: releaseFields.type.optional(),
    description: releaseFields.description.optional(),
    features: releaseFields.features.optional(),
    bugFixes: releaseFields.bugFixes.optional(),
    breakingChanges: releaseFields.breakingChanges.optional(),
    plan: releaseFields.plan.optional(),
    rollbackPlan: releaseFields.rollbackPlan.optional(),
    downgrade: releaseFields.downgrade.optional(),
  })
  .refine((change) => Object.values(change).some((value) => value !== undefined), 'name at least one field to change');
/** Input to `gate.releases.edit`. */
export type ReleaseEdit = z.input<typeof releaseEditSchema>;

/** The statuses a team moves a release between by hand; completion and rollback have their own calls. */
export const MANUAL_RELEASE_STATUSES = ['in_progress', 'testing', 'staging'] as const;
/** A status `gate.releases.setStatus` accepts. */
export type ManualReleaseStatus = (typeof MANUAL_RELEASE_STATUSES)[number];
/** The status argument of `gate.releases.setStatus`, checked at run time (TypeScript types vanish). */
export const manualStatusSchema = z.enum(MANUAL_RELEASE_STATUSES, {
  error: "must be 'in_progress', 'testing' or 'staging' (use complete() to release and rollback() to roll back)",
});

/** `{ by }`: who is acting, recorded in the history. */
export const actorOptionsSchema = z.strictObject({
  by: z.string({ error: 'must be a string' }).trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters').optional(),
});

/** Why a release is held or rolled back. */
export const reasonSchema = z.string({ error: 'must be a string' }).trim().min(1, 'must not be empty').max(1000, 'must be at most 1000 characters');

/** The breach passed along by analytics to `hold` and `rollback`. */
export const breachSchema = z.strictObject({
  metric: z.string().min(1).max(100),
  value: z.number().refine(Number.isFinite, 'must be finite'),
  limit: z.number().refine(Number.isFinite, 'must be finite'),
  bad: z.enum(['above', 'below']),
  phase: z.string().max(100).nullable(),
  severity: z.enum(['warning', 'critical']),
  /** The critical limit in force. */
  critical: z.number().refine(Number.isFinite, 'must be finite').optional(),
  /** A breach found by the comparison against control: the difference, its interval and the arms' sizes. */
  comparison: z
    .strictObject({
      difference: z.number().refine(Number.isFinite, 'must be finite'),
      interval: z.tuple([z.number().refine(Number.isFinite, 'must be finite'), z.number().refine(Number.isFinite, 'must be finite')]),
      treatmentCount: z.number().int().min(0),
      controlCount: z.number().int().min(0),
    })
    .optional(),
});

/** `{ by, breach }` of `hold` and `rollback`. */
export const actorWithBreachSchema = actorOptionsSchema.extend({ breach: breachSchema.optional() });

/** One entry of a release's history. */
export interface ReleaseEvent {
  /** Epoch ms. */
  readonly at: number;
  /** What happened. */
  readonly kind: 'planned' | 'edited' | 'adopted' | 'status' | 'phase' | 'hold' | 'resume' | 'rollback';
  /** Status or phase before, when it applies. */
  readonly from?: string;
  /** Status or phase after, when it applies. */
  readonly to?: string;
  /** The exposure percentage after the event, when it applies. */
  readonly percentage?: number;
  /** Who or what did it: `scheduler`, `analytics`, or the actor passed by the caller. */
  readonly by: string;
  /** Why, when given. */
  readonly note?: string;
}

/** How one rollback step went. */
export interface RollbackStepOutcome {
  readonly step: RollbackStep;
  /**
   * `done`: performed by phasegate; `queued`: a `webhook` step, written to the notification outbox
   * and delivered by `tick()`; `emitted`: handed to the host's listeners; `unhandled`: no listener took it.
   */
  readonly outcome: 'done' | 'queued' | 'emitted' | 'unhandled';
}

import type { ReleaseBreach } from '../contracts.js';

export type { ReleaseBreach } from '../contracts.js';

/** Why and how a release was rolled back. */
export interface ReleaseRollback {
  readonly at: number;
  readonly reason: string;
  readonly by: string;
  /** The phase it was in when rolled back. */
  readonly phase: string | null;
  /** The current version before and after the rollback. */
  readonly currentVersionBefore: string | null;
  readonly currentVersionAfter: string | null;
  readonly steps: readonly RollbackStepOutcome[];
  readonly breach?: ReleaseBreach;
}

/** A flag a release took over when it started, and from whom. */
export interface ReleaseAdoption {
  readonly key: string;
  /** The previous owner (`early-access`, `release:<version>`), or `null` for a flag nobody owned. */
  readonly from: string | null;
  /** The flag's state when adopted. */
  readonly state: string;
  readonly at: number;
}

/** A stored release. */
export interface Release {
  readonly version: string;
  readonly type: ReleaseType;
  readonly description: string;
  readonly status: ReleaseStatus;
  readonly features: readonly string[];
  readonly bugFixes: readonly string[];
  readonly breakingChanges: readonly string[];
  readonly plan: RolloutPlan;
  readonly rollbackPlan: RollbackPlan;
  /** Bucketing salt shared by the release's feature flags, so audiences stay stable across phases. */
  readonly salt: string;
  /** Index of the current phase; `null` before start. */
  readonly phaseIndex: number | null;
  /** When the current phase began (epoch ms). */
  readonly phaseStartedAt: number | null;
  /** Set while the release is held in its phase. */
  readonly hold: { readonly at: number; readonly by: string; readonly reason: string; readonly breach?: ReleaseBreach } | null;
  /** The version that was current when this one was completed (restored by rollback). */
  readonly previousVersion: string | null;
  readonly rollback: ReleaseRollback | null;
  /** Planned as a deliberate downgrade below the current version (absent in records written before 0.2). */
  readonly downgrade?: boolean;
  /** Existing flags this release took over at start (absent in records written before 0.2). */
  readonly adopted?: readonly ReleaseAdoption[];
  readonly history: readonly ReleaseEvent[];
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly startedAt: number | null;
  readonly releasedAt: number | null;
}

/** The default rollout plan of each release type. */
export function defaultRolloutPlan(type: ReleaseType): RolloutPlan {
  const phase = (name: string, percentage: number, durationMs: number) => ({ name, percentage, durationMs, gate: 'auto' as const });
  switch (type) {
    case 'hotfix':
      return { phases: [phase('full', 100, 0)] };
    case 'major':
      return {
        phases: [
          phase('alpha', 1, 24 * Duration.hour),
          phase('beta', 5, 72 * Duration.hour),
          phase('early-access', 20, Duration.week),
          phase('gradual', 50, Duration.week),
          phase('full', 100, 0),
        ],
      };
    default:
      return {
        phases: [
          phase('beta', 5, 24 * Duration.hour),
          phase('early-access', 20, 72 * Duration.hour),
          phase('gradual', 50, 72 * Duration.hour),
          phase('full', 100, 0),
        ],
      };
  }
}

/** The default rollback plan: error and crash rates as triggers, features off, previous version back, people told. */
export function defaultRollbackPlan(): RollbackPlan {
  return {
    triggers: [
      { metric: 'error_rate', limit: 5, bad: 'above' },
      { metric: 'crash_rate', limit: 2, bad: 'above' },
    ],
    steps: [
      { action: 'disableFeatures', params: {} },
      { action: 'restorePreviousVersion', params: {} },
      { action: 'notify', params: { channels: 'email,slack' } },
    ],
  };
}
