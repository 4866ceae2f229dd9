import { assertStorableText } from '../validation.js';
import type { ListOptions, Store, StoredRecord } from './store.js';

/** Validates one record read from a collection; throws (naming the key) when it is bad. */
export type RecordValidator = (record: StoredRecord<unknown>, storeName: string) => unknown;

/**
 * A view of `store` in which every record read (`get`, `list`) from a collection in
 * `validators` is validated first, so a corrupt or foreign record is reported with its key
 * (a `ValidationError`) instead of being used, and every value written must follow the shared
 * text rule (`assertStorableText`). Notifications and everything else pass straight through. This is how each domain's records get the treatment flags get from
 * `parseStoredFlag`, in one place, whatever read path the domain code takes.
 */
export function validatingStore(store: Store, validators: ReadonlyMap<string, RecordValidator>): Store {
  const check = <T>(collection: string, record: StoredRecord<T>): StoredRecord<T> => {
    const validate = validators.get(collection);
    return validate ? { ...record, value: validate(record, store.name) as T } : record;
  };
  return new Proxy(store, {
    get(target, field, receiver) {
      if (field === 'get') {
        return async <T>(collection: string, key: string): Promise<StoredRecord<T> | undefined> => {
          const record = await target.get<T>(collection, key);
          return record && check(collection, record);
        };
      }
      if (field === 'put') {
        return async <T>(collection: string, key: string, value: T, expectedVersion: number): Promise<StoredRecord<T>> => {
          // The same text rule for every store, checked before anything is written.
          assertStorableText(key, `key of a ${collection} record`);
          assertStorableText(value, `${collection} record '${key}'`);
          return target.put(collection, key, value, expectedVersion);
        };
      }
      if (field === 'list') {
        return async <T>(collection: string, options?: ListOptions): Promise<StoredRecord<T>[]> => {
          const page = await target.list<T>(collection, options);
          return validators.has(collection) ? page.map((record) => check(collection, record)) : page;
        };
      }
      const value = Reflect.get(target, field, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
