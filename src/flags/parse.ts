import { ValidationError } from '../errors.js';
import type { StoredRecord } from '../storage/store.js';
import { assertNoPollutingKeys, parseWith } from '../validation.js';
import { flagSchema, type Flag } from './model.js';

/** Validates a flag record read from a store; names the record on failure. */
export function parseStoredFlag(record: StoredRecord<unknown>, storeName: string): Flag {
  const subject = `flag record '${record.key}' in store ${storeName}`;
  assertNoPollutingKeys(record.value, subject);
  const flag = parseWith(flagSchema, record.value, subject, 'stored');
  if (flag.key !== record.key) {
    throw new ValidationError(subject, [{ path: 'key', message: `must equal the record key '${record.key}' (got '${flag.key}')` }]);
  }
  return flag;
}
