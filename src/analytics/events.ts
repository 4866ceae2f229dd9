import type { Alert } from './model.js';

/** The events of `gate.analytics`. */
export interface AnalyticsEvents {
  /** A metric's windowed mean crossed its threshold, or crossed it further (warning → critical). */
  'analytics:alert': (alert: Alert) => void;
  /** A metric that had alerted is back within its limit. */
  'analytics:recovered': (event: { readonly metric: string; readonly release: string | null; readonly feature: string | null; readonly value: number }) => void;
  /**
   * Analytics carried on without something: a stored record of its own that failed validation
   * (ignored), or a shared threshold whose store write failed (the caller's promise rejects too).
   */
  'analytics:error': (event: { readonly operation: string; readonly error: Error }) => void;
}
