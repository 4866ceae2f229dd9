import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { numeric, text, type Command } from './context.js';
import { UsageError } from './usage.js';

/** Help for `phasegate serve`. */
export const SERVE_HELP = `Usage:
  phasegate serve [--store DIR | --redis URL | --postgres URL] [--port N] [--host H] [--allow-actions] [--by NAME]

Serves the live rollout console (the same one phasegate/console mounts in an app) until
interrupted (Ctrl-C). Binds 127.0.0.1 by default: only this machine can reach it.

  --port N          port to listen on (default 4680; 0 picks a free one)
  --host H          address to bind (default 127.0.0.1)
  --allow-actions   let requests from this machine change flags, releases and members
                    (default: read-only); every action asks for a reason and is audited
  --by NAME         the actor recorded for actions (default cli)

To open it to other machines, mount phasegate/console in your app behind its own login and
an authorize hook instead (docs/console.md).`;

function isLoopbackRequest(req: IncomingMessage): boolean {
  const address = req.socket.remoteAddress ?? '';
  return address === '::1' || /^(::ffff:)?127\./.test(address);
}

/** `phasegate serve`: the console as a standalone server on this machine. */
export const serve: Command = async ({ gate, options, out }) => {
  const port = numeric(options, 'port', 'serve') ?? 4680;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError(`--port must be a whole number from 0 to 65535, got '${port}'`, 'serve');
  const host = text(options, 'host') ?? '127.0.0.1';
  const { createConsole } = await import('../console/index.js');
  const handler = createConsole({
    gate,
    actor: text(options, 'by') ?? 'cli',
    ...(options['allow-actions'] === true ? { authorize: (req: IncomingMessage) => isLoopbackRequest(req) } : {}),
  });
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`port ${port} on ${host} is already in use: pick another with --port`) : error),
    );
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${shown}:${address.port}/`;
  out(`phasegate console at ${url} (${options['allow-actions'] === true ? 'actions allowed from this machine' : 'read-only'}; Ctrl-C to stop)`, { url, readOnly: options['allow-actions'] !== true });
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  handler.close();
  server.closeAllConnections?.();
  await new Promise<void>((resolve) => server.close(() => resolve()));
};
