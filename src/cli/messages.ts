/**
 * Plain sentences for the errors Node and the database drivers throw, so the CLI never prints
 * `ENOENT: no such file or directory, open …`, a missing-module stack or a driver's retry notice.
 */

const SYSTEM_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'it does not exist',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'it is a directory',
  EEXIST: 'it already exists',
  ENOSPC: 'the disk is full',
  EROFS: 'the file system is read-only',
  ECONNREFUSED: 'the connection was refused',
  ECONNRESET: 'the connection was reset',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  ENOTFOUND: 'the host name was not found',
  EAI_AGAIN: 'the host name could not be looked up',
};

/** The Node error code (`ENOENT`, `ECONNREFUSED`, …) of an error or of one of its causes. */
function systemCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code in SYSTEM_ERRORS) return code;
    if (current instanceof AggregateError) {
      for (const inner of current.errors) {
        const innerCode = systemCode(inner);
        if (innerCode) return innerCode;
      }
    }
    const named = /\b(E[A-Z_]{3,})\b/.exec(current.message)?.[1];
    if (named && named in SYSTEM_ERRORS) return named;
  }
  return undefined;
}

/** A short plain description of why a file or network operation failed. */
export function describeSystemError(error: unknown): string {
  const code = systemCode(error);
  if (code) return SYSTEM_ERRORS[code]!;
  const message = error instanceof Error ? error.message : String(error);
  if (/max retries per request/i.test(message)) return 'no answer from the server';
  return message.replace(/\s*\n\s*/g, ' ');
}

/** The package a failed import was looking for, if the failure was a missing package. */
export function missingPackage(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return undefined;
  return /Cannot find (?:package|module) '((?:@[^/']+\/)?[^/']+)/.exec(error.message)?.[1];
}

/**
 * The one line the CLI prints for an error that is not phasegate's own: a file-system error
 * names the path and the reason, a missing package says what to install.
 */
export function describeForeignError(error: unknown): string {
  const peer = missingPackage(error);
  if (peer) return `the '${peer}' package is needed for this and is not installed: run 'npm install ${peer}'`;
  const path = error instanceof Error ? (error as NodeJS.ErrnoException).path : undefined;
  if (typeof path === 'string' && systemCode(error)) return `cannot use ${path}: ${describeSystemError(error)}`;
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\n\s*/g, ' ');
}
