import * as z from 'zod';
import { NotFoundError, ValidationError } from '../errors.js';
import { evaluateFlag, explainEvaluation, targetingEnvironment } from '../flags/evaluate.js';
import { ACCESS_LEVELS, FLAG_STATES, type AccessLevel, type EvaluationContext, type Flag } from '../flags/model.js';
import { MEMBER_STATUSES } from '../early-access/model.js';
import { progressOf } from '../releases/releases.js';
import type { Release } from '../releases/model.js';
import type { Phasegate } from '../phasegate.js';
import { Collections } from '../storage/store.js';
import type { AuditEntry, AuditLog } from '../audit/audit-log.js';
import { explorerSteps } from './explain.js';
import { CONSOLE_FRAME, barChart, exposureChart, exposureGauge as gaugeMarkup, metricChart, plannedExposure } from '../markup/charts.js';
import { formatTime, html, maskEmail, raw, round2, type SafeHtml } from './html.js';
import { actionForm, layout, type PageContext } from './layout.js';

/** Flags listed on the overview, at most (the rest are counted). */
export const OVERVIEW_FLAG_LIMIT = 200;
/** Releases listed on the overview, at most (newest first). */
export const OVERVIEW_RELEASE_LIMIT = 50;
/** Members per page. */
export const MEMBER_PAGE_SIZE = 50;

/** What the pages read from: the client and its audit log. */
export interface PageSources {
  readonly gate: Phasegate;
  readonly audit: AuditLog;
}

function strategySummary(flag: Flag): string {
  const s = flag.strategy;
  switch (s.type) {
    case 'percentage':
      return `${s.percentage}%`;
    case 'userList':
      return `${s.userIds.length} listed user(s)`;
    case 'ring':
      return `rings ${s.rings.join(', ')}`;
    case 'gradual':
      return `ramp to ${new Date(s.endAt).toISOString().slice(0, 10)}`;
  }
}

function encode(part: string): string {
  return encodeURIComponent(part);
}

function stateBadge(state: string): SafeHtml {
  return html`<span class="badge state-${state}" data-state="${state}">${state}</span>`;
}

// ---- overview -------------------------------------------------------------------------------

/** The overview: flags, releases, early-access funnel and open alerts. */
export async function overviewPage(ctx: PageContext, { gate }: PageSources): Promise<SafeHtml> {
  const flags = gate.allFlags();
  const shown = flags.slice(0, OVERVIEW_FLAG_LIMIT);
  const flagRows: SafeHtml[] = [];
  for (const flag of shown) {
    const adoption = await gate.analytics.adoption(flag.key);
    flagRows.push(
      html`<tr data-flag="${flag.key}"><td><a href="${ctx.base}/flags/${encode(flag.key)}">${flag.key}</a></td><td>${stateBadge(flag.state)}</td><td data-summary>${strategySummary(flag)}${flag.enabledUsers.length ? ` + ${flag.enabledUsers.length} listed` : ''}</td><td data-evaluations="${adoption.evaluations.on + adoption.evaluations.off}"><span class="on">${adoption.evaluations.on} on</span> / <span class="off">${adoption.evaluations.off} off</span></td><td>${adoption.exposedUsers}</td></tr>`,
    );
  }
  const releases = (await gate.releases.list()).sort((a, b) => b.createdAt - a.createdAt).slice(0, OVERVIEW_RELEASE_LIMIT);
  const releaseRows: SafeHtml[] = [];
  for (const release of releases) {
    const progress = progressOf(release, ctx.now);
    const planned = plannedExposure(release, ctx.now);
    const active = progress.phase !== null && release.status !== 'released' && release.status !== 'rolled_back';
    const health = active ? await gate.analytics.health(release.version) : undefined;
    releaseRows.push(
      html`<tr data-release="${release.version}"><td><a href="${ctx.base}/releases/${encode(release.version)}">${release.version}</a></td><td>${release.status}${progress.held ? html` <span class="badge warning" title="${progress.holdReason ?? ''}">held</span>` : null}</td><td>${progress.phase ?? '-'}</td><td>${raw(gaugeMarkup(release.version, progress.exposurePercentage, planned))} ${progress.exposurePercentage}% / plan ${planned}%</td><td>${health ? html`<span class="${health.status}">${health.score} ${health.status}</span>` : '-'}</td><td class="muted">${release.hold ? `hold by ${release.hold.by}: ${release.hold.reason}` : release.rollback ? `rolled back by ${release.rollback.by}: ${release.rollback.reason}` : ''}</td></tr>`,
    );
  }
  const ea = await gate.earlyAccess.stats();
  const funnel = raw(
    barChart(
      CONSOLE_FRAME,
      'early-access-funnel',
      MEMBER_STATUSES.map((status) => ({ label: status, count: ea.members.byStatus[status] })),
      { caption: `Early access: ${ea.members.total} members by status`, figureClass: 'chart', labelWidth: 90, top: 6, reserved: 150 },
    ),
  );
  const since = ctx.now - gate.analytics.evaluationWindowMs;
  const alerts = (await gate.analytics.alerts(50)).filter((alert) => alert.at >= since);
  const stats = gate.flags.stats().byState;
  const body = html`<h1>Overview</h1>
<section id="flags" data-live><h2>Flags <span class="muted">(${flags.length}${flags.length > shown.length ? `, first ${shown.length} shown` : ''})</span></h2>
<p class="muted">${FLAG_STATES.map((state) => `${state} ${stats[state]}`).join(' · ')} · evaluations counted by this process</p>
<div class="scroll"><table><thead><tr><th>flag</th><th>state</th><th>rule</th><th>evaluations</th><th>users today</th></tr></thead><tbody>${flagRows.length ? flagRows : html`<tr><td colspan="5" class="empty">No flags yet.</td></tr>`}</tbody></table></div></section>
<section id="releases" data-live><h2>Releases</h2>
<div class="scroll"><table><thead><tr><th>release</th><th>status</th><th>phase</th><th>exposure vs plan</th><th>health</th><th>guard</th></tr></thead><tbody>${releaseRows.length ? releaseRows : html`<tr><td colspan="6" class="empty">No releases yet.</td></tr>`}</tbody></table></div></section>
<div class="grid">
<section id="early-access" data-live><h2>Early access</h2>${funnel}
<div class="scroll"><table><thead><tr><th>feature</th><th>level</th><th>seats</th><th>feedback</th><th>rating</th></tr></thead><tbody>${ea.features.map(
    (f) => html`<tr><td>${f.key}${f.enabled ? null : html` <span class="muted">(off)</span>`}</td><td>${f.level}</td><td>${f.cap === null ? 'uncapped' : `${f.seatsUsed} / ${f.cap}`}</td><td>${f.feedbackCount}</td><td>${f.meanRating ?? '-'}</td></tr>`,
  )}</tbody></table></div></section>
<section id="alerts" data-live><h2>Open alerts <span class="muted">(last ${Math.round(gate.analytics.evaluationWindowMs / 60_000)} min)</span></h2>
${alerts.length ? html`<ul>${alerts.map((a) => html`<li class="${a.severity}" data-alert="${a.id}">${formatTime(a.at)} ${a.severity}: ${a.metric} ${round2(a.value)} (limit ${a.limit})${a.release ? ` in release ${a.release}` : ''}${a.feature ? ` for ${a.feature}` : ''}</li>`)}</ul>` : html`<p class="empty">No open alerts.</p>`}</section>
</div>`;
  return layout(ctx, 'Overview', body);
}

// ---- flag page ------------------------------------------------------------------------------

/** Reads the explorer's context from the query: userId, ring, accessLevel, features, attributes (JSON). */
export function explorerContext(query: URLSearchParams): { context: EvaluationContext; error?: string } | undefined {
  if (!query.has('explore')) return undefined;
  const context: EvaluationContext = {};
  const userId = query.get('userId')?.trim();
  if (userId) context.userId = userId.slice(0, 256);
  const ring = query.get('ring')?.trim();
  if (ring) context.ring = ring.slice(0, 100);
  const level = query.get('accessLevel');
  if (level && (ACCESS_LEVELS as readonly string[]).includes(level)) context.accessLevel = level as AccessLevel;
  const features = query.get('features')?.split(',').map((f) => f.trim()).filter(Boolean);
  if (features?.length) context.earlyAccessFeatures = features.slice(0, 100);
  const attributes = query.get('attributes')?.trim();
  if (attributes) {
    try {
      const parsed: unknown = JSON.parse(attributes);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { context, error: 'attributes must be a JSON object' };
      context.attributes = Object.fromEntries(Object.entries(parsed as Record<string, unknown>));
    } catch {
      return { context, error: 'attributes are not valid JSON' };
    }
  }
  return { context };
}

function explorer(ctx: PageContext, gate: PageSources['gate'], flag: Flag): SafeHtml {
  const asked = explorerContext(ctx.query);
  const value = (name: string) => ctx.query.get(name) ?? '';
  const form = html`<form class="explorer" method="get" action="${ctx.base}/flags/${encode(flag.key)}"><input type="hidden" name="explore" value="1"><label>User id<input name="userId" value="${value('userId')}" maxlength="256"></label><label>Ring<input name="ring" value="${value('ring')}" placeholder="production" maxlength="100"></label><label>Access level<select name="accessLevel"><option value="">none</option>${ACCESS_LEVELS.map(
    (level) => html`<option${value('accessLevel') === level ? html` selected` : null}>${level}</option>`,
  )}</select></label><label>Early-access features<input name="features" value="${value('features')}" placeholder="a,b"></label><label>Attributes (JSON)<input name="attributes" value="${value('attributes')}" placeholder="{&quot;plan&quot;:&quot;pro&quot;}"></label><button type="submit">Evaluate</button></form>`;
  if (!asked) return html`${form}<p class="muted">Enter a context to see the answer and why.</p>`;
  if (asked.error) return html`${form}<p class="notice error" data-explorer-error>${asked.error}</p>`;
  // The pure evaluator on this client's snapshot (its flags for prerequisites, its segments for
  // rules): the same answer gate.evaluate gives, without counting the lookup as an exposure.
  const snapshot = gate.snapshotData();
  const environment = targetingEnvironment(snapshot);
  const result = evaluateFlag(flag, asked.context, ctx.now, environment);
  const byKey = new Map(snapshot.flags.map((f) => [f.key, f]));
  const steps = explorerSteps(flag, asked.context, result, {
    prerequisite: (key) => {
      const other = byKey.get(key);
      return other === undefined ? undefined : evaluateFlag(other, asked.context, ctx.now, environment);
    },
  });
  return html`${form}<div id="explorer-result" data-enabled="${String(result.enabled)}" data-reason="${result.reason}"${result.bucket !== undefined ? html` data-bucket="${result.bucket}"` : null}><p><strong class="${result.enabled ? 'on' : 'off'}">${result.enabled ? 'ON' : 'OFF'}</strong> · <code>${result.reason}</code> · ${explainEvaluation(result)}</p><table><thead><tr><th>check</th><th>detail</th><th>outcome</th></tr></thead><tbody>${steps.map(
    (step) =>
      html`<tr data-step="${step.check}"${step.name === undefined ? null : html` data-name="${step.name}"`} data-outcome="${step.outcome}"><td>${step.check}${step.name === undefined ? null : html` <code>${step.name}</code>`}</td><td class="pre">${step.detail}</td><td>${step.outcome}</td></tr>`,
  )}</tbody></table></div>`;
}

function auditTable(ctx: PageContext, entries: readonly AuditEntry[]): SafeHtml {
  if (entries.length === 0) return html`<p class="empty">No audit entries.</p>`;
  return html`<div class="scroll"><table><thead><tr><th>when</th><th>who</th><th>what</th><th>record</th><th>reason</th><th>changes</th></tr></thead><tbody>${entries.map(
    (entry) =>
      html`<tr data-audit="${entry.id}" data-action="${entry.action}"><td>${formatTime(entry.at)}</td><td>${entry.actor}</td><td>${entry.action}</td><td>${entry.collection}/${entry.key}</td><td class="pre">${entry.reason ?? ''}</td><td class="pre">${entry.changes
        .map((c) => `${c.path || '(record)'}: ${c.before === undefined ? '∅' : JSON.stringify(c.before)} → ${c.after === undefined ? '∅' : JSON.stringify(c.after)}`)
        .join('\n')}</td></tr>`,
  )}</tbody></table></div>`;
}

/** One flag: its settings, live counts, actions, the evaluation explorer and its audit trail. */
export async function flagPage(ctx: PageContext, { gate, audit }: PageSources, key: string): Promise<SafeHtml> {
  const flag = gate.allFlags().find((f) => f.key === key);
  if (!flag) throw new NotFoundError('Flag', key);
  const adoption = await gate.analytics.adoption(key);
  const entries = await audit.list({ key, limit: 20 });
  const percentage = flag.strategy.type === 'percentage' ? String(flag.strategy.percentage) : '';
  const controls = actionForm(ctx, 'flag.update', { flag: key }, 'Apply', {
    extra: html`<label>State<select name="state">${FLAG_STATES.map((state) => html`<option${state === flag.state ? html` selected` : null}>${state}</option>`)}</select></label><label>Percentage<input name="percentage" type="number" min="0" max="100" step="0.001" value="${percentage}"${flag.strategy.type === 'percentage' ? null : html` placeholder="keeps the ${flag.strategy.type} strategy"`}></label>`,
  });
  const body = html`<h1>Flag ${flag.key}</h1>
<section id="flag" data-live><p>${stateBadge(flag.state)} · rule: <span data-summary>${strategySummary(flag)}</span>${flag.enabledUsers.length ? ` · ${flag.enabledUsers.length} listed user(s)` : ''}${flag.prerequisites?.length ? ` · requires ${flag.prerequisites.map((p) => `${p.flag} ${p.enabled ? 'on' : 'off'}`).join(', ')}` : ''}${flag.rules?.length ? ` · ${flag.rules.length} targeting rule(s)` : ''}${flag.bucketBy ? ` · buckets by ${flag.bucketBy}` : ''}${flag.accessLevel ? ` · early-access level ${flag.accessLevel}` : ''} · updated ${formatTime(flag.updatedAt)}</p>
<p class="pre" data-description>${flag.description || html`<span class="muted">No description.</span>`}</p>
${flag.tags.length ? html`<p>Tags: ${flag.tags.map((tag) => html`<span class="badge">${tag}</span> `)}</p>` : null}
${Object.keys(flag.metadata).length ? html`<p class="pre">Metadata: ${Object.entries(flag.metadata).map(([k, v]) => `${k}=${String(v)}`).join(', ')}</p>` : null}
<p>Evaluations in this process: <span class="on">${adoption.evaluations.on} on</span> / <span class="off">${adoption.evaluations.off} off</span> · ${adoption.exposedUsers} users today</p></section>
<section><h2>Change</h2>${ctx.actionsEnabled ? controls : html`<p class="muted">Read-only console.</p>`}</section>
<section><h2>Evaluation explorer</h2>${explorer(ctx, gate, flag)}</section>
<section id="flag-audit" data-live><h2>History</h2>${auditTable(ctx, entries)}</section>`;
  return layout(ctx, `Flag ${flag.key}`, body);
}

// ---- release page ---------------------------------------------------------------------------

function releaseActions(ctx: PageContext, release: Release): SafeHtml {
  const active = release.status === 'in_progress' || release.status === 'testing' || release.status === 'staging';
  const forms: SafeHtml[] = [];
  const fields = { version: release.version };
  if (active && !release.hold) forms.push(actionForm(ctx, 'release.hold', fields, 'Hold'));
  if (active && release.hold) forms.push(actionForm(ctx, 'release.resume', fields, 'Resume'));
  if (active && !release.hold && release.phaseIndex !== null && release.phaseIndex < release.plan.phases.length - 1) {
    forms.push(actionForm(ctx, 'release.advance', fields, 'Advance to next phase'));
  }
  if (active || release.status === 'released') forms.push(actionForm(ctx, 'release.rollback', fields, 'Roll back', { danger: true }));
  if (!ctx.actionsEnabled) return html`<p class="muted">Read-only console.</p>`;
  return forms.length ? html`${forms}` : html`<p class="muted">No actions apply to a ${release.status} release.</p>`;
}

/** One release: exposure over time against plan, metrics against limits, history and actions. */
export async function releasePage(ctx: PageContext, { gate, audit }: PageSources, version: string): Promise<SafeHtml> {
  const release = await gate.releases.get(version);
  if (!release) throw new NotFoundError('Release', version);
  const progress = progressOf(release, ctx.now);
  const planned = plannedExposure(release, ctx.now);
  const health = await gate.analytics.health(version);
  const charts: SafeHtml[] = [];
  for (const metric of health.metrics) {
    const observations = await gate.analytics.observations(metric.metric, { release: version });
    const caption = `${metric.metric}: must stay ${metric.bad === 'above' ? 'below' : 'above'} ${metric.limit}`;
    const empty = html`<p class="empty">No ${metric.metric} observations in the window.</p>`.value;
    charts.push(raw(metricChart(CONSOLE_FRAME, { metric: metric.metric, observations, limit: metric.limit, bad: metric.bad }, { caption, empty, figureClass: 'chart' })));
  }
  const entries = await audit.list({ key: version, limit: 20 });
  const body = html`<h1>Release ${release.version} <span class="muted">(${release.type})</span></h1>
<section id="release" data-live><p>${release.status}${progress.held ? html` · <span class="warning">held: ${progress.holdReason ?? ''}</span>` : null} · phase ${progress.phase ?? '-'}${progress.phaseIndex !== null ? ` (${progress.phaseIndex + 1} of ${progress.phaseCount})` : ''} · ${raw(gaugeMarkup(release.version, progress.exposurePercentage, planned))} <span data-exposure="${progress.exposurePercentage}">${progress.exposurePercentage}%</span> exposed, plan ${planned}%</p>
<p class="pre">${release.description}</p>
<p>Features: ${release.features.length ? release.features.map((f) => html`<a href="${ctx.base}/flags/${encode(f)}">${f}</a> `) : '-'} · plan ${release.plan.phases.map((p) => `${p.name} ${p.percentage}%`).join(' → ')}</p>
${release.rollback ? html`<p class="critical">Rolled back ${formatTime(release.rollback.at)} by ${release.rollback.by}: ${release.rollback.reason}</p>` : null}
<div class="grid">${raw(
    exposureChart(CONSOLE_FRAME, release, ctx.now, {
      caption: `Exposure of ${release.version} against its plan`,
      legend: 'actual',
      markHolds: true,
      figureClass: 'chart',
      empty: html`<p class="empty">Release ${release.version} has not started: nothing to chart yet.</p>`.value,
    }),
  )}<div><h2>Health: <span class="${health.status}">${health.score} ${health.status}</span></h2>
<table><thead><tr><th>metric</th><th>value</th><th>limit</th><th>samples</th><th>state</th></tr></thead><tbody>${health.metrics.map(
    (m) => html`<tr data-metric="${m.metric}"><td>${m.metric}</td><td>${round2(m.value)}</td><td>${m.bad === 'above' ? '≤' : '≥'} ${m.limit}</td><td>${m.samples}</td><td class="${m.severity ?? 'healthy'}">${m.severity ?? 'ok'}</td></tr>`,
  )}</tbody></table><ul>${health.recommendations.map((r) => html`<li>${r}</li>`)}</ul></div></div>
<div class="grid">${charts}</div></section>
<section><h2>Actions</h2>${releaseActions(ctx, release)}</section>
<section id="release-history" data-live><h2>History</h2><div class="scroll"><table><thead><tr><th>when</th><th>event</th><th>change</th><th>exposure</th><th>by</th><th>note</th></tr></thead><tbody>${release.history
    .slice()
    .reverse()
    .map(
      (e) => html`<tr><td>${formatTime(e.at)}</td><td>${e.kind}</td><td>${e.from ? `${e.from} → ` : ''}${e.to ?? ''}</td><td>${e.percentage === undefined ? '' : `${e.percentage}%`}</td><td>${e.by}</td><td class="pre">${e.note ?? ''}</td></tr>`,
    )}</tbody></table></div>
<h2>Audit</h2>${auditTable(ctx, entries)}</section>`;
  return layout(ctx, `Release ${release.version}`, body);
}

// ---- early-access members -------------------------------------------------------------------

/** The fields the member list shows, validated on read (unknown fields are ignored, not trusted). */
const memberRowSchema = z.object({
  userId: z.string().min(1).max(256),
  email: z.string().max(254),
  level: z.enum(ACCESS_LEVELS),
  status: z.enum(MEMBER_STATUSES),
  enrolledAt: z.number(),
});

function memberActions(ctx: PageContext, userId: string, status: string): SafeHtml {
  const forms: SafeHtml[] = [];
  if (status === 'pending') forms.push(actionForm(ctx, 'member.approve', { userId }, 'Approve'));
  if (status === 'approved' || status === 'active') forms.push(actionForm(ctx, 'member.suspend', { userId }, 'Suspend', { danger: true }));
  return html`${forms}`;
}

/** Early-access members, a page at a time, emails masked. */
export async function membersPage(ctx: PageContext, { gate }: PageSources): Promise<SafeHtml> {
  const after = ctx.query.get('after') ?? undefined;
  const page = await gate.store.list<unknown>(Collections.earlyAccessUsers, after ? { after, limit: MEMBER_PAGE_SIZE } : { limit: MEMBER_PAGE_SIZE });
  const rows = page.map((record) => {
    const parsed = memberRowSchema.safeParse(record.value);
    if (!parsed.success || parsed.data.userId !== record.key) {
      const problem = parsed.success ? `userId must equal the record key` : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      gate.events.emit('store:error', {
        operation: 'console',
        error: new ValidationError(`early-access member record '${record.key}' in store ${gate.store.name}`, [{ path: '', message: problem }]),
      });
      return html`<tr data-member="${record.key}" class="error"><td>${record.key}</td><td colspan="5">invalid member record (${problem}): reported as a store:error event</td></tr>`;
    }
    const m = parsed.data;
    return html`<tr data-member="${m.userId}" data-status="${m.status}"><td><a href="${ctx.base}/members/${encode(m.userId)}">${m.userId}</a></td><td data-email>${maskEmail(m.email)}</td><td>${m.level}</td><td>${m.status}</td><td>${formatTime(m.enrolledAt)}</td><td>${memberActions(ctx, m.userId, m.status)}</td></tr>`;
  });
  const next = page.length === MEMBER_PAGE_SIZE ? page[page.length - 1]!.key : undefined;
  const total = await gate.store.count(Collections.earlyAccessUsers);
  const body = html`<h1>Early-access members <span class="muted">(${total})</span></h1>
<section id="members" data-live><div class="scroll"><table><thead><tr><th>user</th><th>email</th><th>level</th><th>status</th><th>enrolled</th><th>actions</th></tr></thead><tbody>${rows.length ? rows : html`<tr><td colspan="6" class="empty">No members${after ? ' after this point' : ''}.</td></tr>`}</tbody></table></div>
<p>${after ? html`<a href="${ctx.base}/members">First page</a> ` : null}${next ? html`<a rel="next" href="${ctx.base}/members?after=${encode(next)}">Next page</a>` : null}</p></section>`;
  return layout(ctx, 'Members', body);
}

/** One member: masked email, status history, features and feedback (rendered as text). */
export async function memberPage(ctx: PageContext, { gate, audit }: PageSources, userId: string): Promise<SafeHtml> {
  const member = await gate.earlyAccess.member(userId);
  if (!member) throw new NotFoundError('Early-access member', userId);
  const dashboard = await gate.earlyAccess.dashboard(userId);
  const entries = await audit.list({ key: userId, limit: 20 });
  const body = html`<h1>Member ${member.userId}</h1>
<section id="member" data-live><p>${maskEmail(member.email)} · level ${member.level} · <span data-status="${member.status}">${member.status}</span>${member.suspension ? html` · <span class="warning">suspended: ${member.suspension.reason}</span>` : null}</p>
<p>Features: ${dashboard.features.join(', ') || '-'} · seats: ${dashboard.seats.join(', ') || '-'}</p>
${memberActions(ctx, member.userId, member.status)}
<h2>Feedback</h2>${dashboard.feedback.length ? html`<ul>${dashboard.feedback.map((f) => html`<li data-feedback="${f.id}">${formatTime(f.at)} · ${f.feature}${f.rating === null ? '' : ` · ${f.rating}/5`}<p class="pre">${f.text}</p></li>`)}</ul>` : html`<p class="empty">No feedback.</p>`}
<h2>History</h2><table><tbody>${member.history.map((h) => html`<tr><td>${formatTime(h.at)}</td><td>${h.from ?? ''} → ${h.to}</td><td>${h.by}</td><td class="pre">${h.reason ?? ''}</td></tr>`)}</tbody></table>
<h2>Audit</h2>${auditTable(ctx, entries)}</section>`;
  return layout(ctx, `Member ${member.userId}`, body);
}

// ---- audit log -----------------------------------------------------------------------------

/** The audit log, newest first, filtered by record key, actor and time. */
export async function auditPage(ctx: PageContext, { audit }: PageSources): Promise<SafeHtml> {
  const key = ctx.query.get('key')?.trim() || undefined;
  const actor = ctx.query.get('actor')?.trim() || undefined;
  const sinceText = ctx.query.get('since')?.trim() || undefined;
  const since = sinceText ? Date.parse(sinceText) : undefined;
  const entries = await audit.list({
    ...(key ? { key } : {}),
    ...(actor ? { actor } : {}),
    ...(since !== undefined && !Number.isNaN(since) ? { since } : {}),
    limit: 200,
  });
  const body = html`<h1>Audit log</h1>
<form class="explorer" method="get" action="${ctx.base}/audit"><label>Record key<input name="key" value="${key ?? ''}"></label><label>Actor<input name="actor" value="${actor ?? ''}"></label><label>Since (ISO date)<input name="since" value="${sinceText ?? ''}" placeholder="2026-03-01"></label><button type="submit">Filter</button></form>
${sinceText && (since === undefined || Number.isNaN(since)) ? html`<p class="notice error">'${sinceText}' is not a date: showing every entry.</p>` : null}
<section id="audit" data-live>${auditTable(ctx, entries)}<p class="muted">Newest 200 shown. Retention: see docs/console.md.</p></section>`;
  return layout(ctx, 'Audit log', body);
}
