import type { MetricComparison } from '../analytics/analytics.js';
import { toPrometheus } from '../analytics/prometheus.js';
import { arg, numeric, text, type Command, type CommandSpec, type Options } from './context.js';
import { UsageError } from './usage.js';

const record: Command = async (context) => {
  const metric = arg(context, 0, 'NAME', 'metric');
  const raw = arg(context, 1, 'VALUE', 'metric');
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new UsageError(`VALUE must be a number, got '${raw}'`, 'metric');
  const result = await context.gate.analytics.record({
    metric,
    value,
    ...(text(context.options, 'release') ? { release: text(context.options, 'release')! } : {}),
    ...(text(context.options, 'feature') ? { feature: text(context.options, 'feature')! } : {}),
  });
  const lines = [`recorded ${metric} = ${value}`];
  if (result.alert) lines.push(`alert: ${result.alert.severity} — ${metric} ${round(result.alert.value)} ${result.alert.bad} ${result.alert.limit}`);
  if (result.guard) lines.push(`release ${result.guard.version}: ${result.guard.action}`);
  context.out(lines.join('\n'), result);
};

function windowOf(options: Options): number | undefined {
  const hours = numeric(options, 'window-hours', 'metric');
  if (hours !== undefined && hours <= 0) throw new UsageError('--window-hours must be greater than 0', 'metric');
  return hours === undefined ? undefined : hours * 3_600_000;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

const stats: Command = async (context) => {
  const metric = arg(context, 0, 'NAME', 'metric');
  const windowMs = windowOf(context.options);
  const s = await context.gate.analytics.statistics(metric, {
    ...(text(context.options, 'release') ? { release: text(context.options, 'release')! } : {}),
    ...(text(context.options, 'feature') ? { feature: text(context.options, 'feature')! } : {}),
    ...(windowMs ? { windowMs } : {}),
  });
  if (!s) return context.out(`no observations of ${metric} in the window`, null);
  context.out(
    `${metric}: n=${s.count} mean=${round(s.mean)} median=${round(s.median)} min=${round(s.min)} max=${round(s.max)} sd=${round(s.standardDeviation)} p95=${round(s.p95)} latest=${round(s.latest)} trend=${s.trend}`,
    s,
  );
};

const health: Command = async (context) => {
  const h = await context.gate.analytics.health(arg(context, 0, 'VERSION', 'metric'));
  context.out(
    [
      h.score === null ? `release ${h.version}: ${h.label}` : `release ${h.version}: ${h.status}, score ${h.score}/100`,
      ...h.metrics.map(
        (m) => `  ${m.metric} ${round(m.value)} (limit ${m.limit}, critical ${m.critical}, bad ${m.bad}; ${m.samples} samples)${m.severity ? `  ${m.severity.toUpperCase()}` : ''}`,
      ),
      ...h.comparisons.map((c) => `  ${describeComparison(c)}`),
      ...h.recommendations.map((r) => `- ${r}`),
    ].join('\n'),
    h,
  );
};

/** One line: both arms, the difference with its interval, and the decision. */
export function describeComparison(c: MetricComparison): string {
  const arm = (a: { count: number; mean: number | null }) => `${a.mean === null ? '-' : round(a.mean)} (n=${a.count})`;
  const signed = (x: number) => `${x > 0 ? '+' : ''}${round(x)}`;
  const difference = c.difference === null ? '-' : `${signed(c.difference)}${c.interval ? ` [${signed(c.interval[0])}, ${signed(c.interval[1])}]` : ''}`;
  return `${c.metric} vs control: release users ${arm(c.treatment)}, everyone else ${arm(c.control)}, difference ${difference}: ${c.decision}`;
}

function formatOf(options: Options): 'json' | 'prometheus' {
  const format = text(options, 'format') ?? 'json';
  if (format !== 'json' && format !== 'prometheus') throw new UsageError(`--format must be json or prometheus, got '${format}'`, 'metric');
  return format;
}

const report: Command = async (context) => {
  const format = formatOf(context.options);
  const windowMs = windowOf(context.options);
  const value = await context.gate.analytics.report(windowMs ? { windowMs } : {});
  // Reports are for machines either way: print them raw.
  process.stdout.write(format === 'prometheus' ? toPrometheus(value) : `${JSON.stringify(value, null, 2)}\n`);
};

/** `phasegate metric …` */
export const metricCommands: Readonly<Record<string, CommandSpec>> = {
  record: { run: record, positionals: ['NAME', 'VALUE'], writes: true, options: ['release', 'feature'] },
  stats: { run: stats, positionals: ['NAME'], options: ['release', 'feature', 'window-hours'], check: (options) => void windowOf(options) },
  health: { run: health, positionals: ['VERSION'] },
  report: { run: report, options: ['format', 'window-hours'], check: (options) => void (formatOf(options), windowOf(options)) },
};
