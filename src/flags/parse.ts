import { ValidationError } from '../errors.js';
import type { StoredRecord } from '../storage/store.js';
import { parseWith } from '../validation.js';
import { flagSchema, type Flag } from './model.js';
import { parseSimpleFlag } from './simple-flag.js';

/** Validates a flag record read from a store; names the record on failure. */
export function parseStoredFlag(record: StoredRecord<unknown>, storeName: string): Flag {
  // Simple flags are checked by hand, exactly as strictly (see simple-flag.ts); the rest, and any doubt, by the schema.
  const simple = parseSimpleFlag(record.value);
  if (simple !== undefined && simple.key === record.key) return simple;
  const subject = `flag record '${record.key}' in store ${storeName}`;
  // parseWith refuses prototype-polluting keys before the schema runs.
  const flag = parseWith(flagSchema, record.value, subject, 'stored');
  if (flag.key !== record.key) {
    throw new ValidationError(subject, [{ path: 'key', message: `must equal the record key '${record.key}' (got '${flag.key}')` }]);
  }
  return flag;
}
