import * as z from 'zod';

/** A user id: any non-empty string up to 256 characters, unicode allowed. */
export const userIdSchema = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters');

/** A percentage 0–100 with at most three decimals (the bucket granularity). */
export const percentageSchema = z
  .number({ error: 'must be a number' })
  .min(0, 'must be at least 0')
  .max(100, 'must be at most 100')
  .refine((p) => Math.abs(p * 1000 - Math.round(p * 1000)) < 1e-6, 'may have at most three decimals');

/** An instant in whole epoch milliseconds. */
export const epochSchema = z.number({ error: 'must be epoch milliseconds' }).int('must be whole milliseconds').min(0, 'must not be negative');
