import * as z from 'zod';
import { ACCESS_LEVELS, keySchema, userIdSchema, type AccessLevel } from '../flags/model.js';

/** Life-cycle states of an early-access member. */
export const MEMBER_STATUSES = ['pending', 'approved', 'active', 'suspended', 'graduated'] as const;
/** Where a member is in the program. */
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

/**
 * Allowed moves. `suspended → approved | active` is reinstatement, back to the status held
 * before the suspension; graduation is final.
 */
export const MEMBER_TRANSITIONS: Readonly<Record<MemberStatus, readonly MemberStatus[]>> = {
  pending: ['approved'],
  approved: ['active', 'suspended'],
  active: ['suspended', 'graduated'],
  suspended: ['approved', 'active'],
  graduated: [],
};

const levelSchema = z.enum(ACCESS_LEVELS, { error: `must be one of ${ACCESS_LEVELS.map((l) => `'${l}'`).join(', ')}` });

/** Input to `gate.earlyAccess.enroll`. */
export const enrollmentSchema = z.strictObject({
  /** The app's own id for the user: what flags are evaluated with. */
  userId: userIdSchema,
  email: z
    .string({ error: 'must be a string' })
    .trim()
    .toLowerCase()
    .pipe(z.email({ error: 'must be a valid email address' }).max(254, 'must be at most 254 characters')),
  level: levelSchema.default('beta'),
});
/** Input to `gate.earlyAccess.enroll`. */
export type EnrollmentInput = z.input<typeof enrollmentSchema>;

/**
 * The fields of an early-access feature, without defaults. Create adds the defaults; update
 * must not, or every field a caller leaves out would be reset to its default.
 */
const featureFields = {
  description: z.string({ error: 'must be a string' }).max(2000, 'must be at most 2000 characters'),
  /** The level a member needs (levels nest: alpha members get beta and preview features too). */
  level: levelSchema,
  /** At most this many members hold the feature at once; `null` for no cap. */
  cap: z.number({ error: 'must be a whole number or null' }).int('must be a whole number').min(0, 'must be at least 0').max(100_000, 'must be at most 100,000').nullable(),
  enabled: z.boolean({ error: 'must be true or false' }),
  /** Only this percentage of qualifying members (bucketed like flags, salted with the key) get it. */
  rolloutPercentage: z
    .number({ error: 'must be a number' })
    .min(0, 'must be at least 0')
    .max(100, 'must be at most 100')
    .refine((p) => Math.abs(p * 1000 - Math.round(p * 1000)) < 1e-6, 'may have at most three decimals'),
};

/** Input to `gate.earlyAccess.createFeature`. */
export const featureInputSchema = z.strictObject({
  key: keySchema,
  description: featureFields.description.default(''),
  level: featureFields.level,
  cap: featureFields.cap.default(null),
  enabled: featureFields.enabled.default(true),
  rolloutPercentage: featureFields.rolloutPercentage.default(100),
});
/** Input to `gate.earlyAccess.createFeature`. */
export type FeatureInput = z.input<typeof featureInputSchema>;

/** What `gate.earlyAccess.updateFeature` accepts: only the fields named change (no defaults here). */
export const featureUpdateSchema = z
  .strictObject({
    description: featureFields.description.optional(),
    level: featureFields.level.optional(),
    cap: featureFields.cap.optional(),
    enabled: featureFields.enabled.optional(),
    rolloutPercentage: featureFields.rolloutPercentage.optional(),
  })
  .refine((change) => Object.values(change).some((value) => value !== undefined), 'name at least one field to change');
/** Input to `gate.earlyAccess.updateFeature`. */
export type FeatureUpdate = z.input<typeof featureUpdateSchema>;

/** Input to `gate.earlyAccess.feedback`. */
export const feedbackInputSchema = z.strictObject({
  rating: z.number().int('must be a whole number').min(1, 'must be at least 1').max(5, 'must be at most 5').optional(),
  text: z.string().trim().max(2000, 'must be at most 2000 characters').default(''),
});
/** Input to `gate.earlyAccess.feedback`. */
export type FeedbackInput = z.input<typeof feedbackInputSchema>;

/** One move in a member's life cycle. */
export interface MemberTransition {
  readonly at: number;
  readonly from: MemberStatus | null;
  readonly to: MemberStatus;
  readonly by: string;
  readonly reason?: string;
}

/** A member of the early-access program, as stored. */
export interface Member {
  readonly userId: string;
  /** Normalised (trimmed, lower-case). Never appears in stats or exports. */
  readonly email: string;
  /** SHA-256 of the normalised email: the key of the uniqueness index. */
  readonly emailHash: string;
  readonly level: AccessLevel;
  readonly status: MemberStatus;
  /** While suspended: the status to reinstate to, and why. */
  readonly suspension: { readonly previous: 'approved' | 'active'; readonly reason: string } | null;
  readonly history: readonly MemberTransition[];
  readonly enrolledAt: number;
  readonly updatedAt: number;
}

/** An early-access feature, as stored. `holders` are the members holding a seat (capped features only). */
export interface EarlyAccessFeature {
  readonly key: string;
  readonly description: string;
  readonly level: AccessLevel;
  readonly cap: number | null;
  readonly enabled: boolean;
  readonly rolloutPercentage: number;
  /** Members holding a seat, sorted; always empty for uncapped features. */
  readonly holders: readonly string[];
  readonly feedbackCount: number;
  readonly ratingCount: number;
  readonly ratingSum: number;
  /**
   * Set once the feature's flag has been handed over to a release (`handOver`): the program no
   * longer grants it; the release owns the flag. Absent in records written before 0.2.
   */
  readonly handedOverTo?: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** One piece of feedback, stored as its own record. */
export interface Feedback {
  readonly id: string;
  readonly userId: string;
  readonly feature: string;
  readonly rating: number | null;
  readonly text: string;
  readonly at: number;
}
