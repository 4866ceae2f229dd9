import type { WriteOptions } from '../contracts.js';
import { auditedWrite } from './audited-store.js';

/**
 * Which public methods write, under what audit action, and where their arguments are.
 * `options`: index of the `{ by, reason }` argument (-1: none). `reason`: index of an explicit
 * reason argument (`hold(version, reason)`). `actor`: a fixed actor (the scheduler's tick).
 */
export interface AuditedMethod {
  readonly action: string;
  readonly options: number;
  readonly reason?: number;
  readonly actor?: string;
}

/** `gate.flags` writes. */
export const FLAG_WRITES: Readonly<Record<string, AuditedMethod>> = {
  create: { action: 'flag.create', options: 1 },
  update: { action: 'flag.update', options: 2 },
  delete: { action: 'flag.delete', options: 1 },
  decideAndWrite: { action: 'flag.write', options: -1 },
};

/** `gate.releases` writes. */
export const RELEASE_WRITES: Readonly<Record<string, AuditedMethod>> = {
  plan: { action: 'release.plan', options: 1 },
  edit: { action: 'release.edit', options: 2 },
  start: { action: 'release.start', options: 1 },
  advance: { action: 'release.advance', options: 1 },
  hold: { action: 'release.hold', options: 2, reason: 1 },
  resume: { action: 'release.resume', options: 1 },
  setStatus: { action: 'release.status', options: 2 },
  complete: { action: 'release.complete', options: 1 },
  rollback: { action: 'release.rollback', options: 2, reason: 1 },
  tick: { action: 'release.tick', options: -1, actor: 'scheduler' },
};

/** `gate.earlyAccess` writes. */
export const EARLY_ACCESS_WRITES: Readonly<Record<string, AuditedMethod>> = {
  enroll: { action: 'member.enroll', options: 1 },
  approve: { action: 'member.approve', options: 1 },
  activate: { action: 'member.activate', options: 1 },
  suspend: { action: 'member.suspend', options: 2, reason: 1 },
  reinstate: { action: 'member.reinstate', options: 1 },
  graduate: { action: 'member.graduate', options: 1 },
  delete: { action: 'member.delete', options: 1 },
  createFeature: { action: 'feature.create', options: 1 },
  updateFeature: { action: 'feature.update', options: 2 },
  handOver: { action: 'feature.handOver', options: -1 },
  allocateSeats: { action: 'feature.seats', options: -1 },
  releaseSeats: { action: 'feature.seats', options: -1 },
  reconcileSeats: { action: 'feature.seats', options: -1 },
  feedback: { action: 'member.feedback', options: -1 },
};

/**
 * Makes every listed method of `target` an audited write: its `{ by, reason }` (or the host's
 * default actor) reaches the audited store through {@link auditedWrite}, and `by` is filled in
 * so the domain's own history records the same actor. Why wrap here rather than in each
 * method: the domains stay free of audit code, and this table is the one list of what writes.
 * @throws TypeError when a listed method does not exist (the table drifted from the code).
 */
export function auditMethods(target: object, methods: Readonly<Record<string, AuditedMethod>>, defaultActor: () => string): void {
  const bag = target as Record<string, unknown>;
  for (const [name, spec] of Object.entries(methods)) {
    const original = bag[name];
    if (typeof original !== 'function') throw new TypeError(`audit wiring: ${target.constructor.name}.${name} is not a method`);
    const wrapped = function audited(this: unknown, ...args: unknown[]): Promise<unknown> {
      const given = spec.options >= 0 ? (args[spec.options] as WriteOptions | undefined) : undefined;
      const explicitReason = spec.reason !== undefined && typeof args[spec.reason] === 'string' ? (args[spec.reason] as string) : undefined;
      const by = typeof given?.by === 'string' && given.by.trim() !== '' ? given.by : (spec.actor ?? defaultActor());
      if (spec.options >= 0) {
        while (args.length < spec.options) args.push(undefined);
        // The domain gets what it takes: `by` (filled in when absent, left for it to validate
        // when given), never `reason`, which only the audit log records.
        const { reason: _reason, ...rest } = (given ?? {}) as WriteOptions & Record<string, unknown>;
        args[spec.options] = given?.by === undefined ? { ...rest, by } : rest;
      }
      return auditedWrite(spec.action, by, { by, ...(given?.reason ?? explicitReason ? { reason: given?.reason ?? explicitReason } : {}) }, () =>
        (original as (...a: unknown[]) => Promise<unknown>).apply(target, args),
      );
    };
    Object.defineProperty(target, name, { value: wrapped, writable: true, configurable: true, enumerable: false });
  }
}
