import type { z } from 'zod';
import type { StoredRecord } from './storage/store.js';
import { ValidationError, type ValidationIssue } from './errors.js';

/** Keys that would let a JSON document reach `Object.prototype` when merged or assigned. */
const POLLUTING_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** True when `key` is one of the prototype-polluting property names. */
export function isPollutingKey(key: string): boolean {
  return POLLUTING_KEYS.has(key);
}

/**
 * Walks a JSON-like value depth first, calling `onKey` for every object key and `onString` for
 * every string, each with the path that leads to it. The one traversal the checks below share.
 */
function walkJson(value: unknown, onKey: (key: string, path: string[]) => void, onString?: (text: string, path: string[]) => void): void {
  const path: string[] = [];
  const visit = (node: unknown): void => {
    if (typeof node === 'string') {
      onString?.(node, path);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      node.forEach((item, index) => {
        path.push(String(index));
        visit(item);
        path.pop();
      });
      return;
    }
    for (const key of Object.keys(node)) {
      onKey(key, path);
      path.push(key);
      visit((node as Record<string, unknown>)[key]);
      path.pop();
    }
  };
  visit(value);
}

/**
 * Throws a {@link ValidationError} if `value` contains a prototype-polluting key at any depth.
 * Used on everything read from disk or a shared store before it is trusted.
 */
export function assertNoPollutingKeys(value: unknown, subject: string): void {
  walkJson(value, (key, path) => {
    if (isPollutingKey(key)) {
      throw new ValidationError(subject, [{ path: [...path, key].join('.'), message: `the key '${key}' is not allowed (prototype pollution)` }]);
    }
  });
}

// Why one rule for all text: stores differ in what they accept. PostgreSQL refuses the NUL
// character and unpaired UTF-16 surrogates in text and jsonb, while the memory, file and Redis
// stores would keep them. A value accepted by one store and refused by another is a write that
// works in tests and fails in production, so every string phasegate stores follows the
// strictest store's rule, checked before anything is written.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** What is wrong with `text` as stored text (NUL, lone surrogates), or `undefined` when it is fine. */
export function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain the NUL character (\\u0000)';
  if (LONE_SURROGATE.test(text)) return 'must not contain an unpaired UTF-16 surrogate';
  return undefined;
}

/**
 * Throws a {@link ValidationError} naming the path if any string in `value` (or any object key)
 * breaks the text rule ({@link textProblem}). Applied to every input through {@link parseWith}
 * and to every domain write, so validation is the same whatever the store.
 */
export function assertStorableText(value: unknown, subject: string): void {
  walkJson(
    value,
    (key, path) => {
      const problem = textProblem(key);
      if (problem) throw new ValidationError(subject, [{ path: [...path, key].join('.'), message: `key ${problem}` }]);
    },
    (text, path) => {
      const problem = textProblem(text);
      if (problem) throw new ValidationError(subject, [{ path: path.join('.'), message: problem }]);
    },
  );
}

/** Converts zod issues into phasegate's readable `path: message` issues. */
export function toValidationIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
}

/**
 * Validates `input` against `schema`, returning the parsed value or throwing a
 * {@link ValidationError} that names `subject` and every failing field. Input (`source`
 * `'input'`, the default) must also follow the shared text rule ({@link assertStorableText}).
 */
export function parseWith<Schema extends z.ZodType>(schema: Schema, input: unknown, subject: string, source: 'input' | 'stored' = 'input'): z.output<Schema> {
  // Schemas rebuild objects key by key, where a JSON `__proto__` would vanish silently: refuse it first.
  assertNoPollutingKeys(input, subject);
  // New text must suit every store; text already stored (by an older version) stays readable.
  if (source === 'input') assertStorableText(input, subject);
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationError(subject, toValidationIssues(result.error));
  return result.data;
}

/** Validates one record read back from a store; see {@link storedRecordParser}. */
export type StoredRecordParser<T> = (record: StoredRecord<unknown>, storeName: string) => T;

/**
 * A validator for records of one kind read back from a store, like `parseStoredFlag`: the
 * value must match `schema`, and a failure names the record's key and the store, so a corrupt
 * or foreign record is reported, never silently used. `keyOf` (when given) must give the key
 * the record is stored under.
 */
export function storedRecordParser<Schema extends z.ZodType>(
  schema: Schema,
  what: string,
  keyOf?: (value: z.output<Schema>) => string,
): StoredRecordParser<z.output<Schema>> {
  return (record, storeName) => {
    const subject = `${what} record '${record.key}' in store ${storeName}`;
    const value = parseWith(schema, record.value, subject, 'stored');
    const key = keyOf?.(value);
    if (key !== undefined && key !== record.key) {
      throw new ValidationError(subject, [{ path: '', message: `belongs under key '${key}', not '${record.key}'` }]);
    }
    return value;
  };
}
