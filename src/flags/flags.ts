import type { z } from 'zod';
import type { Clock } from '../clock.js';
import { AlreadyExistsError, NotFoundError, ValidationError } from '../errors.js';
import { deleteRecord, insertRecord, iterateRecords, updateRecord } from '../storage/records.js';
import { Collections, type Store, type StoredRecord } from '../storage/store.js';
import { parseWith } from '../validation.js';
import { HASH_VERSION } from './bucket.js';
import { flagInputSchema, flagSchema, flagUpdateSchema, keySchema, type Flag, type FlagInput, type FlagUpdate } from './model.js';
import { assertReferencesExist, prerequisiteReferrers } from './references.js';
import type { FlagRepository } from './repository.js';
import type { FlagStats } from './snapshot.js';
import { parseStoredFlag } from './parse.js';
import type { WriteOptions } from '../contracts.js';

export { parseStoredFlag } from './parse.js';

/**
 * A flag with variants always has an off variant and a fallthrough: when the input names
 * neither, both serve the first variant (the control).
 */
function withVariantDefaults<F extends { variants?: readonly { readonly name: string }[]; offVariant?: string; fallthrough?: unknown }>(flag: F): F {
  const first = flag.variants?.[0]?.name;
  if (first === undefined) return flag;
  return {
    ...flag,
    ...(flag.offVariant === undefined ? { offVariant: first } : {}),
    ...(flag.fallthrough === undefined ? { fallthrough: { type: 'variant', variant: first } } : {}),
  };
}

/**
 * Applies a validated change to a copy of a stored flag: `null` clears a field. Clearing
 * `variants` also clears what only variants give meaning to (the value type, off variant,
 * fallthrough and targets) unless the change sets them; setting variants on a flag without an
 * off variant or fallthrough gives them their defaults.
 */
function applyPatch(next: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) delete next[field];
    else next[field] = value;
  }
  if (patch.variants === null) for (const field of ['valueType', 'offVariant', 'fallthrough', 'targets']) if (patch[field] === undefined) delete next[field];
  if (next.variants !== undefined) Object.assign(next, withVariantDefaults(next as { variants?: readonly { readonly name: string }[] }));
}

/**
 * `gate.flags`: create, change and read flags. Writes are validated, persisted
 * through the store with optimistic concurrency, and applied to the local snapshot
 * as soon as they land. Nothing stored changes when a write is rejected.
 */
export class Flags {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly repository: FlagRepository;
  private readonly parse = (record: StoredRecord<unknown>): Flag => parseStoredFlag(record, this.store.name);

  /** @internal Built by `createPhasegate`. */
  constructor(store: Store, clock: Clock, repository: FlagRepository) {
    this.store = store;
    this.clock = clock;
    this.repository = repository;
  }

  private build(parsed: z.output<typeof flagInputSchema>): Flag {
    const now = this.clock.now();
    const { salt, accessLevel, ...rest } = parsed;
    return withVariantDefaults({
      ...rest,
      ...(salt !== undefined ? { salt } : {}),
      ...(accessLevel !== undefined ? { accessLevel } : {}),
      hashVersion: HASH_VERSION,
      createdAt: now,
      updatedAt: now,
    });
  }

  private write<T>(key: string, run: () => Promise<T>): Promise<T> {
    return this.repository.write(key, run);
  }

  /**
   * Creates a flag. Only `key` is required; state defaults to `disabled` and strategy to 0%.
   * `options` says who and why, for the audit log (`gate.audit`).
   * @throws ValidationError for invalid input, AlreadyExistsError when the key is taken.
   */
  async create(input: FlagInput, _options?: WriteOptions): Promise<Flag> {
    const flag = this.build(parseWith(flagInputSchema, input, 'flag'));
    if (this.repository.version(flag.key) > 0) throw new AlreadyExistsError('Flag', flag.key);
    await assertReferencesExist(this.store, flag, 'flag');
    return this.write(flag.key, async () => {
      const record = await insertRecord(this.store, Collections.flags, flag.key, flag, 'Flag');
      this.repository.committed(flag.key, record);
      return record.value;
    });
  }

  /**
   * Changes some fields of a flag (`null` clears `salt` or `accessLevel`). Concurrent
   * updates from other processes are re-read and the change re-applied, never overwritten.
   * `options` says who and why, for the audit log (`gate.audit`).
   * @throws ValidationError for an invalid change, NotFoundError for an unknown key.
   */
  async update(key: string, change: FlagUpdate, _options?: WriteOptions): Promise<Flag> {
    parseWith(keySchema, key, 'flag key');
    const patch = parseWith(flagUpdateSchema, change, `update of flag '${key}'`);
    return this.write(key, () => this.applyUpdate(key, patch));
  }

  private async applyUpdate(key: string, patch: Record<string, unknown>): Promise<Flag> {
    if ((patch.rules ?? patch.prerequisites) != null) await this.checkReferences(key, patch);
    const record = await updateRecord<Flag>(
      this.store,
      Collections.flags,
      key,
      (current) => {
        if (!current) throw new NotFoundError('Flag', key);
        const existing = current.value;
        const next: Record<string, unknown> = { ...existing, updatedAt: Math.max(this.clock.now(), existing.updatedAt) };
        applyPatch(next, patch);
        return parseWith(flagSchema, next, `update of flag '${key}'`);
      },
      { parse: this.parse },
    );
    this.repository.committed(key, record);
    return record!.value;
  }

  /**
   * Checks the segments and prerequisites a change names, before the write: they exist, and no
   * prerequisite chain leads back here. Only `rules` and `prerequisites` add references, and a
   * change replaces them whole, so checking them against the flag as stored now is enough.
   */
  private async checkReferences(key: string, patch: Record<string, unknown>): Promise<void> {
    const current = await this.store.get<Flag>(Collections.flags, key);
    if (!current) throw new NotFoundError('Flag', key);
    const candidate = { ...this.parse(current), ...(patch.rules != null ? { rules: patch.rules } : {}), ...(patch.prerequisites != null ? { prerequisites: patch.prerequisites } : {}) };
    await assertReferencesExist(this.store, parseWith(flagSchema, candidate, `update of flag '${key}'`), `update of flag '${key}'`);
  }

  /**
   * Read-modify-write of one flag for owners whose writes must derive from what is stored now
   * (a release writing its features). `decide` sees the stored flag (or `undefined`) and returns
   * `{ create }`, `{ update }` or `undefined` to leave it alone; on a concurrent write it runs
   * again on the fresh record, so a decision is never applied to a flag it did not see.
   * Resolves to the flag as stored afterwards (or `undefined` when there is none).
   * @throws ValidationError for an invalid decision.
   */
  async decideAndWrite(
    key: string,
    decide: (current: Flag | undefined) => { readonly create: FlagInput } | { readonly update: FlagUpdate } | undefined,
  ): Promise<Flag | undefined> {
    parseWith(keySchema, key, 'flag key');
    return this.write(key, async () => {
      let wrote = false;
      const record = await updateRecord<Flag>(
        this.store,
        Collections.flags,
        key,
        (current) => {
          wrote = false;
          const decision = decide(current?.value);
          if (decision === undefined) return undefined;
          wrote = true;
          if ('create' in decision) {
            if (current) throw new AlreadyExistsError('Flag', key);
            return this.build(parseWith(flagInputSchema, { ...decision.create, key }, 'flag'));
          }
          if (!current) throw new NotFoundError('Flag', key);
          const patch = parseWith(flagUpdateSchema, decision.update, `update of flag '${key}'`);
          const next: Record<string, unknown> = { ...current.value, updatedAt: Math.max(this.clock.now(), current.value.updatedAt) };
          applyPatch(next, patch);
          return parseWith(flagSchema, next, `update of flag '${key}'`);
        },
        { parse: this.parse },
      );
      if (wrote && record) this.repository.committed(key, record);
      return record?.value;
    });
  }

  /**
   * Deletes a flag. `options` says who and why, for the audit log (`gate.audit`).
   * @throws NotFoundError for an unknown key.
   */
  async delete(key: string, _options?: WriteOptions): Promise<void> {
    parseWith(keySchema, key, 'flag key');
    await this.write(key, async () => {
      await deleteRecord<Flag>(
        this.store,
        Collections.flags,
        key,
        (current) => {
          if (!current) throw new NotFoundError('Flag', key);
          const referrers = prerequisiteReferrers(this.repository.flags(), key);
          if (referrers.length > 0) {
            throw new ValidationError(`delete of flag '${key}'`, [
              { path: '', message: `it is a prerequisite of ${referrers.length === 1 ? 'flag' : 'flags'} ${referrers.map((r) => `'${r}'`).join(', ')}; remove it from their prerequisites first` },
            ]);
          }
        },
        { parse: this.parse },
      );
      this.repository.committed(key, undefined);
    });
  }

  /** The flag as stored now, or `undefined`. */
  async get(key: string): Promise<Flag | undefined> {
    parseWith(keySchema, key, 'flag key');
    const record = await this.store.get(Collections.flags, key);
    return record && parseStoredFlag(record, this.store.name);
  }

  /** Every stored flag, sorted by key. */
  async list(): Promise<Flag[]> {
    const flags: Flag[] = [];
    for await (const record of iterateRecords(this.store, Collections.flags)) flags.push(parseStoredFlag(record, this.store.name));
    return flags;
  }

  /** Counts of the flags in this client's snapshot, by state. Synchronous. */
  stats(): FlagStats {
    return this.repository.stats();
  }
}
