// Loads every topic into a SQLite file, exactly once: one table per topic
// (named after it), one row per record, typed columns from the topic's value
// JSON Schema. The position of each partition is written in the same
// transaction as its rows, so after a crash anywhere the loader resumes where
// the file says it stopped: no record twice, none missing. The loader reads
// the store at its own pace (it wakes when data arrives) and never stands in
// the way of a producer; its lag is reported.
//
// Compacted topics also get `<topic>_latest`: one row per key, its latest
// value, a tombstone deleting it.

import { isUtf8 } from "node:buffer";
import type { LogStore, PartitionStore } from "../log/store.js";
import { inAbortedTransaction, waitForCommitted } from "../log/store.js";
import { decodeRecordBatch, splitBatches, type DecodedRecord } from "../protocol/record-batch-codec.js";
import type { SqliteDatabase, SqliteStatement, SqlValue } from "./sqlite.js";
import { FIXED_COLUMNS, VALUE_COLUMN, columnHolds, columnValue, columnsOfSchema, declaredType, quoteIdentifier, type ColumnType, type PropertyColumn } from "./table-shape.js";

/** The latest value schema of a topic (JSON Schema text), with an id that changes when it does. */
export interface ValueSchema {
  id: number;
  text: string;
}

export interface WarehouseLoaderOptions {
  /** The topic's latest JSON Schema for values; undefined when it has none. */
  valueSchema(topic: string): ValueSchema | undefined;
  /** A value framed in the registry's wire format (magic 0, schema id) as JSON; throws when it cannot be read. */
  decodeFramed(value: Buffer): unknown;
  /** Rows written in one transaction at most. */
  transactionRowsMax: number;
  /** Stored bytes of records written in one transaction, about (a transaction holds the thread while it runs). */
  transactionBytesMax?: number;
  /**
   * Share of the process's time the loader may take while it works through a
   * backlog and clients are being served (it runs on the thread that serves
   * them): after a transaction that took T ms it rests T x (1/share - 1) ms.
   * 1: no rest.
   */
  loadShareMax?: number;
  /** True while clients are being served: the loader rests only then (when idle it loads at full speed). */
  clientsActive?: () => boolean;
  /** Property columns one table may have. */
  columnsMax: number;
  /** How often rows past `warehouse.retention.ms` are deleted. */
  retentionIntervalMs: number;
  /** An operations-log line: what the loader did (info), a problem with a topic's data (warn), a failure (error). */
  log(level: "info" | "warn" | "error", line: string): void;
  /** Told of rows loaded, for metrics. */
  onRows?(topic: string, rows: number): void;
  /** Told after each transaction where a partition's loading now stands (cluster mode shows it as a consumer group's offsets). */
  onLoaded?(topic: string, partition: number, nextOffset: number): void;
}

/** One partition as GET /warehouse reports it. */
export interface PartitionLoadStatus {
  partition: number;
  /** Every record below this offset is loaded. */
  loadedUpTo: number;
  highWatermark: number;
  rows: number;
}

export interface TopicLoadStatus {
  topic: string;
  table: string | null;
  latestTable: string | null;
  enabled: boolean;
  columns: { name: string; type: string }[];
  partitions: PartitionLoadStatus[];
  rows: number;
  /** Properties whose type changed to one the old column does not hold, and properties without a column. */
  conflicts: string[];
  lastError: string | null;
}

interface TableState {
  topic: string;
  topicId: string;
  table: string;
  latestTable: string | null;
  columns: PropertyColumn[];
  schemaId: number | null;
  conflicts: string[];
  skipped: string[];
  insert: SqliteStatement | undefined;
  upsertLatest: SqliteStatement | undefined;
  deleteLatest: SqliteStatement | undefined;
  lastError: string | null;
  /** No loading before this time after an error. */
  retryAtMs: number;
  failures: number;
}

interface Position {
  nextOffset: number;
  rows: number;
}

const META = "_tributary_tables";
const POSITIONS = "_tributary_positions";
/** Bytes read from a partition at once. */
const READ_BYTES = 1024 * 1024;
/** How long the loader sleeps when no partition has news (it wakes on data before). */
const IDLE_WAIT_MS = 100;
const RETRY_FIRST_MS = 200;
const RETRY_MAX_MS = 30_000;

/** Topic names the warehouse cannot use as table names. */
function unusableName(topic: string): string | undefined {
  if (topic.startsWith("_tributary_")) return "names starting with _tributary_ are the warehouse's own";
  if (topic.toLowerCase().startsWith("sqlite_")) return "SQLite keeps names starting with sqlite_ for itself";
  return undefined;
}

function isCompacted(policy: string): boolean {
  return policy.includes("compact");
}

function keyValue(key: Buffer | null): SqlValue {
  if (key === null) return null;
  return isUtf8(key) ? key.toString("utf8") : key;
}

/** A header value as a JSON string: plain printable ASCII directly, anything else through JSON.stringify. */
function jsonString(bytes: Buffer): string {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b < 0x20 || b > 0x7e || b === 0x22 || b === 0x5c) return JSON.stringify(bytes.toString("utf8"));
  }
  return `"${bytes.toString("latin1")}"`;
}

/** The headers as a JSON object (a repeated key keeps its last value, as in HTTP answers); NULL when there are none. */
function headersJson(r: DecodedRecord): string | null {
  if (r.headers.length === 0) return null;
  if (r.headers.length === 1) {
    const h = r.headers[0]!;
    return `{${JSON.stringify(h.key)}:${h.value === null ? "null" : jsonString(h.value)}}`;
  }
  return JSON.stringify(Object.fromEntries(r.headers.map((h) => [h.key, h.value?.toString("utf8") ?? null])));
}

export class WarehouseLoader {
  private readonly tables = new Map<string, TableState>();
  private readonly positions = new Map<string, Position>();
  private readonly reported = new Set<string>();
  private readonly stop = new AbortController();
  private running: Promise<void> | undefined;
  private lastRetentionMs = 0;
  private readonly setPosition: SqliteStatement;
  private readonly highWatermarks = new Map<string, number>();

  constructor(private readonly db: SqliteDatabase, private readonly store: LogStore, private readonly options: WarehouseLoaderOptions) {
    db.exec("PRAGMA journal_mode = WAL");
    // Positions roll back with their rows, so a lost last transaction is loaded again: NORMAL is enough.
    db.exec("PRAGMA synchronous = NORMAL");
    db.exec(`CREATE TABLE IF NOT EXISTS ${META} (topic TEXT PRIMARY KEY, topic_id TEXT NOT NULL, table_name TEXT NOT NULL, latest_table TEXT, columns TEXT NOT NULL, schema_id INTEGER)`);
    db.exec(`CREATE TABLE IF NOT EXISTS ${POSITIONS} (topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL, rows INTEGER NOT NULL, PRIMARY KEY (topic, partition))`);
    this.setPosition = db.prepare(`INSERT INTO ${POSITIONS} (topic, partition, next_offset, rows) VALUES (?, ?, ?, ?) ON CONFLICT (topic, partition) DO UPDATE SET next_offset = excluded.next_offset, rows = excluded.rows`);
    for (const [topic, partition, nextOffset, rows] of db.prepare(`SELECT topic, partition, next_offset, rows FROM ${POSITIONS}`).values()) {
      this.positions.set(`${topic}\u0000${partition}`, { nextOffset: Number(nextOffset), rows: Number(rows) });
    }
    for (const [topic, topicId, table, latestTable, columns, schemaId] of db.prepare(`SELECT topic, topic_id, table_name, latest_table, columns, schema_id FROM ${META}`).values()) {
      const state = this.newState(String(topic), String(topicId), String(table), JSON.parse(String(columns)) as PropertyColumn[]);
      state.latestTable = latestTable === null ? null : String(latestTable);
      state.schemaId = schemaId === null ? null : Number(schemaId);
      this.tables.set(state.topic, state);
    }
  }

  start(): void {
    this.running ??= this.run().catch((err: Error) => this.options.log("error", `loader stopped: ${err.stack ?? err.message}`));
  }

  async close(): Promise<void> {
    this.stop.abort();
    await this.running;
    this.db.close();
  }

  private newState(topic: string, topicId: string, table: string, columns: PropertyColumn[]): TableState {
    return {
      topic, topicId, table, latestTable: null, columns, schemaId: null, conflicts: [], skipped: [],
      insert: undefined, upsertLatest: undefined, deleteLatest: undefined, lastError: null, retryAtMs: 0, failures: 0,
    };
  }

  private async run(): Promise<void> {
    while (!this.stop.signal.aborted) {
      this.syncTopics();
      let loaded = 0;
      const waits: { topic: string; partition: number; offset: number }[] = [];
      for (const state of this.tables.values()) {
        if (this.stop.signal.aborted) break;
        if (!this.loading(state)) continue;
        for (let p = 0; p < this.partitionCount(state.topic); p++) {
          const position = this.position(state.topic, p);
          try {
            const started = performance.now();
            const rows = await this.loadPartition(state, this.store.partition(state.topic, p), position);
            loaded += rows;
            if (rows > 0) await this.rest(performance.now() - started);
            if (state.failures) this.recovered(state);
          } catch (err) {
            this.failed(state, err as Error);
            break;
          }
          waits.push({ topic: state.topic, partition: p, offset: position.nextOffset });
        }
      }
      this.applyRetention(Date.now());
      if (loaded === 0 && !this.stop.signal.aborted) await waitForCommitted(this.store, waits, IDLE_WAIT_MS, this.stop.signal);
      else await new Promise((resolve) => setImmediate(resolve)); // let the servers in between transactions
    }
  }

  private partitionCount(topic: string): number {
    try {
      return this.store.partitionCount(topic);
    } catch {
      return 0; // deleted meanwhile; the next round drops it
    }
  }

  private loading(state: TableState): boolean {
    if (Date.now() < state.retryAtMs || !this.store.hasTopic(state.topic)) return false;
    return this.enabled(state.topic);
  }

  private enabled(topic: string): boolean {
    try {
      return this.store.partition(topic, 0).topicConfig.warehouseEnable;
    } catch {
      return false;
    }
  }

  private position(topic: string, partition: number): Position {
    const key = `${topic}\u0000${partition}`;
    let position = this.positions.get(key);
    if (!position) this.positions.set(key, (position = { nextOffset: 0, rows: 0 }));
    return position;
  }

  /** Creates the tables of new topics, drops those of deleted (or deleted and created again) ones, follows schema changes. */
  private syncTopics(): void {
    const live = new Map(this.store.listTopics().map((t) => [t.name, t]));
    for (const state of [...this.tables.values()]) {
      const topic = live.get(state.topic);
      if (!topic || topic.id !== state.topicId) this.dropTables(state);
    }
    for (const topic of live.values()) {
      let state = this.tables.get(topic.name);
      if (!state) {
        if (!this.enabled(topic.name)) continue;
        const unusable = unusableName(topic.name) ??
          ([...this.tables.values()].some((t) => t.latestTable?.toLowerCase() === topic.name.toLowerCase()) ? "a compacted topic's latest table has that name" : undefined);
        if (unusable) {
          this.once(`name:${topic.name}`, `topic '${topic.name}' is not loaded: ${unusable}`);
          continue;
        }
        try {
          state = this.createTables(topic.name, topic.id);
        } catch (err) {
          this.once(`create:${topic.name}`, `cannot create the table of topic '${topic.name}': ${(err as Error).message}`);
          continue;
        }
      }
      try {
        this.followSchema(state);
        this.followCompaction(state);
      } catch (err) {
        this.failed(state, err as Error);
      }
    }
  }

  private createTables(topic: string, topicId: string): TableState {
    const state = this.newState(topic, topicId, topic, []);
    this.db.transaction(() => {
      this.db.exec(`CREATE TABLE IF NOT EXISTS ${quoteIdentifier(topic)} (_partition INTEGER NOT NULL, _offset INTEGER NOT NULL, _timestamp INTEGER NOT NULL, _key, _headers TEXT, ${VALUE_COLUMN}, PRIMARY KEY (_partition, _offset)) WITHOUT ROWID`);
      this.db.prepare(`INSERT OR REPLACE INTO ${META} (topic, topic_id, table_name, latest_table, columns, schema_id) VALUES (?, ?, ?, NULL, '[]', NULL)`).run(topic, topicId, topic);
      this.db.prepare(`DELETE FROM ${POSITIONS} WHERE topic = ?`).run(topic);
    });
    for (const key of [...this.positions.keys()]) if (key.startsWith(`${topic}\u0000`)) this.positions.delete(key);
    this.tables.set(topic, state);
    this.options.log("info", `loading topic '${topic}' into table ${quoteIdentifier(topic)}`);
    return state;
  }

  private dropTables(state: TableState): void {
    this.db.transaction(() => {
      this.db.exec(`DROP TABLE IF EXISTS ${quoteIdentifier(state.table)}`);
      if (state.latestTable) this.db.exec(`DROP TABLE IF EXISTS ${quoteIdentifier(state.latestTable)}`);
      this.db.prepare(`DELETE FROM ${META} WHERE topic = ?`).run(state.topic);
      this.db.prepare(`DELETE FROM ${POSITIONS} WHERE topic = ?`).run(state.topic);
    });
    this.tables.delete(state.topic);
    for (const key of [...this.positions.keys()]) if (key.startsWith(`${state.topic}\u0000`)) this.positions.delete(key);
    this.options.log("info", `topic '${state.topic}' is gone: dropped its table${state.latestTable ? "s" : ""}`);
  }

  /** Adds a column for each new property of the value schema; reports types the old columns do not hold. */
  private followSchema(state: TableState): void {
    const schema = this.options.valueSchema(state.topic);
    if (!schema || schema.id === state.schemaId) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(schema.text);
    } catch {
      return;
    }
    const { columns, skipped } = columnsOfSchema(parsed, Math.max(0, this.options.columnsMax));
    const have = new Map(state.columns.map((c) => [c.name.toLowerCase(), c]));
    const added: PropertyColumn[] = [];
    const conflicts: string[] = [];
    for (const column of columns) {
      const existing = have.get(column.name.toLowerCase());
      if (!existing) {
        if (state.columns.length + added.length < this.options.columnsMax) added.push(column);
        else skipped.push(`property '${column.name}' is past warehouseColumnsMax (${this.options.columnsMax})`);
      } else if (!columnHolds(existing.type, column.type)) {
        conflicts.push(`property '${column.name}' is now ${column.type} but its column is ${existing.type}: values of the new type are NULL there (the record stays whole in _value)`);
      }
    }
    const tables = [state.table, ...(state.latestTable ? [state.latestTable] : [])];
    this.db.transaction(() => {
      for (const column of added) {
        for (const table of tables) this.db.exec(`ALTER TABLE ${quoteIdentifier(table)} ADD COLUMN ${quoteIdentifier(column.name)} ${declaredType(column.type)}`);
      }
      this.db.prepare(`UPDATE ${META} SET columns = ?, schema_id = ? WHERE topic = ?`).run(JSON.stringify([...state.columns, ...added]), schema.id, state.topic);
    });
    state.columns = [...state.columns, ...added];
    state.schemaId = schema.id;
    state.skipped = skipped;
    for (const conflict of conflicts) this.once(`conflict:${state.topic}:${conflict}`, `topic '${state.topic}': ${conflict}`);
    state.conflicts = conflicts;
    if (added.length) this.options.log("info", `table ${quoteIdentifier(state.table)} gained column${added.length > 1 ? "s" : ""} ${added.map((c) => `${c.name} ${c.type}`).join(", ")}`);
    this.prepareStatements(state);
  }

  /** A compacted topic gets `<topic>_latest`, filled from what is loaded so far. */
  private followCompaction(state: TableState): void {
    if (state.latestTable !== null || !isCompacted(this.store.partition(state.topic, 0).topicConfig.cleanupPolicy)) {
      if (!state.insert) this.prepareStatements(state);
      return;
    }
    const latest = `${state.topic}_latest`;
    if (this.store.hasTopic(latest) || this.tables.has(latest)) {
      this.once(`latest:${state.topic}`, `no table ${quoteIdentifier(latest)} for compacted topic '${state.topic}': a topic has that name`);
      if (!state.insert) this.prepareStatements(state);
      return;
    }
    const columns = this.columnList(state);
    this.db.transaction(() => {
      this.db.exec(`CREATE TABLE IF NOT EXISTS ${quoteIdentifier(latest)} (_key PRIMARY KEY NOT NULL, _partition INTEGER NOT NULL, _offset INTEGER NOT NULL, _timestamp INTEGER NOT NULL, _headers TEXT, ${VALUE_COLUMN}${state.columns.map((c) => `, ${quoteIdentifier(c.name)} ${declaredType(c.type)}`).join("")})`);
      this.db.exec(`INSERT INTO ${quoteIdentifier(latest)} (${columns}) SELECT ${columns} FROM ${quoteIdentifier(state.table)} WHERE _key IS NOT NULL ORDER BY _partition, _offset ON CONFLICT (_key) DO UPDATE SET ${this.updateList(state)}`);
      this.db.exec(`DELETE FROM ${quoteIdentifier(latest)} WHERE ${VALUE_COLUMN} IS NULL`);
      this.db.prepare(`UPDATE ${META} SET latest_table = ? WHERE topic = ?`).run(latest, state.topic);
    });
    state.latestTable = latest;
    this.options.log("info", `compacted topic '${state.topic}' has its latest values in table ${quoteIdentifier(latest)}`);
    this.prepareStatements(state);
  }

  private columnList(state: TableState): string {
    return [...FIXED_COLUMNS, ...state.columns.map((c) => c.name), VALUE_COLUMN].map(quoteIdentifier).join(", ");
  }

  private updateList(state: TableState): string {
    return [...FIXED_COLUMNS.filter((c) => c !== "_key"), ...state.columns.map((c) => c.name), VALUE_COLUMN].map((c) => `${quoteIdentifier(c)} = excluded.${quoteIdentifier(c)}`).join(", ");
  }

  private prepareStatements(state: TableState): void {
    const columns = this.columnList(state);
    const marks = new Array(FIXED_COLUMNS.length + state.columns.length + 1).fill("?").join(", ");
    state.insert = this.db.prepare(`INSERT INTO ${quoteIdentifier(state.table)} (${columns}) VALUES (${marks})`);
    if (state.latestTable) {
      const latest = quoteIdentifier(state.latestTable);
      state.upsertLatest = this.db.prepare(`INSERT INTO ${latest} (${columns}) VALUES (${marks}) ON CONFLICT (_key) DO UPDATE SET ${this.updateList(state)}`);
      state.deleteLatest = this.db.prepare(`DELETE FROM ${latest} WHERE _key = ?`);
    }
  }

  /** Loads what the partition holds past the loader's position, a transaction at a time; the rows loaded. */
  private async loadPartition(state: TableState, log: PartitionStore, position: Position): Promise<number> {
    const offsets = await log.offsets();
    this.highWatermarks.set(`${state.topic}\u0000${log.partition}`, offsets.highWatermark);
    if (position.nextOffset < offsets.logStartOffset) {
      this.once(`gap:${state.topic}:${log.partition}:${position.nextOffset}`, `${state.topic}-${log.partition}: offsets ${position.nextOffset} to ${offsets.logStartOffset - 1} were deleted from the log before they were loaded`);
      position.nextOffset = offsets.logStartOffset;
    }
    // Read committed: up to the last stable offset, without markers or the records of aborted transactions.
    const stable = offsets.lastStableOffset;
    if (position.nextOffset >= stable) return 0;
    const rows: DecodedRecord[] = [];
    let next = position.nextOffset;
    let bytes = 0;
    const bytesMax = this.options.transactionBytesMax ?? Infinity;
    const aborted = log.abortedTransactions(next, stable);
    while (next < stable && rows.length < this.options.transactionRowsMax && bytes < bytesMax) {
      const read = await log.read(next, Math.min(READ_BYTES, Math.max(1, bytesMax - bytes)));
      if (read.records.length === 0) break;
      bytes += read.records.length;
      for (const bytes of splitBatches(read.records)) {
        const batch = await decodeRecordBatch(bytes);
        const { baseOffset, lastOffsetDelta, producerId } = batch.header;
        if (baseOffset >= stable) break;
        const end = baseOffset + lastOffsetDelta + 1;
        if (end <= next) continue;
        const abortedBatch = batch.isTransactional && inAbortedTransaction(aborted, producerId, baseOffset);
        if (!batch.isControl && !abortedBatch) for (const r of batch.records) if (r.offset >= next) rows.push(r);
        next = end;
      }
      if (next >= stable) break;
    }
    if (next === position.nextOffset) return 0;
    this.writeRows(state, log.partition, rows, position, next);
    this.options.onRows?.(state.topic, rows.length);
    this.options.onLoaded?.(state.topic, log.partition, next);
    return rows.length;
  }

  private writeRows(state: TableState, partition: number, records: DecodedRecord[], position: Position, next: number): void {
    const insert = state.insert!;
    this.db.transaction(() => {
      for (const r of records) {
        const values = this.rowValues(state, partition, r);
        insert.run(...values);
        if (state.latestTable && r.key !== null) {
          if (r.value === null) state.deleteLatest!.run(values[3]!);
          else state.upsertLatest!.run(...values);
        }
      }
      this.setPosition.run(state.topic, partition, next, position.rows + records.length);
    });
    position.nextOffset = next;
    position.rows += records.length;
  }

  private rowValues(state: TableState, partition: number, r: DecodedRecord): SqlValue[] {
    const { json, stored } = this.readValue(r.value);
    const properties = json !== null && typeof json === "object" && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
    const values: SqlValue[] = [partition, r.offset, r.timestamp, keyValue(r.key), headersJson(r)];
    for (const column of state.columns) values.push(properties ? columnValue(column.type, properties[column.name]) : null);
    values.push(stored);
    return values;
  }

  /** The value as JSON (undefined when it is not) and as `_value` stores it: JSON text, or the bytes. */
  private readValue(value: Buffer | null): { json: unknown; stored: SqlValue } {
    if (value === null) return { json: undefined, stored: null };
    if (value.length >= 5 && value[0] === 0) {
      try {
        const json = this.options.decodeFramed(value);
        return { json, stored: JSON.stringify(json) };
      } catch {
        return { json: undefined, stored: value };
      }
    }
    if (!isUtf8(value)) return { json: undefined, stored: value };
    const text = value.toString("utf8");
    try {
      return { json: JSON.parse(text), stored: text };
    } catch {
      return { json: undefined, stored: value };
    }
  }

  private applyRetention(now: number): void {
    if (now - this.lastRetentionMs < this.options.retentionIntervalMs) return;
    this.lastRetentionMs = now;
    for (const state of this.tables.values()) {
      let retentionMs: number;
      try {
        retentionMs = this.store.partition(state.topic, 0).topicConfig.warehouseRetentionMs;
      } catch {
        continue;
      }
      if (retentionMs < 0) continue;
      try {
        this.db.transaction(() => {
          const counts = this.db.prepare(`SELECT _partition, count(*) FROM ${quoteIdentifier(state.table)} WHERE _timestamp < ? GROUP BY _partition`).values(now - retentionMs);
          this.db.prepare(`DELETE FROM ${quoteIdentifier(state.table)} WHERE _timestamp < ?`).run(now - retentionMs);
          for (const [partition, count] of counts) {
            const position = this.position(state.topic, Number(partition));
            position.rows -= Number(count);
            this.setPosition.run(state.topic, Number(partition), position.nextOffset, position.rows);
          }
        });
      } catch (err) {
        this.failed(state, err as Error);
      }
    }
  }

  private failed(state: TableState, err: Error): void {
    state.failures++;
    state.lastError = err.message;
    state.retryAtMs = Date.now() + Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** Math.min(state.failures - 1, 20));
    this.once(`error:${state.topic}:${err.message}`, `topic '${state.topic}': ${err.message} (retrying)`);
    // Statements may refer to a table that changed under them: prepare anew on the next try.
    state.insert = undefined;
    state.schemaId = null;
  }

  private recovered(state: TableState): void {
    state.failures = 0;
    state.lastError = null;
    this.options.log("info", `topic '${state.topic}' loads again`);
  }

  /** Rests after `busyMs` of loading, so that producers keep their share of the thread (loadShareMax). */
  private async rest(busyMs: number): Promise<void> {
    const share = this.options.loadShareMax ?? 1;
    if (share >= 1 || this.stop.signal.aborted || this.options.clientsActive?.() === false) return;
    const ms = Math.min(1000, busyMs * (1 / share - 1));
    if (ms < 1) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.stop.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
  }

  /** Logs a line once per distinct problem, not once per round. */
  private once(key: string, line: string): void {
    if (this.reported.has(key)) return;
    if (this.reported.size > 10_000) this.reported.clear();
    this.reported.add(key);
    this.options.log("warn", line);
  }

  /** Where each topic's loading stands. */
  async status(): Promise<TopicLoadStatus[]> {
    const out: TopicLoadStatus[] = [];
    for (const state of this.tables.values()) {
      const partitions: PartitionLoadStatus[] = [];
      for (let p = 0; p < this.partitionCount(state.topic); p++) {
        let highWatermark = this.highWatermarks.get(`${state.topic}\u0000${p}`) ?? 0;
        try {
          highWatermark = (await this.store.partition(state.topic, p).offsets()).highWatermark;
        } catch {
          // gone meanwhile
        }
        const position = this.position(state.topic, p);
        partitions.push({ partition: p, loadedUpTo: position.nextOffset, highWatermark, rows: position.rows });
      }
      out.push({
        topic: state.topic, table: state.table, latestTable: state.latestTable, enabled: this.enabled(state.topic),
        columns: state.columns.map((c) => ({ name: c.name, type: c.type === "ANY" ? "ANY" : c.type })),
        partitions, rows: partitions.reduce((sum, p) => sum + p.rows, 0),
        conflicts: [...state.conflicts, ...state.skipped], lastError: state.lastError,
      });
    }
    return out;
  }

  /** Column types of a table, for tests and the status page. */
  columnsOf(topic: string): { name: string; type: ColumnType }[] | undefined {
    return this.tables.get(topic)?.columns.map((c) => ({ ...c }));
  }
}
