// Runs one warehouse query in a process of its own, so that a statement that
// runs too long or grows too big can be stopped for certain: neither bun:sqlite
// nor better-sqlite3 can interrupt a statement, and a thread stuck inside
// SQLite cannot be stopped, but a process can be killed. The process is the
// same runtime as ours (the compiled binary runs as plain Bun with
// BUN_BE_BUN=1), given the small function `queryMain` below as its program:
// it opens the file read-only with query_only on, refuses statements SQLite
// does not call read-only, reads at most `rowsMax` rows and about `bytesMax`
// bytes, and prints one JSON answer.

import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { betterSqlite3Path, runningOnBun } from "./sqlite.js";

export interface QueryRequest {
  file: string;
  sql: string;
  params: (string | number | null)[];
  rowsMax: number;
  bytesMax: number;
}

export type QueryValue = string | number | null;

export interface QueryAnswer {
  columns: string[];
  rows: QueryValue[][];
  /** True when rows were left out: past rowsMax or bytesMax. */
  truncated: boolean;
}

export interface QueryLimits {
  timeoutMs: number;
  /** Resident memory the query process may use, in bytes. */
  memoryBytesMax: number;
}

/** SQLite refused or failed the statement: its message. */
export class QueryError extends Error {}
/** The statement went past a limit (time or memory) and was stopped. */
export class QueryStoppedError extends Error {}

interface ChildRequest extends QueryRequest {
  driver: string | null;
}

/**
 * The query process's program. Self-contained (it is sent as source text):
 * everything it uses comes in through `load` and stdin.
 */
export function queryMain(load: (id: string) => any): void {
  const chunks: Buffer[] = [];
  process.stdin.on("data", (c: Buffer) => chunks.push(c));
  process.stdin.on("end", () => {
    const request = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    const reply = (answer: unknown) => process.stdout.write(JSON.stringify(answer), () => process.exit(0));
    const cell = (v: unknown): unknown => {
      if (typeof v === "bigint") return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
      if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64");
      if (typeof v === "number" && !Number.isFinite(v)) return String(v);
      return v;
    };
    try {
      const rows: unknown[][] = [];
      let bytes = 0;
      let truncated = false;
      const take = (row: unknown[]): boolean => {
        if (rows.length >= request.rowsMax) return !(truncated = true);
        const out = row.map(cell);
        bytes += JSON.stringify(out).length;
        if (bytes > request.bytesMax && rows.length > 0) return !(truncated = true);
        rows.push(out);
        return true;
      };
      let columns: string[];
      if (request.driver === null) {
        const { Database } = load("bun:sqlite");
        const db = new Database(request.file, { readonly: true, safeIntegers: true });
        db.exec("PRAGMA query_only = ON");
        db.exec("PRAGMA busy_timeout = 2000");
        const statement = db.prepare(request.sql);
        if (!statement.readonly) throw new Error("the warehouse is read-only: this statement would change it");
        columns = statement.columnNames;
        // bun:sqlite reads rows as arrays only all at once: a SELECT is wrapped so that SQLite stops at the limit.
        const query = /^\s*(select|with|values)\b/i.test(request.sql.replace(/^(\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)*/, ""))
          ? db.prepare(`SELECT * FROM (\n${request.sql.replace(/;\s*$/, "")}\n) LIMIT ${request.rowsMax + 1}`)
          : statement;
        for (const row of query.values(...request.params)) if (!take(row)) break;
      } else {
        const Database = load(request.driver);
        const db = new Database(request.file, { readonly: true, fileMustExist: true });
        db.pragma("query_only = ON");
        db.pragma("busy_timeout = 2000");
        const statement = db.prepare(request.sql);
        if (!statement.readonly) throw new Error("the warehouse is read-only: this statement would change it");
        if (!statement.reader) throw new Error("the statement returns no rows");
        columns = statement.columns().map((c: { name: string }) => c.name);
        for (const row of statement.raw(true).safeIntegers(true).iterate(...request.params)) if (!take(row)) break;
      }
      reply({ columns, rows, truncated });
    } catch (err) {
      reply({ error: (err as Error).message });
    }
  });
}

/** The command that runs `queryMain` in a new process of this runtime. */
function queryCommand(): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  const source = `(${queryMain.toString()})(require)`;
  // The compiled binary behaves as the bun executable with BUN_BE_BUN=1; plain bun and node ignore it.
  return { command: process.execPath, args: ["-e", source], env: { ...process.env, BUN_BE_BUN: "1" } };
}

/** Resident memory of a process in bytes (Linux), or undefined where it cannot be read. */
function residentBytes(pid: number): number | undefined {
  try {
    const pages = Number(fs.readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]);
    return pages * 4096;
  } catch {
    return undefined;
  }
}

/**
 * Runs a read-only statement against the warehouse file in its own process.
 * Rejects with QueryError (SQLite's message) or QueryStoppedError (a limit,
 * named); the process is killed when a limit is passed.
 */
export function runQuery(request: QueryRequest, limits: QueryLimits): Promise<QueryAnswer> {
  if (!fs.existsSync(request.file)) return Promise.reject(new QueryError(`no warehouse file at ${request.file}`));
  const child: ChildRequest = { ...request, driver: runningOnBun() ? null : betterSqlite3Path()! };
  const { command, args, env } = queryCommand();
  return new Promise((resolve, reject) => {
    const proc = spawn(command, args, { env, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    let outBytes = 0;
    let stderr = "";
    let stopped: Error | undefined;
    const stop = (err: Error) => {
      stopped ??= err;
      proc.kill("SIGKILL");
    };
    const timer = setTimeout(() => stop(new QueryStoppedError(`the statement was stopped after ${limits.timeoutMs} ms (sqlTimeoutMs)`)), limits.timeoutMs);
    const watch = setInterval(() => {
      const rss = proc.pid === undefined ? undefined : residentBytes(proc.pid);
      if (rss !== undefined && rss > limits.memoryBytesMax) stop(new QueryStoppedError(`the statement was stopped: its process grew past ${limits.memoryBytesMax} bytes of memory (sqlMemoryBytesMax)`));
    }, 50);
    proc.stdout.on("data", (chunk: Buffer) => {
      outBytes += chunk.length;
      // The process keeps to bytesMax itself; this only guards against it failing to.
      if (outBytes > request.bytesMax * 2 + 1024 * 1024) stop(new QueryStoppedError(`the answer grew past ${request.bytesMax} bytes (sqlResponseBytesMax)`));
      else out.push(chunk);
    });
    proc.stderr.on("data", (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString("utf8");
    });
    proc.stdin.on("error", () => {}); // a process that died early: its exit says why
    proc.on("error", (err) => stop(new QueryError(`cannot start the query process: ${err.message}`)));
    proc.on("close", (code) => {
      clearTimeout(timer);
      clearInterval(watch);
      if (stopped) return reject(stopped);
      let answer: QueryAnswer & { error?: string };
      try {
        answer = JSON.parse(Buffer.concat(out).toString("utf8"));
      } catch {
        return reject(new QueryStoppedError(`the query process ended (exit ${code}) without an answer${stderr ? `: ${stderr.trim().split("\n").slice(-1)[0]}` : ""}`));
      }
      if (answer.error !== undefined) reject(new QueryError(answer.error));
      else resolve(answer);
    });
    proc.stdin.end(JSON.stringify(child));
  });
}
