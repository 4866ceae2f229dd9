import { html, type SafeHtml } from './html.js';

/** What every page needs to know about the request it answers. */
export interface PageContext {
  /** The console's public base path (no trailing slash; empty at the root). */
  readonly base: string;
  /** The CSRF token forms carry. */
  readonly csrf: string;
  /** Whether this console can act at all (an `authorize` hook was given). */
  readonly actionsEnabled: boolean;
  /** The store's name, for the header. */
  readonly storeName: string;
  /** Query parameters of the request. */
  readonly query: URLSearchParams;
  /** The path of this page under the base (for returning to it after an action). */
  readonly path: string;
  /** The client's clock. */
  readonly now: number;
}

/** The page frame: header, navigation, live status and the console's own script and stylesheet. */
export function layout(ctx: PageContext, title: string, body: SafeHtml): SafeHtml {
  const done = ctx.query.get('done');
  return html`<!doctype html>
<html lang="en" data-base="${ctx.base}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · phasegate console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${ctx.base}/assets/console.css">
<script src="${ctx.base}/assets/console.js" defer></script>
</head>
<body>
<header><strong>phasegate</strong><nav><a href="${ctx.base}/">Overview</a><a href="${ctx.base}/members">Members</a><a href="${ctx.base}/audit">Audit log</a></nav><span class="muted">${ctx.storeName}</span>${
    ctx.actionsEnabled ? null : html`<span class="badge" title="createConsole was given no authorize hook">read-only</span>`
  }<span id="live-status" class="disconnected">live · connecting…</span></header>
<main>
${done && /^[a-z]+\.[a-z]+$/.test(done) ? html`<p class="notice" role="status">Done: ${done}.</p>` : null}
${body}
</main>
</body>
</html>
`;
}

/** A form that performs one console action, asking for a reason. */
export function actionForm(
  ctx: PageContext,
  action: string,
  fields: Readonly<Record<string, string>>,
  label: string,
  options: { danger?: boolean; extra?: SafeHtml } = {},
): SafeHtml {
  if (!ctx.actionsEnabled) return html``;
  const hidden = Object.entries(fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`);
  return html`<form class="action" method="post" action="${ctx.base}/actions" data-action="${action}"><input type="hidden" name="csrf" value="${ctx.csrf}"><input type="hidden" name="action" value="${action}"><input type="hidden" name="return" value="${ctx.path}">${hidden}${options.extra ?? null}<label>Reason<input name="reason" required maxlength="500" placeholder="why"></label><button type="submit"${options.danger ? html` class="danger"` : null}>${label}</button></form>`;
}

/** The page shown for a refused or failed request. */
export function messagePage(ctx: PageContext, title: string, message: string, kind: 'refused' | 'error'): SafeHtml {
  return layout(ctx, title, html`<h1>${title}</h1><p class="notice ${kind}" role="alert" data-message="${kind}">${message}</p><p><a href="${ctx.base}/">Back to the overview</a></p>`);
}
