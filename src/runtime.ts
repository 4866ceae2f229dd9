import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { StoreError } from './errors.js';

/**
 * What phasegate needs from its host that differs between runtimes, in one place.
 *
 * Why this file exists: the main entry must bundle for a browser, a Cloudflare worker or
 * Vercel's edge runtime, so nothing reachable from it may `import 'node:…'` (a bundler for those
 * platforms refuses, or pulls in polyfills). Hashing is done by a bundled, audited pure-JS
 * SHA-256 (synchronous, the same bytes everywhere), randomness by Web Crypto, and the few
 * Node-only parts (FileStore's file system, the audit log's AsyncLocalStorage) ask the host
 * for a built-in at run time through `process.getBuiltinModule`, which no bundler follows.
 */

const hex = (bytes: Uint8Array): string => {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
};

const utf8 = new TextEncoder();

/** The hex SHA-256 of `text` (UTF-8), identical to `createHash('sha256').update(text).digest('hex')`. */
export function sha256Hex(text: string): string {
  return hex(sha256(utf8.encode(text)));
}

/** The hex HMAC-SHA256 of `text` keyed by `key` (both UTF-8), identical to node:crypto's `createHmac`. */
export function hmacSha256Hex(key: string, text: string): string {
  return hex(hmac(sha256, utf8.encode(key), utf8.encode(text)));
}

/** `bytes` random bytes as hex, from Web Crypto (`crypto.getRandomValues`, in every runtime phasegate supports). */
export function randomHex(bytes: number): string {
  return hex(globalThis.crypto.getRandomValues(new Uint8Array(bytes)));
}

interface BuiltinHost {
  readonly process?: { readonly getBuiltinModule?: (id: string) => unknown };
}

/**
 * A Node built-in module (`node:fs`, `node:path`, …) when the runtime has one (Node ≥ 20.16,
 * Bun, Deno), else `undefined`. Looked up at run time so bundlers for other platforms never
 * see an import of it.
 */
export function findBuiltin<T>(id: string): T | undefined {
  try {
    return (globalThis as BuiltinHost).process?.getBuiltinModule?.(id) as T | undefined;
  } catch {
    return undefined;
  }
}

/**
 * A Node built-in module for `user` (a class that needs it). In a runtime without it, every
 * member is a function that throws a `StoreError` saying what is missing and what to use
 * instead, so importing the main entry works everywhere and only using `user` fails.
 */
export function nodeBuiltin<T extends object>(id: string, user: string): T {
  const found = findBuiltin<T>(id);
  if (found) return found;
  const missing = (): never => {
    throw new StoreError(`${user} needs ${id}, which this runtime does not have (it runs in Node.js, Bun and Deno); use MemoryStore or a networked store here`);
  };
  return new Proxy({} as T, { get: () => missing });
}

/** A value that follows one asynchronous call chain (AsyncLocalStorage's `run`/`getStore`). */
export interface AsyncContext<T> {
  run<R>(value: T, work: () => R): R;
  getStore(): T | undefined;
}

interface AsyncLocalStorageClass {
  new <T>(): AsyncContext<T>;
}

/**
 * An async context: the host's `AsyncLocalStorage` (Node, Bun, Deno, workerd with
 * `nodejs_compat`, Vercel's edge runtime), or, where there is none (browsers), one that carries
 * nothing: `getStore()` is always `undefined`, so callers fall back to their defaults.
 */
export function asyncContext<T>(): AsyncContext<T> {
  const Storage =
    (globalThis as { AsyncLocalStorage?: AsyncLocalStorageClass }).AsyncLocalStorage ??
    findBuiltin<{ AsyncLocalStorage?: AsyncLocalStorageClass }>('node:async_hooks')?.AsyncLocalStorage;
  if (Storage) return new Storage<T>();
  return { run: (_value, work) => work(), getStore: () => undefined };
}
