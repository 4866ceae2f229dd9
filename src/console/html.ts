/**
 * Safe HTML building for the console. Every value interpolated into {@link html} is escaped
 * unless it is already {@link SafeHtml}: flag descriptions, rule values, feedback and anything
 * else a user typed can only ever render as text. Why a tagged template and not a template
 * engine: the escaping is the default, so forgetting it is impossible, and it costs no dependency.
 */

import { escapeHtml } from '../markup/escape.js';

/** Escapes text for HTML element content and quoted attribute values (shared with the dashboard file). */
export { escapeHtml };

/** Markup that is known to be safe (built by {@link html} or {@link raw}). */
export class SafeHtml {
  /** The markup. */
  readonly value: string;

  constructor(value: string) {
    this.value = value;
  }

  /** The markup, so `${safe}` in a plain string keeps it. */
  toString(): string {
    return this.value;
  }
}

function render(value: unknown): string {
  if (value instanceof SafeHtml) return value.value;
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/**
 * Builds markup: literal parts are kept, interpolated values are escaped (arrays are joined,
 * `null`, `undefined` and `false` render as nothing).
 *
 * @example
 * ```ts
 * html`<p>${'<script>'}</p>`.value; // '<p>&lt;script&gt;</p>'
 * ```
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new SafeHtml(out);
}

/** Marks trusted markup (built by this module's own code, never from user input) as safe. */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

/** Masks an email for display: first letter of the name and of the domain, and the top-level domain. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '•••';
  const name = email.slice(0, at);
  const domain = email.slice(at + 1);
  const dot = domain.lastIndexOf('.');
  const tld = dot > 0 ? domain.slice(dot) : '';
  return `${name[0]}•••@${domain[0] ?? ''}•••${tld}`;
}

/** An ISO timestamp to the minute, in UTC (the script shows it in the reader's local time). */
export function formatTime(at: number): SafeHtml {
  const iso = new Date(at).toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>`;
}

/** A number with at most two decimals. */
export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
