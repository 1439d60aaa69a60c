// npm run bench:transactions: transactional produce (100 records a
// transaction, kafkajs) against the same records produced by an idempotent
// producer without transactions, in the same run on the same broker; the
// ratio is the figure. Also the commit latency (EndTxn with its markers,
// p50/p99) and, as its reference, the latency of one send of 100 records.
// Ends with one JSON line.

import * as os from "node:os";
import { Kafka, logLevel } from "kafkajs";
import { startBrokerProcess } from "./broker-process.js";

const ROUNDS = Number(process.env.BENCH_TX_ROUNDS ?? 500);
const PER_TRANSACTION = 100;
const VALUE = "v".repeat(100);
const results: Record<string, number> = {};

function report(name: string, value: number, unit: string): void {
  results[name] = Number(value.toFixed(3));
  console.log(`${name.padEnd(58)} ${value.toLocaleString("en-US", { maximumFractionDigits: 2 }).padStart(12)} ${unit}`);
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const messages = (round: number) => Array.from({ length: PER_TRANSACTION }, (_, i) => ({ key: `k${i % 10}`, value: `${round}-${i}-${VALUE}` }));

console.log(`transactions benchmark: ${os.cpus().length} cpus, ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB, ${ROUNDS} rounds of ${PER_TRANSACTION} records of about 100 bytes`);
const broker = await startBrokerProcess(["--ephemeral", "--no-warehouse"]);
const kafka = new Kafka({ brokers: [`${broker.host}:${broker.port}`], clientId: "bench-tx", logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic: "bench-idempotent", numPartitions: 4 }, { topic: "bench-transactional", numPartitions: 4 }] });
await admin.disconnect();

async function idempotentRun(): Promise<{ rate: number; sendMs: number[] }> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const sendMs: number[] = [];
  const started = performance.now();
  for (let round = 0; round < ROUNDS; round++) {
    const t = performance.now();
    await producer.send({ topic: "bench-idempotent", messages: messages(round), acks: -1 });
    sendMs.push(performance.now() - t);
  }
  const rate = (ROUNDS * PER_TRANSACTION) / ((performance.now() - started) / 1000);
  await producer.disconnect();
  return { rate, sendMs };
}

async function transactionalRun(): Promise<{ rate: number; commitMs: number[] }> {
  const producer = kafka.producer({ transactionalId: "bench-tx", idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const commitMs: number[] = [];
  const started = performance.now();
  for (let round = 0; round < ROUNDS; round++) {
    const tx = await producer.transaction();
    await tx.send({ topic: "bench-transactional", messages: messages(round), acks: -1 });
    const t = performance.now();
    await tx.commit();
    commitMs.push(performance.now() - t);
  }
  const rate = (ROUNDS * PER_TRANSACTION) / ((performance.now() - started) / 1000);
  await producer.disconnect();
  return { rate, commitMs };
}

// Alternated, so a noisy minute falls on both.
const idempotent = [await idempotentRun()];
const transactional = [await transactionalRun()];
idempotent.push(await idempotentRun());
transactional.push(await transactionalRun());
const bestIdempotent = Math.max(...idempotent.map((r) => r.rate));
const bestTransactional = Math.max(...transactional.map((r) => r.rate));
report("idempotent produce, 100 records a send (best of 2)", bestIdempotent, "records/s");
report("transactional produce, 100 records a transaction (best of 2)", bestTransactional, "records/s");
report("ratio transactional / idempotent", bestTransactional / bestIdempotent, "");
const commits = transactional.flatMap((r) => r.commitMs);
const sends = idempotent.flatMap((r) => r.sendMs);
report("commit latency p50 (EndTxn, markers on the partitions written)", percentile(commits, 0.5), "ms");
report("commit latency p99", percentile(commits, 0.99), "ms");
report("reference: one send of 100 records, p50", percentile(sends, 0.5), "ms");
report("reference: one send of 100 records, p99", percentile(sends, 0.99), "ms");
broker.child.kill();
console.log(JSON.stringify(results));
process.exit(0);
