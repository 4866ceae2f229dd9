import { hashPrefix, hashWithPrefixInt32, type HashPrefix } from './hash.js';

/** Number of buckets users are spread over: 100,000 gives 0.001% granularity. */
export const BUCKET_COUNT = 100_000;

/** Buckets per percentage point. */
export const BUCKETS_PER_PERCENT = BUCKET_COUNT / 100;

/** The bucketing algorithm version recorded on every flag (see docs/bucketing.md). */
export const HASH_VERSION = 1 as const;

/** A precomputed bucketing prefix for one salt. */
export type BucketSalt = HashPrefix;

/** Prepares a salt for repeated bucketing (`salt + ':'` is hashed once). */
export function prepareSalt(salt: string): BucketSalt {
  return hashPrefix(`${salt}:`);
}

/** The bucket (0–99,999) of `userId` under a prepared salt. */
export function bucketWithSalt(salt: BucketSalt, userId: string): number {
  return (hashWithPrefixInt32(salt, userId) >>> 0) % BUCKET_COUNT;
}

/**
 * The bucket (0–99,999) that `userId` falls in under `salt`, by hash version 1:
 * MurmurHash3 x86_32, seed 0, of the UTF-8 bytes of `${salt}:${userId}`, modulo 100,000.
 */
export function bucketOf(salt: string, userId: string): number {
  return bucketWithSalt(prepareSalt(salt), userId);
}

/** The number of buckets that are on at `percentage` (0–100, up to three decimals). */
export function thresholdFor(percentage: number): number {
  return Math.round(percentage * BUCKETS_PER_PERCENT);
}

/**
 * The MurmurHash3 seed of variant splits ('vari' in ASCII). Why a seed of its own: a flag often
 * rolls out to a percentage of users and splits those users between variants. With the rollout's
 * hash, a 10% rollout (buckets 0–9,999) would only ever reach the first tenth of the split's
 * range; a distinct seed makes the two hashes independent, so every variant gets its weight of
 * the users the rollout lets in.
 */
export const VARIANT_SEED = 0x76617269;

/** Prepares a salt for variant bucketing: `salt + ':'` hashed once under {@link VARIANT_SEED}. */
export function prepareVariantSalt(salt: string): BucketSalt {
  return hashPrefix(`${salt}:`, VARIANT_SEED);
}

/**
 * The variant bucket (0–99,999) of `userId` under `salt`: MurmurHash3 x86_32 with seed
 * {@link VARIANT_SEED} of the UTF-8 bytes of `${salt}:${userId}`, modulo 100,000. Splits give
 * each variant a contiguous range of these buckets, in the order the split lists them.
 */
export function variantBucketOf(salt: string, userId: string): number {
  return bucketWithSalt(prepareVariantSalt(salt), userId);
}
