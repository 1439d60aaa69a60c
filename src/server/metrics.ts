// Prometheus metrics of one broker (its own registry, so several brokers can
// share a process): the process itself, records and bytes in and out per
// topic, each partition's size and offsets, Kafka requests and the error codes
// answered per API and version, open connections, produce and fetch latency,
// fdatasync latency, consumer lag, schema rejections, archive and warehouse.

import client from "prom-client";
import { kafkaErrorName } from "../protocol/kafka-error-codes.js";
import type { LogStore, PartitionState } from "../log/store.js";
import type { PartitionArchiveStatus } from "../archive/archiver.js";
import type { RecordValidation } from "../schema/record-validation.js";
import type { TopicLoadStatus } from "../warehouse/warehouse.js";

export type Source = "http" | "kafka";

export class BrokerMetrics {
  readonly registry = new client.Registry();
  private readonly recordsIn = new client.Counter({ name: "tributary_records_in_total", help: "records appended", labelNames: ["topic", "source"], registers: [this.registry] });
  private readonly bytesIn = new client.Counter({ name: "tributary_bytes_in_total", help: "record batch bytes appended", labelNames: ["topic", "source"], registers: [this.registry] });
  private readonly bytesOut = new client.Counter({ name: "tributary_bytes_out_total", help: "record batch bytes served to readers", labelNames: ["topic", "source"], registers: [this.registry] });
  private readonly recordsOut = new client.Counter({ name: "tributary_records_out_total", help: "records served to HTTP readers and streams", labelNames: ["topic", "source"], registers: [this.registry] });
  readonly produceLatency = new client.Histogram({
    name: "tributary_produce_latency_seconds", help: "time from a produce request to its durable acknowledgement", labelNames: ["source"],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers: [this.registry],
  });
  readonly fetchLatency = new client.Histogram({
    name: "tributary_fetch_latency_seconds", help: "time to answer a fetch (long polls included)", labelNames: ["source"],
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30], registers: [this.registry],
  });
  private readonly trailing = new client.Counter({
    name: "tributary_kafka_request_trailing_bytes_total", help: "bytes clients sent after a complete request body (ignored, as Kafka does)",
    labelNames: ["request"], registers: [this.registry],
  });

  /** Counts bytes a client sent after a complete request body. */
  trailingBytes(request: string, bytes: number): void {
    this.trailing.inc({ request }, bytes);
  }

  /** Bytes the archive has uploaded since start. */
  readonly archiveUploadedBytes = new client.Counter({ name: "tributary_archive_uploaded_bytes_total", help: "segment bytes uploaded to the archive", registers: [this.registry] });

  /** Reports the archive's backlog per partition (called once the archiver exists). */
  watchArchive(status: () => PartitionArchiveStatus[]): void {
    const gauges = [
      ["tributary_archive_pending_bytes", "closed segment bytes waiting to be archived", (s: PartitionArchiveStatus) => s.pendingBytes],
      ["tributary_archive_pending_segments", "closed segments waiting to be archived", (s: PartitionArchiveStatus) => s.pendingSegments],
      ["tributary_archive_archived_up_to", "every offset below this is archived", (s: PartitionArchiveStatus) => s.archivedUpTo],
      ["tributary_archive_failing", "1 while the partition's last upload attempt failed", (s: PartitionArchiveStatus) => (s.lastError ? 1 : 0)],
    ] as const;
    for (const [name, help, value] of gauges) {
      new client.Gauge({
        name, help, labelNames: ["topic", "partition"], registers: [this.registry],
        collect() {
          this.reset();
          for (const s of status()) this.set({ topic: s.topic, partition: String(s.partition) }, value(s));
        },
      });
    }
  }

  private readonly warehouseRowsLoaded = new client.Counter({ name: "tributary_warehouse_rows_loaded_total", help: "rows the warehouse loader wrote", labelNames: ["topic"], registers: [this.registry] });

  warehouseRows(topic: string, rows: number): void {
    this.warehouseRowsLoaded.inc({ topic }, rows);
  }

  /** Reports the warehouse's lag and problems per topic (called once the warehouse exists). */
  watchWarehouse(warehouseStatus: () => Promise<TopicLoadStatus[]>): void {
    // A deleted topic leaves the warehouse's list at its loader's next round; the metrics forget it at once.
    const status = async () => (await warehouseStatus()).filter((t) => this.store.hasTopic(t.topic));
    new client.Gauge({
      name: "tributary_warehouse_lag_records", help: "records in the log not yet loaded into the warehouse", labelNames: ["topic", "partition"], registers: [this.registry],
      async collect() {
        this.reset();
        for (const t of await status()) for (const p of t.partitions) this.set({ topic: t.topic, partition: String(p.partition) }, Math.max(0, p.highWatermark - p.loadedUpTo));
      },
    });
    new client.Gauge({
      name: "tributary_warehouse_problems", help: "per topic: 1 while loading fails, plus the properties whose column does not hold their type", labelNames: ["topic", "kind"], registers: [this.registry],
      async collect() {
        this.reset();
        for (const t of await status()) {
          this.set({ topic: t.topic, kind: "failing" }, t.lastError ? 1 : 0);
          this.set({ topic: t.topic, kind: "column_conflicts" }, t.conflicts.length);
        }
      },
    });
  }

  readonly fsyncLatency = new client.Histogram({
    name: "tributary_fsync_latency_seconds", help: "fdatasync rounds of the group commit",
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 1], registers: [this.registry],
  });

  private readonly kafkaRequests = new client.Counter({
    name: "tributary_kafka_requests_total", help: "Kafka requests answered, per API and version", labelNames: ["api", "version"], registers: [this.registry],
  });
  private readonly kafkaErrors = new client.Counter({
    name: "tributary_kafka_errors_total", help: "error codes in Kafka responses (one per partition, topic or group that failed), per API, version and error",
    labelNames: ["api", "version", "error"], registers: [this.registry],
  });
  private readonly kafkaRequestChildren = new Map<string, client.Counter.Internal>();

  /** When a client last produced, fetched or asked anything (for work that should yield to clients). */
  lastClientActivityMs = 0;

  /** Counts one answered Kafka request and the error codes its response carries. */
  kafkaRequest(api: string, version: number, response: unknown): void {
    this.lastClientActivityMs = Date.now();
    const key = `${api}\u0000${version}`;
    let child = this.kafkaRequestChildren.get(key);
    if (!child) {
      child = this.kafkaRequests.labels(api, String(version));
      this.kafkaRequestChildren.set(key, child);
    }
    child.inc();
    for (const code of errorCodesIn(response)) this.kafkaErrors.inc({ api, version: String(version), error: kafkaErrorName(code) });
  }

  /** Reports open connections (called once the listeners exist). */
  watchConnections(kafka: () => number, httpRequestsInFlight: () => number): void {
    new client.Gauge({ name: "tributary_kafka_connections", help: "open Kafka connections", registers: [this.registry], collect() { this.set(kafka()); } });
    new client.Gauge({ name: "tributary_http_requests_in_flight", help: "HTTP requests being answered (event streams and long polls included)", registers: [this.registry],
      collect() { this.set(httpRequestsInFlight()); } });
  }

  /** Failed authentications by mechanism (PLAIN, SCRAM-…, BASIC, BEARER, TLS), from the authenticator's counts. */
  watchAuthentication(failures: () => Map<string, number>): void {
    new client.Counter({
      name: "tributary_authentication_failures_total", help: "failed authentications (Kafka SASL, TLS client certificates, HTTP Basic and Bearer), by mechanism",
      labelNames: ["mechanism"], registers: [this.registry],
      collect() {
        this.reset();
        for (const [mechanism, count] of failures()) this.inc({ mechanism }, count);
      },
    });
  }

  private processMetrics = false;

  /**
   * The exposition text. The process's own metrics (CPU, memory, open files,
   * event-loop lag) are set up at the first scrape: setting them up costs a
   * start-up a few milliseconds that a CI stand-in, started again and again,
   * would pay for nothing.
   */
  async text(): Promise<string> {
    if (!this.processMetrics) {
      this.processMetrics = true;
      client.collectDefaultMetrics({ register: this.registry, prefix: "tributary_" });
    }
    return this.registry.metrics();
  }

  constructor(private readonly store: LogStore, validation: RecordValidation) {
    const logs = store;
    const partitionGauges = [
      ["tributary_partition_size_bytes", "bytes of a partition's segments on local disk", (p: PartitionState) => p.sizeBytes],
      ["tributary_partition_segments", "segments of a partition on local disk", (p: PartitionState) => p.segments],
      ["tributary_partition_high_watermark", "the offset after the last record readers may see", (p: PartitionState) => p.highWatermark],
      ["tributary_partition_log_start_offset", "the first offset a reader can read", (p: PartitionState) => p.logStartOffset],
    ] as const;
    // One walk over the topics serves the four gauges of a scrape.
    let states: Promise<{ topic: string; partitions: PartitionState[] }[]> | undefined;
    const partitionStates = () => (states ??= (async () => {
      const topics = [];
      for (const t of logs.listTopics()) {
        try {
          topics.push({ topic: t.name, partitions: (await logs.describeTopic(t.name)).partitionStates });
        } catch {
          // Deleted meanwhile.
        }
      }
      setImmediate(() => (states = undefined));
      return topics;
    })());
    for (const [name, help, value] of partitionGauges) {
      new client.Gauge({
        name, help, labelNames: ["topic", "partition"], registers: [this.registry],
        async collect() {
          this.reset();
          for (const t of await partitionStates()) for (const p of t.partitions) this.set({ topic: t.topic, partition: String(p.partition) }, value(p));
        },
      });
    }
    new client.Gauge({
      name: "tributary_consumer_lag", help: "high watermark minus committed offset", labelNames: ["group", "topic", "partition"], registers: [this.registry],
      async collect() {
        this.reset();
        for (const group of await logs.offsets.groups()) {
          for (const { topic, partition, committed } of await logs.offsets.list(group)) {
            if (!logs.hasTopic(topic) || partition >= logs.partitionCount(topic)) continue;
            const { highWatermark } = await logs.partition(topic, partition).offsets();
            this.set({ group, topic, partition: String(partition) }, Math.max(0, highWatermark - committed.offset));
          }
        }
      },
    });
    new client.Gauge({
      name: "tributary_damaged_batches_total", help: "distinct damaged stored batches found (kept on disk, never served)", registers: [this.registry],
      collect() {
        this.set(logs.damagedBatches());
      },
    });
    new client.Gauge({
      name: "tributary_partitions_refusing_writes", help: "partitions that refuse writes after a storage failure", registers: [this.registry],
      collect() {
        this.set(logs.partitionsRefusingWrites().length);
      },
    });
    new client.Gauge({
      name: "tributary_schema_rejections_total", help: "records refused by their topic's schema since start", labelNames: ["topic"], registers: [this.registry],
      collect() {
        this.reset();
        for (const [topic, n] of validation.rejections) this.set({ topic }, n);
      },
    });
  }

  /** Labelled children, cached: resolving labels on every record is the costly part of a counter. */
  private readonly children = new Map<string, { records: client.Counter.Internal; bytes: client.Counter.Internal }>();

  private inChildren(topic: string, source: Source) {
    const k = `${source}\u0000${topic}`;
    let c = this.children.get(k);
    if (!c) {
      c = { records: this.recordsIn.labels(topic, source), bytes: this.bytesIn.labels(topic, source) };
      this.children.set(k, c);
    }
    return c;
  }

  appended(topic: string, source: Source, records: number, bytes: number): void {
    this.lastClientActivityMs = Date.now();
    const c = this.inChildren(topic, source);
    c.records.inc(records);
    c.bytes.inc(bytes);
  }

  /** Drops a deleted topic's series, so /metrics lists only topics that exist. */
  forgetTopic(topic: string): void {
    for (const source of ["http", "kafka"] as const) {
      this.children.delete(`${source}\u0000${topic}`);
      for (const counter of [this.recordsIn, this.bytesIn, this.bytesOut, this.recordsOut]) counter.remove({ topic, source });
    }
    this.warehouseRowsLoaded.remove({ topic });
  }

  served(topic: string, source: Source, bytes: number, records = 0): void {
    this.lastClientActivityMs = Date.now();
    if (bytes > 0) this.bytesOut.inc({ topic, source }, bytes);
    if (records > 0) this.recordsOut.inc({ topic, source }, records);
  }
}

/** The non-zero `errorCode` fields anywhere in a decoded response (record bytes are not walked). */
function errorCodesIn(value: unknown, found: number[] = []): number[] {
  if (Array.isArray(value)) {
    for (const item of value) if (item !== null && typeof item === "object") errorCodesIn(item, found);
  } else if (value !== null && typeof value === "object" && !Buffer.isBuffer(value) && !ArrayBuffer.isView(value)) {
    for (const [key, field] of Object.entries(value)) {
      if (key === "errorCode") {
        if (typeof field === "number" && field !== 0) found.push(field);
      } else if (field !== null && typeof field === "object") errorCodesIn(field, found);
    }
  }
  return found;
}
