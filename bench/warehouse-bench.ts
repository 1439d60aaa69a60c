// npm run bench:warehouse: the warehouse loader against a bare insert loop of
// the same rows into the same SQLite build, in the same run. Ends with one
// JSON line.
//
// Figures: the load rate of a backlog (the loader reads the log, decodes the
// batches, parses each JSON value and writes typed rows, positions in the
// same transactions) against a bare loop that only inserts the finished rows,
// same table, same PRAGMAs, same transaction size; the lag from a record's
// acknowledgement to its row while 10,000 records a second are appended
// (p50, p99, max); one GROUP BY over the loaded rows through the query process
// (what POST /sql runs) against the same statement in this process.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LogManager } from "../src/log/log-manager.js";
import { encodeRecordBatch } from "../src/protocol/record-batch-codec.js";
import { openSqlite, type SqlValue } from "../src/warehouse/sqlite.js";
import { Warehouse } from "../src/warehouse/warehouse.js";
import { FIXED_COLUMNS, VALUE_COLUMN, columnsOfSchema, columnValue, declaredType, quoteIdentifier } from "../src/warehouse/table-shape.js";

const RECORDS = Number(process.env.BENCH_WAREHOUSE_RECORDS ?? 1_000_000);
const TRANSACTION_ROWS = 5000;
const PARTITIONS = 4;
const RATE = 10_000;
const RATE_SECONDS = Number(process.env.BENCH_WAREHOUSE_RATE_SECONDS ?? 20);
const benchDir = process.env.BENCH_DIR ?? path.join(import.meta.dirname, "out");
fs.mkdirSync(benchDir, { recursive: true });
const root = fs.mkdtempSync(path.join(benchDir, "warehouse-"));
const results: Record<string, number> = {};

function report(name: string, value: number, unit: string): void {
  results[name] = Number(value.toFixed(3));
  console.log(`${name.padEnd(56)} ${value.toLocaleString("en-US", { maximumFractionDigits: 2 }).padStart(12)} ${unit}`);
}

const schema = {
  type: "object",
  properties: { id: { type: "string" }, customer: { type: "string" }, total: { type: "number" }, qty: { type: "integer" }, paid: { type: "boolean" }, lines: { type: "array" } },
};
const schemaText = JSON.stringify(schema);
function order(i: number): Record<string, unknown> {
  return { id: `o-${i}`, customer: `c-${i % 1000}`, total: (i % 977) + 0.25, qty: i % 13, paid: i % 3 === 0, lines: [{ sku: `s-${i % 50}`, n: 1 }] };
}
const headersOf = (i: number) => [{ key: "source", value: Buffer.from(i % 2 ? "web" : "kafka") }];

console.log(`warehouse benchmark: ${os.cpus().length} cpus, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${RECORDS.toLocaleString("en-US")} records over ${PARTITIONS} partitions, ${TRANSACTION_ROWS} rows a transaction, ${openSqlite(":memory:").driver}`);

// The backlog: RECORDS JSON records in batches of 500.
const dataDir = path.join(root, "data");
const logs = await LogManager.open({ dataDir, maintenanceIntervalMs: 0 });
await logs.createTopic("orders", { partitions: PARTITIONS });
for (let i = 0; i < RECORDS; i += 500) {
  const records = Array.from({ length: Math.min(500, RECORDS - i) }, (_, j) => ({ key: Buffer.from(`c-${(i + j) % 1000}`), value: Buffer.from(JSON.stringify(order(i + j))), headers: headersOf(i + j) }));
  await logs.partition("orders", (i / 500) % PARTITIONS).append(await encodeRecordBatch(records));
}

// Reference: the same rows, finished in advance, inserted by a bare loop.
function bareInserts(): number {
  const file = path.join(root, "bare.db");
  const db = openSqlite(file);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  const { columns } = columnsOfSchema(schema, 500);
  db.exec(`CREATE TABLE orders (_partition INTEGER NOT NULL, _offset INTEGER NOT NULL, _timestamp INTEGER NOT NULL, _key, _headers TEXT, ${VALUE_COLUMN}${columns.map((c) => `, ${quoteIdentifier(c.name)} ${declaredType(c.type)}`).join("")}, PRIMARY KEY (_partition, _offset)) WITHOUT ROWID`);
  db.exec("CREATE TABLE positions (topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL, rows INTEGER NOT NULL, PRIMARY KEY (topic, partition))");
  const names = [...FIXED_COLUMNS, ...columns.map((c) => c.name), VALUE_COLUMN].map(quoteIdentifier).join(", ");
  const insert = db.prepare(`INSERT INTO orders (${names}) VALUES (${new Array(FIXED_COLUMNS.length + columns.length + 1).fill("?").join(", ")})`);
  const position = db.prepare("INSERT INTO positions VALUES (?, ?, ?, ?) ON CONFLICT (topic, partition) DO UPDATE SET next_offset = excluded.next_offset, rows = excluded.rows");
  const rows: SqlValue[][] = [];
  for (let i = 0; i < RECORDS; i++) {
    const value = order(i);
    rows.push([i % PARTITIONS, i, Date.now(), `c-${i % 1000}`, `{"source":"${i % 2 ? "web" : "kafka"}"}`, ...columns.map((c) => columnValue(c.type, value[c.name])), JSON.stringify(value)]);
  }
  const started = performance.now();
  for (let i = 0; i < rows.length; i += TRANSACTION_ROWS) {
    db.transaction(() => {
      for (const row of rows.slice(i, i + TRANSACTION_ROWS)) insert.run(...row);
      position.run("orders", 0, i + TRANSACTION_ROWS, i + TRANSACTION_ROWS);
    });
  }
  const rate = RECORDS / ((performance.now() - started) / 1000);
  db.close();
  return rate;
}

function options(file: string) {
  return {
    file,
    valueSchema: () => ({ id: 1, text: schemaText }),
    decodeFramed: () => {
      throw new Error("not framed");
    },
    transactionRowsMax: TRANSACTION_ROWS,
    columnsMax: 500,
    retentionIntervalMs: 3_600_000,
    log: () => {},
    query: { timeoutMs: 60_000, memoryBytesMax: 4 * 1024 ** 3, rowsMax: 10_000, bytesMax: 32 * 1024 * 1024, concurrentMax: 4 },
  };
}

async function loadedUpTo(warehouse: Warehouse): Promise<number[]> {
  const topic = (await warehouse.status()).find((t) => t.topic === "orders");
  return topic ? topic.partitions.map((p) => p.loadedUpTo) : [];
}

// A second reference: what a loader must do besides inserting, alone: parse each stored value and take its columns.
function bareParsing(): number {
  const { columns } = columnsOfSchema(schema, 500);
  const values = Array.from({ length: 100_000 }, (_, i) => Buffer.from(JSON.stringify(order(i))));
  let kept = 0;
  const started = performance.now();
  for (const value of values) {
    const text = value.toString("utf8");
    const json = JSON.parse(text) as Record<string, unknown>;
    const row: SqlValue[] = [0, 0, 0, null, null];
    for (const c of columns) row.push(columnValue(c.type, json[c.name]));
    row.push(text);
    kept += row.length;
  }
  if (kept === 0) throw new Error("nothing parsed");
  return values.length / ((performance.now() - started) / 1000);
}

/** Appends RATE records a second (a batch every 10 ms) until `stopAt`; the append latencies, sorted. */
async function produceAtRate(topic: string, stopAt: number, onAck: (partition: number, first: number, last: number, at: number) => void = () => {}): Promise<number[]> {
  const perTick = RATE / 100;
  const latencies: number[] = [];
  let n = 0;
  for (let next = performance.now(); performance.now() < stopAt; next += 10) {
    const partition = n++ % PARTITIONS;
    const batch = await encodeRecordBatch(Array.from({ length: perTick }, (_, j) => ({ key: null, value: Buffer.from(JSON.stringify(order(n * perTick + j))) })));
    const sent = performance.now();
    const result = await logs.partition(topic, partition).append(batch);
    const at = performance.now();
    latencies.push(at - sent);
    onAck(partition, result.baseOffset, result.lastOffset, at);
    await new Promise((r) => setTimeout(r, Math.max(0, next + 10 - performance.now())));
  }
  return latencies.sort((a, b) => a - b);
}
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

await logs.createTopic("quiet", { partitions: PARTITIONS });
const appendAlone = await produceAtRate("quiet", performance.now() + RATE_SECONDS * 500);

const bare = bareInserts();
report("reference: bare insert loop of the finished rows", bare, "rows/s");
const parsing = bareParsing();
report("reference: bare parsing of the values into columns", parsing, "rows/s");
const serialBound = 1 / (1 / bare + 1 / parsing);
report("  both, one after the other (a one-thread loader's bound)", serialBound, "rows/s");
const file = path.join(root, "warehouse.db");
const started = performance.now();
const warehouse = Warehouse.open(logs, options(file));
for (;;) {
  const upTo = await loadedUpTo(warehouse);
  if (upTo.reduce((a, b) => a + b, 0) >= RECORDS) break;
  await new Promise((r) => setTimeout(r, 5));
}
const loadRate = RECORDS / ((performance.now() - started) / 1000);
report("warehouse loader: log to typed rows", loadRate, "rows/s");
report("  ratio to the bare insert loop (target >= 0.7)", loadRate / bare, "");
report("  ratio to inserts plus parsing", loadRate / serialBound, "");

// One aggregate over the loaded rows: through the query process, and in this process.
const statement = "SELECT customer, sum(total), count(*) FROM orders GROUP BY 1 ORDER BY 2 DESC LIMIT 5";
let t = performance.now();
const answer = await warehouse.query(statement);
const viaProcess = performance.now() - t;
if (answer.rows.length !== 5) throw new Error(`unexpected answer ${JSON.stringify(answer)}`);
const direct = openSqlite(file, { readonly: true });
t = performance.now();
direct.prepare(statement).values();
const inProcess = performance.now() - t;
direct.close();
t = performance.now();
await warehouse.query("SELECT 1");
const processStart = performance.now() - t;
report(`GROUP BY over ${RECORDS.toLocaleString("en-US")} rows via the query process`, viaProcess, "ms");
report("  reference: the same statement in this process", inProcess, "ms");
report("  a trivial statement via the query process (its start)", processStart, "ms");

// Lag while RATE records a second are appended: acknowledgement to row, per record.
const lagTopic = "live";
await logs.createTopic(lagTopic, { partitions: PARTITIONS });
const acked: { partition: number; offset: number; at: number }[] = [];
const lags: number[] = [];
let pending: { partition: number; offset: number; at: number }[] = [];
const stopAt = performance.now() + RATE_SECONDS * 1000;
const producer = produceAtRate(lagTopic, stopAt, (partition, first, last, at) => {
  for (let o = first; o <= last; o++) acked.push({ partition, offset: o, at });
});
const watcher = (async () => {
  while (performance.now() < stopAt + 2000) {
    pending.push(...acked.splice(0));
    const topic = (await warehouse.status()).find((x) => x.topic === lagTopic);
    const upTo = topic ? topic.partitions.map((p) => p.loadedUpTo) : [];
    const now = performance.now();
    pending = pending.filter((r) => {
      if ((upTo[r.partition] ?? 0) > r.offset) {
        lags.push(now - r.at);
        return false;
      }
      return true;
    });
    if (performance.now() > stopAt && pending.length === 0 && acked.length === 0) break;
    await new Promise((r) => setTimeout(r, 2));
  }
})();
const appendWithWarehouse = await producer;
await watcher;
lags.sort((a, b) => a - b);
const pct = (q: number) => quantile(lags, q);
report(`lag at ${RATE.toLocaleString("en-US")} records/s for ${RATE_SECONDS} s: records`, lags.length, "");
report("  lag p50", pct(0.5), "ms");
report("  lag p99 (target <= 1000)", pct(0.99), "ms");
report("  lag max", lags[lags.length - 1] ?? NaN, "ms");
if (pending.length) report("  records never loaded", pending.length, "");
report("append latency p99 at that rate, warehouse loading", quantile(appendWithWarehouse, 0.99), "ms");
report("  reference: the same before the warehouse was opened", quantile(appendAlone, 0.99), "ms");

await warehouse.close();
await logs.close();
fs.rmSync(root, { recursive: true, force: true });
console.log(JSON.stringify({ bench: "warehouse", records: RECORDS, cpus: os.cpus().length, ...results }));
