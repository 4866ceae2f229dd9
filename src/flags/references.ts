import { ValidationError, type ValidationIssue } from '../errors.js';
import { Collections, type Store } from '../storage/store.js';
import type { Flag } from './model.js';

/** How deep a prerequisite chain may go; deeper chains are refused on write and fail at evaluation. */
export const MAX_PREREQUISITE_DEPTH = 10;

function prerequisiteKeys(value: unknown): string[] {
  const list = (value as { prerequisites?: unknown } | undefined)?.prerequisites;
  if (!Array.isArray(list)) return [];
  return list.map((p) => (p as { flag?: unknown })?.flag).filter((k): k is string => typeof k === 'string');
}

/**
 * Checks what a flag about to be written refers to: every segment its rules name and every
 * prerequisite flag must exist, and prerequisites must not lead back to the flag (a cycle) or
 * nest deeper than {@link MAX_PREREQUISITE_DEPTH}. Throws a {@link ValidationError} listing every
 * problem; the caller writes nothing then.
 */
export async function assertReferencesExist(store: Store, flag: Flag, subject: string): Promise<void> {
  const issues: ValidationIssue[] = [];
  const rules = flag.rules ?? [];
  const checked = new Map<string, boolean>();
  for (const [index, rule] of rules.entries()) {
    for (const [at, key] of (rule.segments ?? []).entries()) {
      if (!checked.has(key)) checked.set(key, (await store.get(Collections.segments, key)) !== undefined);
      if (!checked.get(key)) issues.push({ path: `rules.${index}.segments.${at}`, message: `names segment '${key}', which does not exist` });
    }
  }
  const prerequisites = flag.prerequisites ?? [];
  for (const [index, prerequisite] of prerequisites.entries()) {
    if (prerequisite.flag === flag.key) {
      issues.push({ path: `prerequisites.${index}.flag`, message: 'a flag cannot be its own prerequisite' });
      continue;
    }
    const record = await store.get(Collections.flags, prerequisite.flag);
    if (!record) {
      issues.push({ path: `prerequisites.${index}.flag`, message: `names flag '${prerequisite.flag}', which does not exist` });
      continue;
    }
    const problem = await chainProblem(store, flag.key, prerequisite.flag, record.value);
    if (problem) issues.push({ path: `prerequisites.${index}.flag`, message: problem });
  }
  if (issues.length > 0) throw new ValidationError(subject, issues);
}

/** Walks the prerequisites below `start` (breadth first): a path back to `root`, or a chain too deep. */
async function chainProblem(store: Store, root: string, start: string, startValue: unknown): Promise<string | undefined> {
  const parents = new Map<string, string>([[start, root]]);
  let level: { key: string; value: unknown }[] = [{ key: start, value: startValue }];
  for (let depth = 1; level.length > 0; depth++) {
    const next: { key: string; value: unknown }[] = [];
    for (const { key, value } of level) {
      for (const child of prerequisiteKeys(value)) {
        if (child === root) {
          const path = [root];
          for (let at: string | undefined = key; at !== undefined && at !== root; at = parents.get(at)) path.push(at);
          path.push(root);
          const cycle = [path[0]!, ...path.slice(1, -1).reverse(), root];
          return `would make a cycle of prerequisites: ${cycle.map((k) => `'${k}'`).join(' → ')}`;
        }
        if (parents.has(child)) continue;
        parents.set(child, key);
        const record = await store.get(Collections.flags, child);
        if (record) next.push({ key: child, value: record.value });
      }
    }
    if (next.length > 0 && depth + 1 > MAX_PREREQUISITE_DEPTH) {
      return `makes a prerequisite chain deeper than ${MAX_PREREQUISITE_DEPTH} flags`;
    }
    level = next;
  }
  return undefined;
}

/**
 * The keys of the flags that name `key` as a prerequisite, sorted. Read from the client's
 * snapshot (kept in step with the store), so a delete costs no scan of the store; a flag that
 * loses its prerequisite anyway (a race with another process) fails closed at evaluation.
 */
export function prerequisiteReferrers(flags: readonly Flag[], key: string): string[] {
  return flags
    .filter((flag) => flag.key !== key && (flag.prerequisites ?? []).some((prerequisite) => prerequisite.flag === key))
    .map((flag) => flag.key)
    .sort();
}
