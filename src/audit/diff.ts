/**
 * The before/after difference an audit entry records. Pure: no I/O, no clock.
 *
 * Why field paths and not whole records: a reader wants "state: rollout → enabled", and a
 * member record holds an email that must never reach the log. Values are bounded so one huge
 * user list cannot make a huge entry.
 */

/** One changed field. `before`/`after` are absent when the field did not exist on that side. */
export interface AuditChange {
  /** Dotted path of the field, e.g. `strategy.percentage`; empty for the whole record (created or deleted). */
  readonly path: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

/** Fields never written to the audit log, wherever they appear. */
export const REDACTED_FIELDS: ReadonlySet<string> = new Set(['email', 'emailHash']);

/** Changes recorded per entry, at most. */
export const MAX_CHANGES = 50;
/** A value longer than this (as JSON) is replaced by a summary. */
export const MAX_VALUE_CHARS = 300;

/** Bookkeeping that changes with every write and says nothing a reader needs. */
const NOISE = new Set(['updatedAt']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A copy of `value` with redacted fields replaced and long values summarised. */
export function boundValue(value: unknown): unknown {
  if (Array.isArray(value)) {
    const json = JSON.stringify(value) ?? '';
    if (json.length <= MAX_VALUE_CHARS) return value.map(boundValue);
    return `[${value.length} items]`;
  }
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [field, inner] of Object.entries(value)) out[field] = REDACTED_FIELDS.has(field) ? '[redacted]' : boundValue(inner);
    const json = JSON.stringify(out);
    return json.length <= MAX_VALUE_CHARS ? out : `{${Object.keys(out).length} fields}`;
  }
  if (typeof value === 'string' && value.length > MAX_VALUE_CHARS) return `${value.slice(0, MAX_VALUE_CHARS)}… (${value.length} characters)`;
  return value;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function walk(before: unknown, after: unknown, path: string, out: AuditChange[]): void {
  if (out.length > MAX_CHANGES) return;
  if (isPlainObject(before) && isPlainObject(after)) {
    const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const field of fields) {
      if (path === '' && NOISE.has(field)) continue;
      const next = path ? `${path}.${field}` : field;
      if (REDACTED_FIELDS.has(field)) {
        if (!same(before[field], after[field])) out.push({ path: next, before: '[redacted]', after: '[redacted]' });
        continue;
      }
      walk(before[field], after[field], next, out);
    }
    return;
  }
  if (same(before, after)) return;
  // Histories grow by appending: say what was added, not the whole list twice.
  if (Array.isArray(before) && Array.isArray(after) && after.length > before.length && before.every((item, i) => same(item, after[i]))) {
    out.push({ path: `${path}[+]`, after: boundValue(after.slice(before.length)) });
    return;
  }
  out.push({
    path,
    ...(before === undefined ? {} : { before: boundValue(before) }),
    ...(after === undefined ? {} : { after: boundValue(after) }),
  });
}

/**
 * The fields that differ between two versions of a record (`undefined` for none: created or
 * deleted). Nested objects are compared field by field, arrays as whole values (an array that
 * only grew at its end as `path[+]` with the items added); redacted
 * fields appear only as `[redacted]`; at most {@link MAX_CHANGES} changes.
 *
 * @example
 * ```ts
 * diffRecords({ state: 'rollout', tags: [] }, { state: 'enabled', tags: [] });
 * // [{ path: 'state', before: 'rollout', after: 'enabled' }]
 * ```
 */
export function diffRecords(before: unknown, after: unknown): AuditChange[] {
  const out: AuditChange[] = [];
  walk(before, after, '', out);
  if (out.length > MAX_CHANGES) return [...out.slice(0, MAX_CHANGES), { path: '…', after: 'more changes not recorded' }];
  return out;
}
