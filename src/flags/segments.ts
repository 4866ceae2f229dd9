import * as z from 'zod';
import type { Clock } from '../clock.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { insertRecord, iterateRecords } from '../storage/records.js';
import { Collections, type Store, type StoredRecord } from '../storage/store.js';
import { assertNoPollutingKeys, parseWith } from '../validation.js';
import { conditionSchema } from './conditions/index.js';
import { MAX_CONDITIONS, keySchema, type Flag } from './model.js';

const epochSchema = z.number({ error: 'must be epoch milliseconds' }).int('must be whole milliseconds').min(0, 'must not be negative');

const segmentFields = {
  description: z.string({ error: 'must be a string' }).max(2000, 'must be at most 2000 characters'),
  conditions: z
    .array(conditionSchema, { error: 'must be an array of conditions' })
    .min(1, 'must hold at least one condition')
    .max(MAX_CONDITIONS, `may hold at most ${MAX_CONDITIONS} conditions`),
};

/** What `gate.segments.create` accepts. */
export const segmentInputSchema = z.strictObject({
  key: keySchema,
  description: segmentFields.description.default(''),
  conditions: segmentFields.conditions,
});

/** What `gate.segments.update` accepts: any subset of description and conditions. */
export const segmentUpdateSchema = z.strictObject({
  description: segmentFields.description.optional(),
  conditions: segmentFields.conditions.optional(),
});

/** A stored segment: a named, reusable list of conditions that rules refer to by key. */
export const segmentSchema = z.strictObject({
  key: keySchema,
  description: segmentFields.description,
  conditions: segmentFields.conditions,
  createdAt: epochSchema,
  updatedAt: epochSchema,
});

/** A segment, as stored. A context is in the segment when every condition holds. */
export type Segment = z.infer<typeof segmentSchema>;
/** Input to `gate.segments.create`. */
export type SegmentInput = z.input<typeof segmentInputSchema>;
/** Input to `gate.segments.update`. */
export type SegmentUpdate = z.input<typeof segmentUpdateSchema>;

/** Validates a segment record read from a store; names the record on failure. */
export function parseStoredSegment(record: StoredRecord<unknown>, storeName: string): Segment {
  const subject = `segment record '${record.key}' in store ${storeName}`;
  assertNoPollutingKeys(record.value, subject);
  const segment = parseWith(segmentSchema, record.value, subject);
  if (segment.key !== record.key) {
    throw new ValidationError(subject, [{ path: 'key', message: `must equal the record key '${record.key}' (got '${segment.key}')` }]);
  }
  return segment;
}

/** The keys of the segments a flag's rules name. */
export function segmentsOf(flag: Flag): string[] {
  const keys = new Set<string>();
  for (const rule of flag.rules ?? []) for (const key of rule.segments ?? []) keys.add(key);
  return [...keys];
}

/** How {@link Segments} tells its owner about writes (same contract as the flag write hooks). */
export interface SegmentWriteHooks {
  begin(key: string): void;
  commit(key: string, record: StoredRecord<Segment> | undefined): void;
  end(key: string): void;
}

/**
 * `gate.segments`: named condition lists that flag rules share. Editing a segment changes every
 * flag that uses it, in every process; a segment that rules still name cannot be deleted.
 */
export class Segments {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly hooks: SegmentWriteHooks;

  /** @internal Built by `createPhasegate`. */
  constructor(store: Store, clock: Clock, hooks: SegmentWriteHooks) {
    this.store = store;
    this.clock = clock;
    this.hooks = hooks;
  }

  private async write<T>(key: string, run: () => Promise<T>): Promise<T> {
    this.hooks.begin(key);
    try {
      return await run();
    } finally {
      this.hooks.end(key);
    }
  }

  /**
   * Creates a segment.
   * @throws ValidationError for invalid input, AlreadyExistsError when the key is taken.
   */
  async create(input: SegmentInput): Promise<Segment> {
    const parsed = parseWith(segmentInputSchema, input, 'segment');
    const now = this.clock.now();
    const segment: Segment = { ...parsed, createdAt: now, updatedAt: now };
    return this.write(segment.key, async () => {
      const record = await insertRecord(this.store, Collections.segments, segment.key, segment, 'Segment');
      this.hooks.commit(segment.key, record);
      return record.value;
    });
  }

  /**
   * Changes a segment's description or conditions; every flag using it follows at once.
   * @throws ValidationError for an invalid change, NotFoundError for an unknown key.
   */
  async update(key: string, change: SegmentUpdate): Promise<Segment> {
    parseWith(keySchema, key, 'segment key');
    const patch = parseWith(segmentUpdateSchema, change, `update of segment '${key}'`);
    return this.write(key, async () => {
      for (let attempt = 1; ; attempt++) {
        const current = await this.store.get(Collections.segments, key);
        if (!current) throw new NotFoundError('Segment', key);
        const existing = parseStoredSegment(current, this.store.name);
        const next: Segment = {
          ...existing,
          ...(patch.description !== undefined ? { description: patch.description } : {}),
          ...(patch.conditions !== undefined ? { conditions: patch.conditions } : {}),
          updatedAt: Math.max(this.clock.now(), existing.updatedAt),
        };
        try {
          const record = await this.store.put(Collections.segments, key, next, current.version);
          this.hooks.commit(key, record);
          return record.value;
        } catch (error) {
          if (!(error instanceof ConflictError) || attempt >= 20) throw error;
        }
      }
    });
  }

  /**
   * Deletes a segment that no flag rule names.
   * @throws NotFoundError for an unknown key; ValidationError naming the flags that still use it.
   */
  async delete(key: string): Promise<void> {
    parseWith(keySchema, key, 'segment key');
    await this.write(key, async () => {
      for (let attempt = 1; ; attempt++) {
        const current = await this.store.get(Collections.segments, key);
        if (!current) throw new NotFoundError('Segment', key);
        const users = await this.usedBy(key);
        if (users.length > 0) {
          throw new ValidationError(`delete of segment '${key}'`, [
            { path: '', message: `it is still used by the rules of ${users.length === 1 ? 'flag' : 'flags'} ${users.map((u) => `'${u}'`).join(', ')}; remove it from their rules first` },
          ]);
        }
        try {
          await this.store.delete(Collections.segments, key, current.version);
          this.hooks.commit(key, undefined);
          return;
        } catch (error) {
          if (!(error instanceof ConflictError) || attempt >= 20) throw error;
        }
      }
    });
  }

  /** The segment as stored now, or `undefined`. */
  async get(key: string): Promise<Segment | undefined> {
    parseWith(keySchema, key, 'segment key');
    const record = await this.store.get(Collections.segments, key);
    return record && parseStoredSegment(record, this.store.name);
  }

  /** Every stored segment, sorted by key. */
  async list(): Promise<Segment[]> {
    const segments: Segment[] = [];
    for await (const record of iterateRecords(this.store, Collections.segments)) segments.push(parseStoredSegment(record, this.store.name));
    return segments;
  }

  /** The keys of the stored flags whose rules name segment `key`, sorted. */
  async usedBy(key: string): Promise<string[]> {
    const users: string[] = [];
    for await (const record of iterateRecords<{ rules?: { segments?: unknown }[] }>(this.store, Collections.flags)) {
      // A light read: only the rule's segment lists matter here, and a malformed flag is the flag reader's to report.
      const rules = Array.isArray(record.value?.rules) ? record.value.rules : [];
      if (rules.some((rule) => Array.isArray(rule?.segments) && rule.segments.includes(key))) users.push(record.key);
    }
    return users;
  }
}
