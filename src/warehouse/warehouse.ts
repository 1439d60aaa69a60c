// The warehouse as the broker runs it: the SQLite file, the loader that keeps
// it up to date, and read-only queries against it, each in its own process
// within the limits of time, rows, bytes and memory.

import * as fs from "node:fs";
import * as path from "node:path";
import type { LogStore } from "../log/store.js";
import { openSqlite } from "./sqlite.js";
import { WarehouseLoader, type TopicLoadStatus, type WarehouseLoaderOptions } from "./warehouse-loader.js";
import { checkReadOnlySql } from "./sql-guard.js";
import { runQuery, type QueryAnswer, type QueryLimits } from "./query-process.js";

export { SqlRefusedError } from "./sql-guard.js";
export { QueryError, QueryStoppedError, type QueryAnswer, type QueryValue } from "./query-process.js";
export type { TopicLoadStatus, ValueSchema } from "./warehouse-loader.js";

export interface WarehouseOptions extends WarehouseLoaderOptions {
  file: string;
  query: QueryLimits & { rowsMax: number; bytesMax: number; concurrentMax: number };
}

/** More statements are running than sqlConcurrentMax allows. */
export class QueryBusyError extends Error {}

export class Warehouse {
  private running = 0;
  readonly driver: string;

  private constructor(readonly file: string, private readonly loader: WarehouseLoader, private readonly options: WarehouseOptions, driver: string) {
    this.driver = driver;
  }

  /** Opens (or creates) the warehouse file and starts loading. */
  static open(store: LogStore, options: WarehouseOptions): Warehouse {
    fs.mkdirSync(path.dirname(path.resolve(options.file)), { recursive: true });
    const db = openSqlite(options.file);
    const loader = new WarehouseLoader(db, store, options);
    const warehouse = new Warehouse(options.file, loader, options, db.driver);
    loader.start();
    return warehouse;
  }

  status(): Promise<TopicLoadStatus[]> {
    return this.loader.status();
  }

  /** Runs one read-only statement; rejects with SqlRefusedError, QueryError, QueryStoppedError or QueryBusyError. */
  async query(sql: unknown, params: (string | number | null)[] = []): Promise<QueryAnswer> {
    const statement = checkReadOnlySql(sql);
    if (this.running >= this.options.query.concurrentMax) {
      throw new QueryBusyError(`${this.running} statements are running, as many as sqlConcurrentMax allows: try again shortly`);
    }
    this.running++;
    try {
      return await runQuery({ file: this.file, sql: statement, params, rowsMax: this.options.query.rowsMax, bytesMax: this.options.query.bytesMax }, this.options.query);
    } finally {
      this.running--;
    }
  }

  close(): Promise<void> {
    return this.loader.close();
  }
}
