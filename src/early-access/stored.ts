import * as z from 'zod';
import { ACCESS_LEVELS } from '../flags/model.js';
import { storedRecordParser } from '../validation.js';
import { MEMBER_STATUSES, type EarlyAccessFeature, type Feedback, type Member } from './model.js';

// What the code relies on is checked; unknown fields pass through so newer records still load.
const epoch = z.number().int().min(0);
const text = z.string();
const count = z.number().int().min(0);

const memberRecordSchema = z.looseObject({
  userId: text.min(1).max(256),
  email: text,
  emailHash: text.regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 hex digest'),
  level: z.enum(ACCESS_LEVELS),
  status: z.enum(MEMBER_STATUSES),
  suspension: z.looseObject({ previous: z.enum(['approved', 'active']), reason: text }).nullable(),
  history: z.array(z.looseObject({ at: epoch, from: z.enum(MEMBER_STATUSES).nullable(), to: z.enum(MEMBER_STATUSES), by: text })),
  enrolledAt: epoch,
  updatedAt: epoch,
});

const featureRecordSchema = z.looseObject({
  key: text.min(1),
  description: text,
  level: z.enum(ACCESS_LEVELS),
  cap: count.nullable(),
  enabled: z.boolean(),
  rolloutPercentage: z.number().min(0).max(100),
  holders: z.array(text),
  feedbackCount: count,
  ratingCount: count,
  ratingSum: z.number().min(0),
  createdAt: epoch,
  updatedAt: epoch,
});

const feedbackRecordSchema = z.looseObject({
  id: text.min(1),
  userId: text.min(1),
  feature: text.min(1),
  rating: z.number().int().min(1).max(5).nullable(),
  text,
  at: epoch,
});

const emailIndexSchema = z.looseObject({ userId: text.min(1) });

/** Validates an early-access member read back from a store (its key is the user id). */
export const parseStoredMember = storedRecordParser(memberRecordSchema, 'early-access member', (member) => member.userId) as (
  ...args: Parameters<ReturnType<typeof storedRecordParser>>
) => Member;
/** Validates an early-access feature read back from a store (its key is the feature key). */
export const parseStoredFeature = storedRecordParser(featureRecordSchema, 'early-access feature', (feature) => feature.key) as (
  ...args: Parameters<ReturnType<typeof storedRecordParser>>
) => EarlyAccessFeature;
/** Validates a piece of feedback read back from a store (its key is its id). */
export const parseStoredFeedback = storedRecordParser(feedbackRecordSchema, 'feedback', (feedback) => feedback.id) as (
  ...args: Parameters<ReturnType<typeof storedRecordParser>>
) => Feedback;
/** Validates an email-uniqueness index entry. */
export const parseStoredEmailIndex = storedRecordParser(emailIndexSchema, 'early-access email index');
