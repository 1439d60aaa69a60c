// The SQLite warehouse, on both runtimes: a broker in this Node process
// (better-sqlite3) and the compiled binary (bun:sqlite). Records go in over
// HTTP and Kafka; queries come back over HTTP and through `tributary sql`.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Kafka, logLevel, Partitioners, type Producer } from "kafkajs";
import { startBroker } from "../../src/server/broker.js";
import { serve, tributaryAsync } from "../helpers/cli.js";
import { httpCall } from "../helpers/http-call.js";

interface Running {
  url: string;
  brokers: string[];
  dataDir: string;
  stop(): Promise<void>;
}

// The same settings both ways: small limits so that tests reach them.
const SETTINGS = { sqlTimeoutMs: 1500, sqlRowsMax: 50, maintenanceIntervalMs: 200 };
const ENV = { TRIBUTARY_SQL_TIMEOUT_MS: "1500", TRIBUTARY_SQL_ROWS_MAX: "50", TRIBUTARY_MAINTENANCE_INTERVAL_MS: "200" };

const RUNTIMES: [string, (dataDir: string) => Promise<Running>][] = [
  ["in a Node process (better-sqlite3)", async (dataDir) => {
    const broker = await startBroker({ dataDir, kafkaPort: 0, httpPort: 0, groupInitialRebalanceDelayMs: 0, ...SETTINGS });
    return { url: broker.httpUrl, brokers: broker.brokers, dataDir, stop: () => broker.stop() };
  }],
  ["in the compiled binary (bun:sqlite)", async (dataDir) => {
    const server = await serve(["--data-dir", dataDir, "--kafka-port", "0", "--http-port", "0"], ENV);
    const url = /http (http:\/\/\S+),/.exec(server.readyLine)![1]!;
    const kafka = /kafka (\S+),/.exec(server.readyLine)![1]!;
    return {
      url, brokers: [kafka], dataDir,
      stop: async () => {
        server.process.kill("SIGTERM");
        await server.exited;
      },
    };
  }],
];

async function until<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(RUNTIMES)("warehouse %s", (_name, start) => {
  let running: Running;
  let producer: Producer;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tributary-warehouse-"));

  beforeAll(async () => {
    running = await start(dataDir);
    producer = new Kafka({ brokers: running.brokers, logLevel: logLevel.NOTHING }).producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await running?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const call = (method: string, p: string, body?: unknown, headers: Record<string, string> = {}) => httpCall(running.url, method, p, body, headers);
  const sql = async (statement: string, params?: unknown[]) => {
    const r = await call("POST", "/sql", { sql: statement, params });
    if (r.status !== 200) throw new Error(`${statement}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json as { columns: string[]; rows: unknown[][]; truncated: boolean };
  };
  /** Waits until the warehouse has loaded every record of the topic. */
  const loaded = (topic: string) => until(async () => {
    const status = (await call("GET", "/warehouse")).json;
    const t = status.topics.find((x: { topic: string }) => x.topic === topic);
    return t && t.partitions.length > 0 && t.lag === 0 && t.partitions.every((p: { high_watermark: number }) => p.high_watermark > 0) ? t : undefined;
  }, `topic ${topic} to be loaded`);

  it("loads records published over HTTP and Kafka into typed columns, queried over HTTP and the CLI", async () => {
    const schema = {
      type: "object", required: ["id"],
      properties: {
        id: { type: "string" }, customer: { type: "string" }, total: { type: "number" }, qty: { type: "integer" },
        paid: { type: "boolean" }, lines: { type: "array" }, address: { type: "object" }, note: { type: ["string", "null"] },
      },
    };
    expect((await call("POST", "/subjects/orders-value/versions", { schemaType: "JSON", schema: JSON.stringify(schema) })).status).toBe(200);
    expect((await call("POST", "/topics", { name: "orders", partitions: 2 })).status).toBe(201);
    const published = await call("POST", "/topics/orders/records", {
      records: [
        { key: "c-1", value: { id: "o-1", customer: "c-1", total: 12.5, qty: 2, paid: true, lines: [{ sku: "a" }], address: { city: "Oslo" } }, headers: { source: "web" } },
        { key: "c-2", value: { id: "o-2", customer: "c-2", total: 3, qty: 1, paid: false, note: "gift" } },
      ],
    });
    expect(published.status).toBe(200);
    await producer.send({ topic: "orders", messages: [{ key: "c-1", value: JSON.stringify({ id: "o-3", customer: "c-1", total: 7.25, qty: 5, paid: true }) }] });
    await loaded("orders");

    const totals = await sql("SELECT customer, sum(total), count(*) FROM orders GROUP BY 1 ORDER BY 1");
    expect(totals).toEqual({ columns: ["customer", "sum(total)", "count(*)"], rows: [["c-1", 19.75, 2], ["c-2", 3, 1]], truncated: false });
    const typed = await sql("SELECT typeof(id), typeof(total), typeof(qty), typeof(paid), paid, json_extract(lines, '$[0].sku'), json_extract(address, '$.city'), note, _key, json_extract(_headers, '$.source'), typeof(_timestamp) FROM orders WHERE id = ?", ["o-1"]);
    expect(typed.rows).toEqual([["text", "real", "integer", "integer", 1, "a", "Oslo", null, "c-1", "web", "integer"]]);
    const whole = await sql("SELECT json_extract(_value, '$.note'), _partition BETWEEN 0 AND 1 FROM orders WHERE id = 'o-2'");
    expect(whole.rows).toEqual([["gift", 1]]);
    const columns = await sql("SELECT name, type, pk FROM pragma_table_info('orders') ORDER BY cid");
    expect(columns.rows).toEqual([
      ["_partition", "INTEGER", 1], ["_offset", "INTEGER", 2], ["_timestamp", "INTEGER", 0], ["_key", "", 0], ["_headers", "TEXT", 0], ["_value", "", 0],
      ["id", "TEXT", 0], ["customer", "TEXT", 0], ["total", "REAL", 0], ["qty", "INTEGER", 0], ["paid", "INTEGER", 0], ["lines", "TEXT", 0], ["address", "TEXT", 0], ["note", "TEXT", 0],
    ]);

    const ndjson = await fetch(`${running.url}/sql`, { method: "POST", headers: { "content-type": "application/json", accept: "application/x-ndjson" }, body: JSON.stringify({ sql: "SELECT id, qty FROM orders ORDER BY id" }) });
    expect(ndjson.headers.get("content-type")).toMatch(/ndjson/);
    expect((await ndjson.text()).trim().split("\n").map((l) => JSON.parse(l))).toEqual([{ id: "o-1", qty: 2 }, { id: "o-2", qty: 1 }, { id: "o-3", qty: 5 }]);
    const csv = await fetch(`${running.url}/sql`, { method: "POST", headers: { "content-type": "application/json", accept: "text/csv" }, body: JSON.stringify({ sql: "SELECT id, note, 'a,\"b' AS odd FROM orders ORDER BY id" }) });
    expect(await csv.text()).toBe('id,note,odd\r\no-1,,"a,""b"\r\no-2,gift,"a,""b"\r\no-3,,"a,""b"\r\n');

    const cli = await tributaryAsync(["sql", "SELECT customer, count(*) AS n FROM orders GROUP BY 1 ORDER BY 1", "--data-dir", running.dataDir, "--format", "json"]);
    expect(cli.stderr).toBe("");
    expect(JSON.parse(cli.stdout)).toEqual({ columns: ["customer", "n"], rows: [["c-1", 2], ["c-2", 1]], truncated: false });
    const table = await tributaryAsync(["sql", "SELECT id FROM orders WHERE qty > ? ORDER BY id", "--param", "1", "--warehouse", path.join(running.dataDir, "warehouse.db")]);
    expect(table.stdout).toBe("id\n---\no-1\no-3\n(2 rows)\n");
    const refused = await tributaryAsync(["sql", "DELETE FROM orders", "--data-dir", running.dataDir]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/read-only/);
    const missing = await tributaryAsync(["sql", "SELECT 1", "--data-dir", path.join(running.dataDir, "nowhere")]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/no warehouse at .*nowhere/);
    expect(fs.existsSync(path.join(running.dataDir, "nowhere"))).toBe(false);
  });

  it("adds a column for a new property, keeps removed ones, and reports a type its column does not hold", async () => {
    const v1 = { type: "object", properties: { id: { type: "integer" }, size: { type: "integer" } } };
    await call("POST", "/subjects/evolving-value/versions", { schemaType: "JSON", schema: JSON.stringify(v1) });
    await call("PUT", "/config/evolving-value", { compatibility: "NONE" });
    await call("POST", "/topics", { name: "evolving" });
    await call("POST", "/topics/evolving/records", { records: [{ value: { id: 1, size: 10 } }] });
    await loaded("evolving");
    const v2 = { type: "object", properties: { id: { type: "integer" }, size: { type: "string" }, colour: { type: "string" } } };
    expect((await call("POST", "/subjects/evolving-value/versions", { schemaType: "JSON", schema: JSON.stringify(v2) })).status).toBe(200);
    await call("POST", "/topics/evolving/records", { records: [{ value: { id: 2, size: "L", colour: "red" } }] });
    const status = await loaded("evolving");
    expect(status.columns).toEqual([{ name: "id", type: "INTEGER" }, { name: "size", type: "INTEGER" }, { name: "colour", type: "TEXT" }]);
    expect(status.conflicts).toEqual([expect.stringMatching(/'size' is now TEXT but its column is INTEGER/)]);
    expect((await sql("SELECT id, size, colour, json_extract(_value, '$.size') FROM evolving ORDER BY id")).rows).toEqual([[1, 10, null, 10], [2, null, "red", "L"]]);
    const metrics = await (await fetch(`${running.url}/metrics`)).text();
    expect(metrics).toMatch(/tributary_warehouse_problems\{topic="evolving",kind="column_conflicts"\} 1/);
    // A property dropped from the schema keeps its column.
    const v3 = { type: "object", properties: { id: { type: "integer" } } };
    await call("POST", "/subjects/evolving-value/versions", { schemaType: "JSON", schema: JSON.stringify(v3) });
    await call("POST", "/topics/evolving/records", { records: [{ value: { id: 3 } }] });
    await until(async () => (await sql("SELECT count(*) FROM evolving")).rows[0]![0] === 3, "the third row");
    expect((await sql("SELECT name FROM pragma_table_info('evolving') WHERE name IN ('size', 'colour') ORDER BY name")).rows).toEqual([["colour"], ["size"]]);
  });

  it("keeps a _latest table for a compacted topic: upserts, and tombstones delete", async () => {
    await call("POST", "/topics", { name: "customers", configs: { "cleanup.policy": "compact" } });
    await producer.send({
      topic: "customers",
      messages: [
        { key: "a", value: JSON.stringify({ name: "Ada" }) },
        { key: "b", value: JSON.stringify({ name: "Bob" }) },
        { key: "a", value: JSON.stringify({ name: "Ada L." }) },
        { key: "c", value: JSON.stringify({ name: "Cy" }) },
        { key: "b", value: null },
      ],
    });
    await loaded("customers");
    expect((await sql("SELECT _key, json_extract(_value, '$.name') FROM customers_latest ORDER BY _key")).rows).toEqual([["a", "Ada L."], ["c", "Cy"]]);
    expect((await sql("SELECT count(*), count(_value) FROM customers")).rows).toEqual([[5, 4]]);
    await producer.send({ topic: "customers", messages: [{ key: "c", value: null }, { key: "b", value: JSON.stringify({ name: "Bo" }) }] });
    await until(async () => JSON.stringify((await sql("SELECT _key FROM customers_latest ORDER BY _key")).rows) === JSON.stringify([["a"], ["b"]]), "c deleted and b back");
    const status = (await call("GET", "/warehouse")).json.topics.find((t: { topic: string }) => t.topic === "customers");
    expect(status.latest_table).toBe("customers_latest");
  });

  it("stores values that are not JSON as bytes, and empty values as NULL", async () => {
    await call("POST", "/topics", { name: "raw" });
    await producer.send({
      topic: "raw",
      messages: [
        { key: Buffer.from([0xff, 0xfe]), value: Buffer.from([0x00, 0x01, 0x02]) },
        { key: "text", value: "not json at all" },
        { key: "null", value: null },
        { key: "number", value: "42" },
      ],
    });
    await loaded("raw");
    const rows = await sql("SELECT typeof(_key), hex(_key), typeof(_value), hex(_value) FROM raw ORDER BY _offset");
    expect(rows.rows).toEqual([
      ["blob", "FFFE", "blob", "000102"],
      ["text", "74657874", "blob", Buffer.from("not json at all").toString("hex").toUpperCase()],
      ["text", "6E756C6C", "null", ""],
      ["text", "6E756D626572", "text", "3432"],
    ]);
    // Bytes come back as base64 in answers.
    expect((await sql("SELECT _value FROM raw WHERE _offset = 0")).rows).toEqual([["AAEC"]]);
  });

  it("refuses every statement that would write, attach, change settings or run a second statement", async () => {
    await call("POST", "/topics", { name: "guarded" });
    await call("POST", "/topics/guarded/records", { records: [{ value: { n: 1 } }] });
    await loaded("guarded");
    const outside = path.join(running.dataDir, "copy.db");
    const attempts = [
      "INSERT INTO guarded (_partition, _offset, _timestamp) VALUES (0, 99, 0)",
      "UPDATE guarded SET _value = NULL",
      "DELETE FROM guarded",
      "REPLACE INTO guarded (_partition, _offset, _timestamp) VALUES (0, 0, 0)",
      "DROP TABLE guarded",
      "CREATE TABLE x (a)",
      "CREATE TEMP TABLE x (a)",
      "ALTER TABLE guarded ADD COLUMN y",
      `ATTACH DATABASE '${outside}' AS other`,
      "DETACH DATABASE main",
      "PRAGMA query_only = OFF",
      "PRAGMA writable_schema = ON",
      "PRAGMA journal_mode = DELETE",
      `VACUUM INTO '${outside}'`,
      "VACUUM",
      "REINDEX",
      "ANALYZE",
      "BEGIN",
      "SAVEPOINT s",
      "WITH t AS (SELECT 1) INSERT INTO guarded (_partition, _offset, _timestamp) SELECT 0, 98, 0 FROM t",
      "SELECT 1; DELETE FROM guarded",
      "SELECT 1; PRAGMA query_only = OFF",
      "select 1 /* */ ; /* a comment does not hide it */ delete from guarded",
      "SELECT load_extension('/tmp/anything')",
      "EXPLAIN DELETE FROM guarded",
      "",
    ];
    for (const statement of attempts) {
      const r = await call("POST", "/sql", { sql: statement });
      expect([400, 403], `${statement}: ${r.status} ${JSON.stringify(r.json)}`).toContain(r.status);
      expect(typeof r.json.message).toBe("string");
    }
    expect((await sql("SELECT count(*), max(_offset) FROM guarded")).rows).toEqual([[1, 0]]);
    expect(fs.existsSync(outside)).toBe(false);
    // Words inside strings and quoted names are data, not statements.
    expect((await sql(`SELECT 'DELETE FROM guarded; DROP TABLE x' AS "insert", replace('a', 'a', 'b')`)).rows).toEqual([["DELETE FROM guarded; DROP TABLE x", "b"]]);
    const bad = await call("POST", "/sql", { sql: "SELECT nope FROM guarded" });
    expect(bad).toMatchObject({ status: 400, json: { error_code: 40011, message: expect.stringMatching(/no such column: nope/) } });
    expect((await call("POST", "/sql", { sql: "SELECT ?", params: [{ a: 1 }] })).status).toBe(400);
    expect((await call("POST", "/sql", { query: "SELECT 1" })).status).toBe(400);
  });

  it("stops a runaway query at the time limit while other clients are served", async () => {
    const runaway = call("POST", "/sql", { sql: "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c" });
    // While it runs: other statements, publishing and reads all answer.
    const others = await Promise.all([
      sql("SELECT 41 + 1"),
      call("POST", "/topics", { name: "meanwhile" }).then(() => call("POST", "/topics/meanwhile/records", { value: { ok: true } })),
      call("GET", "/healthz"),
    ]);
    expect(others[0].rows).toEqual([[42]]);
    expect(others[1].status).toBe(200);
    expect(others[2].status).toBe(200);
    const stopped = await runaway;
    expect(stopped).toMatchObject({ status: 400, json: { error_code: 40012, message: expect.stringMatching(/stopped after 1500 ms \(sqlTimeoutMs\)/) } });
    expect((await sql("SELECT 1")).rows).toEqual([[1]]);
  });

  it("cuts an answer at sqlRowsMax and says so", async () => {
    const r = await call("POST", "/sql", { sql: "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 1000) SELECT x FROM c" });
    expect(r.status).toBe(200);
    expect(r.json.rows).toHaveLength(50);
    expect(r.json.truncated).toBe(true);
    expect(r.json.message).toMatch(/cut at 50 rows/);
    const csv = await fetch(`${running.url}/sql`, { method: "POST", headers: { "content-type": "application/json", accept: "text/csv" }, body: JSON.stringify({ sql: "SELECT 1 UNION ALL SELECT 2" }) });
    expect(csv.headers.get("tributary-truncated")).toBe("false");
  });

  it("drops the tables of a deleted topic, skips topics that opt out, and deletes rows past warehouse.retention.ms", async () => {
    await call("POST", "/topics", { name: "doomed" });
    await call("POST", "/topics/doomed/records", { value: { n: 1 } });
    await loaded("doomed");
    expect((await call("DELETE", "/topics/doomed")).status).toBeLessThan(300);
    await until(async () => (await sql("SELECT count(*) FROM sqlite_schema WHERE name = 'doomed'")).rows[0]![0] === 0, "the table to be dropped");
    expect((await call("GET", "/warehouse")).json.topics.map((t: { topic: string }) => t.topic)).not.toContain("doomed");

    await call("POST", "/topics", { name: "private", configs: { "warehouse.enable": "false" } });
    await call("POST", "/topics/private/records", { value: { secret: 1 } });
    await call("POST", "/topics", { name: "aging", configs: { "warehouse.retention.ms": "3600000" } });
    const now = Date.now();
    await producer.send({ topic: "aging", messages: [{ value: "{\"old\":true}", timestamp: String(now - 7_200_000) }, { value: "{\"old\":false}", timestamp: String(now) }] });
    await loaded("aging");
    await until(async () => (await sql("SELECT count(*) FROM aging")).rows[0]![0] === 1, "the old row to be deleted");
    expect((await sql("SELECT json_extract(_value, '$.old') FROM aging")).rows).toEqual([[0]]);
    expect((await sql("SELECT count(*) FROM sqlite_schema WHERE name = 'private'")).rows).toEqual([[0]]);
    const status = (await call("GET", "/warehouse")).json;
    expect(status.topics.find((t: { topic: string }) => t.topic === "aging")).toMatchObject({ rows: 1, lag: 0, last_error: null });
    const metrics = await (await fetch(`${running.url}/metrics`)).text();
    expect(metrics).toMatch(/tributary_warehouse_lag_records\{topic="aging",partition="0"\} 0/);
    expect(metrics).toMatch(/tributary_warehouse_rows_loaded_total\{topic="aging"\} 2/);
  });
});

describe("warehouse off or damaged", () => {
  it("refuses to start on a file that is not a SQLite database, saying how to rebuild it", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tributary-badwarehouse-"));
    try {
      fs.writeFileSync(path.join(dataDir, "warehouse.db"), Buffer.alloc(8192, 0x41));
      await expect(serve(["--data-dir", dataDir, "--kafka-port", "0", "--http-port", "0"])).rejects.toThrow(/cannot open the warehouse .*warehouse\.db: .*rebuilt from the log when its file is removed/);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });


  it("keeps the warehouse where --warehouse says", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tributary-elsewhere-"));
    const file = path.join(dataDir, "elsewhere", "pipeline.sqlite");
    const server = await serve(["--data-dir", path.join(dataDir, "data"), "--kafka-port", "0", "--http-port", "0", "--warehouse", file]);
    try {
      const url = /http (http:\/\/\S+),/.exec(server.readyLine)![1]!;
      expect((await httpCall(url, "GET", "/warehouse")).json).toMatchObject({ warehouse: file, topics: [] });
      expect(fs.existsSync(file)).toBe(true);
      expect(fs.existsSync(path.join(dataDir, "data", "warehouse.db"))).toBe(false);
    } finally {
      server.process.kill("SIGTERM");
      await server.exited;
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("answers /sql with 404 and /warehouse with why, with --no-warehouse", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tributary-nowarehouse-"));
    const server = await serve(["--data-dir", dataDir, "--kafka-port", "0", "--http-port", "0", "--no-warehouse"]);
    try {
      const url = /http (http:\/\/\S+),/.exec(server.readyLine)![1]!;
      expect(await httpCall(url, "POST", "/sql", { sql: "SELECT 1" })).toMatchObject({ status: 404, json: { error_code: 40410 } });
      expect((await httpCall(url, "GET", "/warehouse")).json).toMatchObject({ warehouse: null });
      expect(fs.existsSync(path.join(dataDir, "warehouse.db"))).toBe(false);
    } finally {
      server.process.kill("SIGTERM");
      await server.exited;
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
