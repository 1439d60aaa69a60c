// The warehouse over HTTP: POST /sql runs one read-only statement (JSON by
// default, NDJSON or CSV when Accept asks), GET /warehouse tells how far each
// topic is loaded.

import type { Hono } from "hono";
import type { HttpDeps } from "./http-deps.js";
import { HttpError } from "./http-error.js";
import { bodyJson } from "./request-body.js";
import { QueryBusyError, QueryError, QueryStoppedError, SqlRefusedError, type QueryAnswer } from "../../warehouse/warehouse.js";
import { toCsv, toNdjson } from "../../warehouse/answer-format.js";
import { checked, doc } from "./api-doc.js";
import * as api from "./api-schemas.js";

const NO_WAREHOUSE = "the warehouse is off (serve without --no-warehouse to keep one)";

function parseParams(raw: unknown): (string | number | null)[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new HttpError(400, 40002, "'params' must be an array of strings, numbers, booleans or nulls");
  return raw.map((p, i) => {
    if (p === null || typeof p === "string" || (typeof p === "number" && Number.isFinite(p))) return p;
    if (typeof p === "boolean") return p ? 1 : 0;
    throw new HttpError(400, 40002, `params[${i}] must be a string, number, boolean or null`);
  });
}

async function answer(deps: HttpDeps, sql: unknown, params: (string | number | null)[]): Promise<QueryAnswer> {
  const warehouse = deps.warehouse;
  if (!warehouse) throw new HttpError(404, 40410, NO_WAREHOUSE);
  try {
    return await warehouse.query(sql, params);
  } catch (err) {
    if (err instanceof SqlRefusedError) throw new HttpError(err.message.includes("read-only") ? 403 : 400, err.message.includes("read-only") ? 40310 : 40010, err.message);
    if (err instanceof QueryError) throw new HttpError(err.message.includes("read-only") ? 403 : 400, err.message.includes("read-only") ? 40310 : 40011, err.message);
    if (err instanceof QueryStoppedError) throw new HttpError(400, 40012, err.message);
    if (err instanceof QueryBusyError) throw new HttpError(429, 42901, err.message);
    throw err;
  }
}

export function registerSqlRoutes(app: Hono, deps: HttpDeps): void {
  app.post("/sql", doc({
    tags: ["warehouse"], summary: "one read-only SQL statement against the warehouse; JSON, NDJSON or CSV by Accept",
    description: "Limits: sqlTimeoutMs (default 5000 ms; 400 40012 past it), sqlRowsMax (default 10000 rows) and sqlResponseBytesMax (default 32 MiB) " +
      "cut the answer and say so, sqlMemoryBytesMax (default 1 GiB) stops the statement, sqlConcurrentMax (default 4) statements at once (429 beyond).",
    body: api.SqlQuery,
    responses: {
      200: { description: "columns and rows (JSON), a row object per line (NDJSON) or CSV with a header row; header tributary-truncated says whether it was cut",
        media: ["application/json", "application/x-ndjson", "text/csv"], schema: api.SqlAnswer },
    },
  }), async (c) => {
    const { sql, params } = checked(api.SqlQuery, await bodyJson(c, deps), 400, 40002);
    const result = await answer(deps, sql, parseParams(params));
    const headers = { "tributary-truncated": String(result.truncated) };
    const accept = c.req.header("accept") ?? "";
    if (/application\/(x-)?ndjson|application\/jsonl/i.test(accept)) return c.body(toNdjson(result), 200, { ...headers, "content-type": "application/x-ndjson" });
    if (/text\/csv/i.test(accept)) return c.body(toCsv(result), 200, { ...headers, "content-type": "text/csv; charset=utf-8" });
    const note = result.truncated ? { message: `the answer was cut at ${result.rows.length} rows (sqlRowsMax or sqlResponseBytesMax)` } : {};
    return c.json({ columns: result.columns, rows: result.rows, truncated: result.truncated, ...note }, 200, headers);
  });
  app.get("/warehouse", doc({ tags: ["warehouse"], summary: "the warehouse per topic: table, columns, rows, lag, loaded up to per partition, conflicts, last error", responses: { 200: api.WarehouseStatus } }), async (c) => {
    const warehouse = deps.warehouse;
    if (!warehouse) return c.json({ warehouse: null, message: NO_WAREHOUSE });
    const topics = await warehouse.status();
    return c.json({
      warehouse: warehouse.file,
      driver: warehouse.driver,
      topics: topics.map((t) => ({
        topic: t.topic, table: t.table, latest_table: t.latestTable, enabled: t.enabled, rows: t.rows,
        lag: t.partitions.reduce((sum, p) => sum + Math.max(0, p.highWatermark - p.loadedUpTo), 0),
        columns: t.columns,
        partitions: t.partitions.map((p) => ({ partition: p.partition, loaded_up_to: p.loadedUpTo, high_watermark: p.highWatermark, lag: Math.max(0, p.highWatermark - p.loadedUpTo), rows: p.rows })),
        conflicts: t.conflicts, last_error: t.lastError,
      })),
    });
  });
}
