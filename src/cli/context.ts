import type { Phasegate } from '../phasegate.js';
import { UsageError } from './usage.js';

/** Parsed option values (strings, booleans, or lists for repeatable options, as `parseArgs` gives them). */
export type Options = Readonly<Record<string, string | boolean | string[] | undefined>>;

/** What every command gets. */
export interface CommandContext {
  readonly gate: Phasegate;
  readonly args: readonly string[];
  readonly options: Options;
  /** Prints human output, or the value as JSON with `--json`. */
  readonly out: (human: string, json: unknown) => void;
}

/** A command: does its work and reports through `out`. */
export type Command = (context: CommandContext) => Promise<void>;

/** The positional argument at `index`, or a usage error naming it. */
export function arg(context: CommandContext, index: number, name: string, group: string): string {
  const value = context.args[index];
  if (value === undefined || value === '') throw new UsageError(`missing ${name}`, group);
  return value;
}

/** A string option, if given. */
export function text(options: Options, name: string): string | undefined {
  const value = options[name];
  return typeof value === 'string' ? value : undefined;
}

/** A required string option. */
export function required(options: Options, name: string, group: string): string {
  const value = text(options, name);
  if (value === undefined || value === '') throw new UsageError(`--${name} is required`, group);
  return value;
}

/** A number option, checked to be a finite number (the domain validates ranges). */
export function numeric(options: Options, name: string, group: string): number | undefined {
  const value = text(options, name);
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) throw new UsageError(`--${name} must be a number, got '${value}'`, group);
  return parsed;
}

/** A comma-separated list option. */
export function list(options: Options, name: string): string[] | undefined {
  const value = text(options, name);
  return value === undefined ? undefined : value.split(',').map((part) => part.trim()).filter(Boolean);
}

/** An ISO date option as epoch ms. */
export function instant(options: Options, name: string, group: string): number | undefined {
  const value = text(options, name);
  if (value === undefined) return undefined;
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed)) throw new UsageError(`--${name} must be an ISO date such as 2026-03-01T00:00:00Z, got '${value}'`, group);
  return parsed;
}

/** `--by`, or `cli`. */
export function actor(options: Options): { by: string } {
  return { by: text(options, 'by') ?? 'cli' };
}
