/**
 * `phasegate/dashboard`: the renderers behind `phasegate status` and `phasegate dashboard`, for
 * embedding in your own admin pages.
 *
 * @example
 * ```ts
 * import { createPhasegate, MemoryStore } from 'phasegate';
 * import { gatherOverview, renderDashboardHtml, renderStatus } from 'phasegate/dashboard';
 * const gate = await createPhasegate({ store: new MemoryStore() });
 * const overview = await gatherOverview(gate);
 * console.log(renderStatus(overview));
 * const html = renderDashboardHtml(overview);
 * ```
 * @packageDocumentation
 */
export { gatherOverview } from '../cli/overview.js';
export type { Overview } from '../cli/overview.js';
export { renderStatus } from '../cli/status-screen.js';
export { renderDashboardHtml } from '../cli/dashboard-html.js';
