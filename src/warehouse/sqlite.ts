// The one interface the warehouse has to SQLite. Bun's compiled binary has
// bun:sqlite built in; under Node the same code uses better-sqlite3 (v12),
// which does not load in Bun. Both are synchronous, so this is too: callers
// keep each call short (a transaction of a few thousand rows).

import { createRequire } from "node:module";

/** What SQLite stores: numbers, text, bytes, NULL (booleans go in as 0 and 1). */
export type SqlValue = number | bigint | string | Uint8Array | null;

export interface SqliteStatement {
  run(...params: SqlValue[]): void;
  /** Every row, as arrays of column values in column order. */
  values(...params: SqlValue[]): SqlValue[][];
}

export interface SqliteDatabase {
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement;
  /** Runs `fn` in one transaction: committed when it returns, rolled back when it throws. */
  transaction<T>(fn: () => T): T;
  close(): void;
  /** "bun:sqlite" or "better-sqlite3", and SQLite's version. */
  readonly driver: string;
}

export interface OpenOptions {
  readonly?: boolean;
}

declare const Bun: unknown;

/** True when running under Bun (its compiled binary included). */
export function runningOnBun(): boolean {
  return typeof Bun !== "undefined";
}

/**
 * Where better-sqlite3 is, for a process of ours that must load it without
 * this module (the query process). Undefined under Bun.
 */
export function betterSqlite3Path(): string | undefined {
  if (runningOnBun()) return undefined;
  return createRequire(import.meta.url).resolve("better-sqlite3");
}

interface BunStatement {
  run(...params: unknown[]): unknown;
  values(...params: unknown[]): unknown[][];
}
interface BunDatabase {
  exec(sql: string): void;
  prepare(sql: string): BunStatement;
  transaction<T>(fn: () => T): () => T;
  close(): void;
}
interface BetterStatement {
  run(...params: unknown[]): unknown;
  raw(on: boolean): { all(...params: unknown[]): unknown[][] };
  reader: boolean;
}
interface BetterDatabase {
  exec(sql: string): void;
  prepare(sql: string): BetterStatement;
  transaction<T>(fn: () => T): () => T;
  close(): void;
}

function openBun(file: string, options: OpenOptions): SqliteDatabase {
  // A name the bundler leaves alone under Node, where bun:sqlite does not exist.
  const { Database } = createRequire(import.meta.url)("bun:sqlite") as { Database: new (file: string, options: object) => BunDatabase };
  const db = new Database(file, options.readonly ? { readonly: true } : { create: true, readwrite: true });
  const version = (db.prepare("select sqlite_version()").values()[0]![0]) as string;
  return {
    driver: `bun:sqlite (SQLite ${version})`,
    exec: (sql) => db.exec(sql),
    prepare(sql) {
      const statement = db.prepare(sql);
      return {
        run: (...params) => void statement.run(...params),
        values: (...params) => statement.values(...params) as SqlValue[][],
      };
    },
    transaction: (fn) => db.transaction(fn)(),
    close: () => db.close(),
  };
}

function openBetterSqlite3(file: string, options: OpenOptions): SqliteDatabase {
  const Database = createRequire(import.meta.url)("better-sqlite3") as new (file: string, options: object) => BetterDatabase;
  const db = new Database(file, { readonly: Boolean(options.readonly), fileMustExist: Boolean(options.readonly) });
  const version = db.prepare("select sqlite_version()").raw(true).all()[0]![0] as string;
  return {
    driver: `better-sqlite3 (SQLite ${version})`,
    exec: (sql) => db.exec(sql),
    prepare(sql) {
      const statement = db.prepare(sql);
      return {
        run: (...params) => void statement.run(...params),
        values: (...params) => (statement.reader ? (statement.raw(true).all(...params) as SqlValue[][]) : (statement.run(...params), [])),
      };
    },
    transaction: (fn) => db.transaction(fn)(),
    close: () => db.close(),
  };
}

/** Opens (creating it unless read-only) a SQLite file with the runtime's driver. */
export function openSqlite(file: string, options: OpenOptions = {}): SqliteDatabase {
  return runningOnBun() ? openBun(file, options) : openBetterSqlite3(file, options);
}
