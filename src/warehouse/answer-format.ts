// A query's answer as the HTTP API and the CLI hand it out: JSON, NDJSON (one
// object per row), CSV (RFC 4180) or an aligned text table.

import type { QueryAnswer, QueryValue } from "./query-process.js";

/** Column names made unique as SQLite names a subquery's columns ("id", "id:1"), for row objects. */
export function uniqueColumnNames(columns: string[]): string[] {
  const seen = new Map<string, number>();
  return columns.map((name) => {
    const n = seen.get(name) ?? 0;
    seen.set(name, n + 1);
    return n === 0 ? name : `${name}:${n}`;
  });
}

export function toNdjson(answer: QueryAnswer): string {
  const names = uniqueColumnNames(answer.columns);
  return answer.rows.map((row) => JSON.stringify(Object.fromEntries(names.map((name, i) => [name, row[i] ?? null])))).join("\n") + (answer.rows.length ? "\n" : "");
}

function csvCell(value: QueryValue): string {
  if (value === null) return "";
  const text = String(value);
  return /[",\r\n]/.test(text) || /^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(answer: QueryAnswer): string {
  const lines = [answer.columns, ...answer.rows].map((row) => row.map((v) => csvCell(v as QueryValue)).join(","));
  return lines.join("\r\n") + "\r\n";
}

/** Columns padded to their widest cell; NULL shown as NULL; one line a row. */
export function toTable(answer: QueryAnswer): string {
  const show = (v: QueryValue) => (v === null ? "NULL" : String(v).replace(/\r?\n/g, "\\n"));
  const cells = [answer.columns, ...answer.rows.map((row) => row.map(show))];
  const widths = answer.columns.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? "").length)));
  const line = (row: string[]) => row.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd();
  const out = [line(cells[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)];
  out.push(`(${answer.rows.length} row${answer.rows.length === 1 ? "" : "s"}${answer.truncated ? ", cut at the limit" : ""})`);
  return out.join("\n") + "\n";
}
