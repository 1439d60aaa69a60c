// npm run bench:kafka: produce and consume throughput through the Kafka protocol,
// end-to-end latency at fixed rates, and a run with a real client (librdkafka).
// References in the same run: the log engine's durable append throughput with the
// same concurrency, a bare produce server (TCP and group commit, nothing else),
// and loopback TCP throughput. Ends with one JSON line.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn, execFile, type ChildProcess } from "node:child_process";
import * as net from "node:net";
import { promisify } from "node:util";
import { LogManager } from "../src/log/log-manager.js";
import { encodeRecordBatch } from "../src/protocol/record-batch-codec.js";
import { Connection, consumeLoad, latencyRun, produceLoad } from "./kafka-load.js";
import { startBrokerProcess } from "./broker-process.js";

const MiB = 1024 * 1024;
const TOTAL = Number(process.env.BENCH_PRODUCE_MIB ?? 256) * MiB;
const IN_FLIGHT = 8;
const BUN = process.execPath;
const results: Record<string, number> = {};

function report(name: string, value: number, unit: string): void {
  results[name] = Number(value.toFixed(3));
  console.log(`${name.padEnd(52)} ${value.toLocaleString("en-US", { maximumFractionDigits: 2 }).padStart(14)} ${unit}`);
}

/** The engine alone, with the same concurrency as the produce run: `writers` appends in flight per partition. */
async function engineAppendMBps(partitions: number, writers: number, recordBytes: number): Promise<number> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-engine-"));
  const logs = await LogManager.open({ dataDir, maintenanceIntervalMs: 0 });
  await logs.createTopic("e", { partitions });
  const count = Math.max(1, Math.floor((64 * 1024) / (recordBytes + 12)));
  const template = await encodeRecordBatch(Array.from({ length: count }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.alloc(recordBytes, "r") })));
  const perPartition = Math.ceil(TOTAL / partitions / template.length);
  const start = performance.now();
  await Promise.all(Array.from({ length: partitions }, async (_, p) => {
    const log = logs.partition("e", p);
    let next = 0;
    await Promise.all(Array.from({ length: writers }, async () => {
      const own = Buffer.from(template);
      while (next++ < perPartition) await log.append(own);
    }));
  }));
  const mbps = (perPartition * partitions * template.length) / MiB / ((performance.now() - start) / 1000);
  await logs.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  return mbps;
}

/** Starts bench/loopback-sink.ts in its own process; resolves with the process and its port. */
async function startSink(mode?: "canned"): Promise<{ sink: ChildProcess; port: number }> {
  const sink = spawn(BUN, [path.join(import.meta.dirname, "loopback-sink.ts"), ...(mode ? [mode] : [])], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve) => sink.stdout!.once("data", (d: Buffer) => resolve(Number(d.toString().trim()))));
  return { sink, port };
}

async function loopbackMBps(): Promise<number> {
  const { sink, port } = await startSink();
  const chunk = Buffer.alloc(MiB, "t");
  const bytes = 1024 * MiB;
  const start = performance.now();
  await new Promise<void>((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", async () => {
      for (let sent = 0; sent < bytes; sent += chunk.length) {
        if (!socket.write(chunk)) await new Promise((r) => socket.once("drain", r));
      }
      socket.end();
    });
    socket.on("data", () => resolve());
    socket.on("error", reject);
  });
  const mbps = bytes / MiB / ((performance.now() - start) / 1000);
  sink.kill();
  return mbps;
}

/** The bare produce server (bench/bare-produce-server.ts) in its own process, writing under `dir`. */
async function startBareProduceServer(dir: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(BUN, [path.join(import.meta.dirname, "bare-produce-server.ts"), dir], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve) => child.stdout!.once("data", (d: Buffer) => resolve(Number(d.toString().trim()))));
  return { child, port };
}

/**
 * The ceiling of this load generator for consuming: a server process that answers
 * every request with a canned 1 MiB frame, one request in flight, as a consumer fetches.
 */
async function requestLoopGBps(): Promise<number> {
  const { sink, port } = await startSink("canned");
  const conn = await Connection.open("127.0.0.1", port);
  const request = Buffer.alloc(12);
  request.writeInt32BE(8, 0);
  for (let i = 0; i < 64; i++) await conn.send(request);
  const start = performance.now();
  for (let i = 0; i < 1024; i++) await conn.send(request);
  const gbps = (1024 * MiB) / 1e9 / ((performance.now() - start) / 1000);
  conn.close();
  sink.kill();
  return gbps;
}

function startServer(): Promise<{ child: ChildProcess; host: string; port: number }> {
  // BENCH_NO_WAREHOUSE=1: the same broker without its SQLite warehouse, to see what loading it costs the produce path.
  return startBrokerProcess(["--ephemeral", ...(process.env.BENCH_NO_WAREHOUSE ? ["--no-warehouse"] : [])]);
}

async function createTopic(host: string, port: number, name: string, partitions: number): Promise<void> {
  const { encodeRequest, decodeResponse } = await import("../src/protocol/kafka-frame.js");
  const conn = await Connection.open(host, port);
  const frame = encodeRequest({ apiKey: 19, apiVersion: 5, correlationId: 1, clientId: "bench" }, {
    topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10000, validateOnly: false,
  });
  const body = decodeResponse(19, 5, await conn.send(frame)).body;
  if (body.topics[0].errorCode !== 0) throw new Error(`create ${name}: ${body.topics[0].errorMessage}`);
  conn.close();
}

console.log(`kafka benchmark: ${os.cpus().length} cpus, ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB, bun ${process.versions.bun}`);
const loopback = await loopbackMBps();
report("reference: loopback TCP", loopback, "MB/s");
const requestLoop = await requestLoopGBps();
report("reference: 1 MiB request/response loop, canned server", requestLoop, "GB/s");
const server = await startServer();
const bareDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-bare-"));
const bare = await startBareProduceServer(bareDir);
try {
  for (const [recordBytes, partitions] of [[1024, 1], [1024, 8], [100, 1], [100, 8]] as const) {
    const engine = await engineAppendMBps(partitions, IN_FLIGHT, recordBytes);
    report(`reference: engine append ${recordBytes}B, ${partitions} partitions x ${IN_FLIGHT} writers`, engine, "MB/s");
    const topic = `p-${recordBytes}-${partitions}`;
    await createTopic(server.host, server.port, topic, partitions);
    const conns = await Promise.all(Array.from({ length: partitions }, () => Connection.open(server.host, server.port)));
    const run = await produceLoad(conns, topic, partitions, recordBytes, TOTAL, IN_FLIGHT);
    report(`produce ${recordBytes}B records, ${partitions} partitions, acks=-1`, run.mbPerSecond, "MB/s");
    report(`produce ${recordBytes}B records, ${partitions} partitions rec/s`, run.recordsPerSecond, "records/s");
    results[`ratio_produce_${recordBytes}_${partitions}_to_engine`] = Number((run.mbPerSecond / engine).toFixed(3));
    console.log(`${"  ratio to engine append".padEnd(52)} ${(run.mbPerSecond / engine).toFixed(3).padStart(14)}`);
    // The same load against a server that only group-commits the request bytes and answers.
    const bareConns = await Promise.all(Array.from({ length: partitions }, () => Connection.open("127.0.0.1", bare.port)));
    const bareRun = await produceLoad(bareConns, topic, partitions, recordBytes, TOTAL, IN_FLIGHT);
    for (const c of bareConns) c.close();
    report(`reference: bare produce server ${recordBytes}B, ${partitions} partitions`, bareRun.mbPerSecond, "MB/s");
    results[`ratio_bare_produce_${recordBytes}_${partitions}_to_engine`] = Number((bareRun.mbPerSecond / engine).toFixed(3));
    console.log(`${"  bare produce server / engine append".padEnd(52)} ${(bareRun.mbPerSecond / engine).toFixed(3).padStart(14)}`);
    console.log(`${"  produce / bare produce server".padEnd(52)} ${(run.mbPerSecond / bareRun.mbPerSecond).toFixed(3).padStart(14)}`);
    if (recordBytes === 1024) {
      const ends = await endOffsets(server.host, server.port, topic, partitions);
      // A first pass warms both processes (JIT, buffers); the second is measured, as are the consumer-group runs after it.
      await consumeLoad(conns[0]!, topic, partitions, ends);
      const consume = await consumeLoad(conns[0]!, topic, partitions, ends);
      report(`consume ${recordBytes}B records, ${partitions} partitions`, consume.gbPerSecond, "GB/s");
      results[`ratio_consume_${partitions}_to_loopback`] = Number((consume.gbPerSecond * 1000 / (loopback * 1.048576)).toFixed(3));
      results[`ratio_consume_${partitions}_to_request_loop`] = Number((consume.gbPerSecond / requestLoop).toFixed(3));
      if (partitions > 1) {
        // A consumer group with one member per partition: one connection and one Fetch in flight each.
        const start = performance.now();
        const runs = await Promise.all(ends.map((end, p) => consumeLoad(conns[p]!, topic, 1, [end], p)));
        const bytes = runs.reduce((sum, r) => sum + r.bytes, 0);
        report(`consume ${recordBytes}B records, ${partitions} partitions, ${partitions} consumers`, bytes / 1e9 / ((performance.now() - start) / 1000), "GB/s");
      }
    }
    for (const c of conns) c.close();
  }
  await createTopic(server.host, server.port, "latency", 1);
  for (const rate of [1000, 5000]) {
    const l = await latencyRun(server.host, server.port, "latency", rate, 5);
    report(`end-to-end latency p50 at ${rate}/s`, l.p50, "ms");
    report(`end-to-end latency p99 at ${rate}/s`, l.p99, "ms");
    report(`end-to-end latency p99.9 at ${rate}/s`, l.p999, "ms");
  }
  try {
    await createTopic(server.host, server.port, "librdkafka", 1);
    const { stdout } = await promisify(execFile)("/usr/bin/python3", [path.join(import.meta.dirname, "librdkafka-produce.py"), `${server.host}:${server.port}`, "librdkafka", "200000"]);
    const r = JSON.parse(stdout.trim());
    report("librdkafka producer (confluent-kafka-python), 1KiB, acks=all", r.records_per_second, "records/s");
    report("librdkafka producer MB/s", r.mb_per_second, "MB/s");
  } catch (err) {
    console.log(`librdkafka run skipped: ${(err as Error).message.split("\n")[0]} (needs python3-confluent-kafka)`);
  }
} finally {
  server.child.kill("SIGTERM");
  bare.child.kill();
  fs.rmSync(bareDir, { recursive: true, force: true });
}
console.log(JSON.stringify({ bench: "kafka", machine: { nproc: os.cpus().length, memGiB: Number((os.totalmem() / 1024 ** 3).toFixed(1)) }, ...results }));

async function endOffsets(host: string, port: number, topic: string, partitions: number): Promise<number[]> {
  const { encodeRequest, decodeResponse } = await import("../src/protocol/kafka-frame.js");
  const conn = await Connection.open(host, port);
  const frame = encodeRequest({ apiKey: 2, apiVersion: 5, correlationId: 1, clientId: "bench" }, {
    replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: Array.from({ length: partitions }, (_, p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp: -1n })) }],
  });
  const body = decodeResponse(2, 5, await conn.send(frame)).body;
  conn.close();
  return body.topics[0].partitions.map((p: { offset: bigint }) => Number(p.offset));
}
