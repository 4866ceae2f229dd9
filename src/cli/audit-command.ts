import type { AuditEntry } from '../audit/audit-log.js';
import { instant, numeric, text, type Command } from './context.js';
import { UsageError } from './usage.js';

/** Help for `phasegate audit`. */
export const AUDIT_HELP = `Usage:
  phasegate audit [--key KEY] [--actor NAME] [--since ISO-TIME] [--limit N]

The audit log, newest first: who changed what, when, why, and the before/after difference.
  --key KEY        only entries about this flag key, release version or user id
  --actor NAME     only entries by this actor
  --since ISO      only entries at or after this time
  --limit N        at most N entries (default 50, at most 1000)`;

function line(entry: AuditEntry): string {
  const when = new Date(entry.at).toISOString().slice(0, 19).replace('T', ' ');
  const changes = entry.changes
    .map((c) => `${c.path || '(record)'}: ${c.before === undefined ? '∅' : JSON.stringify(c.before)} → ${c.after === undefined ? '∅' : JSON.stringify(c.after)}`)
    .join('; ');
  return `${when}  ${entry.actor.padEnd(12)} ${entry.action.padEnd(18)} ${entry.collection}/${entry.key}${entry.reason ? `  "${entry.reason}"` : ''}\n    ${changes}`;
}

/** `phasegate audit`: lists the audit log. */
export const audit: Command = async ({ gate, options, out }) => {
  const limit = numeric(options, 'limit', 'audit') ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError(`--limit must be a whole number from 1 to 1000, got '${limit}'`, 'audit');
  const key = text(options, 'key');
  const actor = text(options, 'actor');
  const since = instant(options, 'since', 'audit');
  const entries = await gate.audit.list({ limit, ...(key ? { key } : {}), ...(actor ? { actor } : {}), ...(since !== undefined ? { since } : {}) });
  out(entries.length ? entries.map(line).join('\n') : 'no audit entries', entries);
};
