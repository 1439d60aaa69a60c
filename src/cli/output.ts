// How every command reports: results on stdout, errors on stderr with a
// non-zero exit. Operating errors print their message; anything else is a bug
// and prints its stack.

import { LogError } from "../log/errors.js";
import { ConfigError } from "../config/config.js";

export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + "\n");
}

export function printTable(rows: Record<string, unknown>[]): void {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? "").length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd();
  process.stdout.write(line(columns.map((c) => c.toUpperCase())) + "\n");
  for (const r of rows) process.stdout.write(line(columns.map((c) => String(r[c] ?? ""))) + "\n");
}

/** Turns an error into a message on stderr and the exit code to end with. */
export function reportError(err: unknown): number {
  if (err instanceof CliError) {
    process.stderr.write(`tributary: ${err.message}\n`);
    return err.exitCode;
  }
  if (err instanceof LogError || err instanceof ConfigError) {
    process.stderr.write(`tributary: ${err.message}\n`);
    return 1;
  }
  process.stderr.write(`tributary: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
  return 1;
}

/** Parses repeated KEY=VALUE options into an object. */
export function keyValueOption(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf("=");
  if (eq <= 0) throw new CliError(`'${value}' is not KEY=VALUE`, 2);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
