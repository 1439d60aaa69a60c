// npm run bench:cluster: batched HTTP publish through a Tributary in cluster
// mode against the same records produced with kafkajs straight to the same
// cluster, in the same run. The cluster is a Tributary binary (the only
// Kafka-protocol broker here), reached through its Kafka port; the frontend is
// a second binary with --kafka-cluster. Ends with one JSON line.
//
// Both paths write the same records (JSON values of about 100 bytes, 1000 a
// request or a send, 8 requests or sends in flight, acks=all) to topics of 4
// partitions; each figure is records per second over the whole run.

import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Kafka, logLevel, CompressionTypes } from "kafkajs";

const RECORDS = Number(process.env.BENCH_CLUSTER_RECORDS ?? 400_000);
const BATCH = 1000;
const IN_FLIGHT = 8;
const binary = process.env.BENCH_BINARY ?? path.join(import.meta.dirname, "../dist/tributary");
if (!fs.existsSync(binary)) {
  console.error(`bench:cluster: no binary at ${binary}: run npm run build first`);
  process.exit(2);
}
const benchDir = process.env.BENCH_DIR ?? path.join(import.meta.dirname, "out");
fs.mkdirSync(benchDir, { recursive: true });
const root = fs.mkdtempSync(path.join(benchDir, "cluster-"));
const results: Record<string, number> = {};

function report(name: string, value: number, unit: string): void {
  results[name] = Number(value.toFixed(3));
  console.log(`${name.padEnd(60)} ${value.toLocaleString("en-US", { maximumFractionDigits: 2 }).padStart(12)} ${unit}`);
}

function start(args: string[]): Promise<{ child: ChildProcess; ready: string }> {
  const child = spawn(binary, ["serve", ...args, "--log-level", "warn"], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n").find((l) => l.startsWith("tributary ready"));
      if (line) resolve({ child, ready: line });
    });
    child.on("exit", (code) => reject(new Error(`serve exited with ${code}`)));
  });
}

const value = (i: number) => JSON.stringify({ id: i, customer: `c-${i % 1000}`, total: (i % 977) + 0.25, note: "x".repeat(40) });

console.log(`cluster benchmark: ${os.cpus().length} cpus, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${RECORDS.toLocaleString("en-US")} records, ${BATCH} a request, ${IN_FLIGHT} in flight`);
const cluster = await start(["--data-dir", path.join(root, "cluster"), "--kafka-port", "0", "--http-port", "0", "--no-warehouse"]);
const brokers = /kafka (\S+),/.exec(cluster.ready)![1]!;
const frontend = await start(["--data-dir", path.join(root, "frontend"), "--kafka-cluster", brokers, "--registry-topic", "_frontend_schemas", "--http-port", "0", "--no-warehouse"]);
const http = /http (http:\/\/\S+),/.exec(frontend.ready)![1]!;

/** Runs `send(from, count)` over RECORDS in BATCH-sized pieces, IN_FLIGHT at a time; records per second. */
async function drive(send: (from: number, count: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < RECORDS) {
      const from = next;
      next += BATCH;
      await send(from, Math.min(BATCH, RECORDS - from));
    }
  }));
  return RECORDS / ((performance.now() - started) / 1000);
}

try {
  const kafka = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: "direct", numPartitions: 4 }, { topic: "through", numPartitions: 4 }, { topic: "embedded", numPartitions: 4 }] });
  await admin.disconnect();

  // Reference: kafkajs straight to the cluster.
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const direct = await drive(async (from, count) => {
    await producer.send({ topic: "direct", acks: -1, compression: CompressionTypes.None, messages: Array.from({ length: count }, (_, j) => ({ key: `c-${(from + j) % 1000}`, value: value(from + j) })) });
  });
  await producer.disconnect();
  report("reference: kafkajs to the cluster, records/s", direct, "records/s");

  // The same records as HTTP batches: to the cluster's own HTTP API (embedded mode), then through the frontend (cluster mode).
  const publish = (base: string, topic: string) => drive(async (from, count) => {
    const body = JSON.stringify({ records: Array.from({ length: count }, (_, j) => ({ key: `c-${(from + j) % 1000}`, value: JSON.parse(value(from + j)) })) });
    const res = await fetch(`${base}/topics/${topic}/records`, { method: "POST", headers: { "content-type": "application/json" }, body });
    if (res.status !== 200) throw new Error(`publish answered ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
  });
  const embedded = await publish(/http (http:\/\/\S+),/.exec(cluster.ready)![1]!, "embedded");
  report("reference: HTTP batches to the cluster's own HTTP API, records/s", embedded, "records/s");
  const through = await publish(http, "through");
  report("HTTP batches through the frontend, records/s", through, "records/s");
  report("  ratio to kafkajs (target >= 0.7)", through / direct, "");
  report("  ratio to the embedded HTTP API", through / embedded, "");
} finally {
  const exited = (c: ChildProcess) => new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.once("exit", resolve)));
  frontend.child.kill("SIGTERM");
  await exited(frontend.child);
  cluster.child.kill("SIGTERM");
  await exited(cluster.child);
  fs.rmSync(root, { recursive: true, force: true });
}
console.log(JSON.stringify({ bench: "cluster", machine: { nproc: os.cpus().length, memGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)) }, ...results }));
