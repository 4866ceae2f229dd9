import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * The console's defences, kept apart from its pages: response headers, the loopback check for
 * the default read-only mode, and CSRF protection (a same-origin check on `Origin` and
 * `Sec-Fetch-Site` plus a per-console token in every form).
 */

/** Headers on every console response. The policy allows only the console's own script and stylesheet. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  // Not `no-referrer`: with it, browsers send `Origin: null` on the console's own form posts.
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

/** Whether the request comes from this machine (127.0.0.0/8 or ::1, IPv4-mapped or not). */
export function isLoopback(req: IncomingMessage): boolean {
  const address = req.socket?.remoteAddress ?? '';
  return address === '::1' || /^(::ffff:)?127\./.test(address);
}

/**
 * The per-console CSRF token. Derived from a secret with HMAC so several processes behind one
 * load balancer can share it (pass the same `csrfSecret`); random per console otherwise.
 */
export class CsrfToken {
  readonly value: string;

  constructor(secret?: string) {
    const key = secret ?? randomBytes(32).toString('hex');
    this.value = createHmac('sha256', key).update('phasegate-console-csrf-v1').digest('base64url');
  }

  /** Constant-time comparison with a submitted token. */
  matches(candidate: unknown): boolean {
    if (typeof candidate !== 'string') return false;
    const given = Buffer.from(candidate);
    const expected = Buffer.from(this.value);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Why a state-changing request is cross-site, or `undefined` when it is not. A browser always
 * sends `Sec-Fetch-Site` or `Origin` on a POST; both must say same origin (behind a proxy that
 * rewrites `Host`, list the public origin in `trustedOrigins`). Non-browser clients send neither
 * and are held to the token alone.
 */
export function crossSiteReason(req: IncomingMessage, trustedOrigins: readonly string[]): string | undefined {
  const site = header(req, 'sec-fetch-site');
  // Browsers set Sec-Fetch-Site themselves (pages cannot forge it): when present, it decides.
  if (site === 'same-origin') return undefined;
  const origin = header(req, 'origin');
  if (origin !== undefined && trustedOrigins.includes(origin)) return undefined;
  if (site !== undefined) return `the request came from another site (Sec-Fetch-Site: ${site})`;
  if (origin === undefined) return undefined;
  if (origin === 'null') return 'the request has an opaque origin (Origin: null)';
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return `the request's Origin '${origin}' is not a valid origin`;
  }
  const expected = header(req, 'host');
  if (host !== expected) return `the request's Origin '${origin}' is not this console's host '${expected ?? ''}'`;
  return undefined;
}
