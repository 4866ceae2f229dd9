/**
 * `phasegate/console`: a live rollout console the host mounts in its own HTTP server.
 *
 * @example
 * ```ts
 * import { createConsole } from 'phasegate/console';
 * const handler = createConsole({ gate, basePath: '/console', authorize: (req, action) => action.readOnly });
 * ```
 * @packageDocumentation
 */
export { createConsole } from './console.js';
export type { ConsoleAuthorize, ConsoleHandler, ConsoleOptions } from './console.js';
export { CONSOLE_WRITE_ACTIONS } from './actions.js';
export type { ConsoleAction, FlagUpdateAction, MemberAction, ReleaseAction, ViewAction } from './actions.js';
export { fastifyConsole, koaConsole } from './adapters.js';
export type { FastifyLikeReply, FastifyLikeRequest, KoaLikeContext } from './adapters.js';
export type { LiveChange, LiveFeedOptions } from './live.js';
