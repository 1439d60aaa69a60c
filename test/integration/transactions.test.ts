// Kafka transactions with real clients: kafkajs' transactional producer
// committing and aborting, read_committed and read_uncommitted consumers,
// offsets committed inside a transaction, fencing, timeouts, and what the
// coordinator keeps across a SIGKILL of the binary.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Kafka, logLevel, type Consumer } from "kafkajs";
import { startBroker, type Broker } from "../../src/server/broker.js";
import { KafkaConnection } from "../../src/cluster/kafka-connection.js";
import { readEvents } from "../helpers/sse.js";

let broker: Broker;
let kafka: Kafka;

beforeAll(async () => {
  broker = await startBroker({ ephemeral: true, kafkaPort: 0, httpPort: 0, groupInitialRebalanceDelayMs: 0 });
  kafka = new Kafka({ brokers: broker.brokers, clientId: "txn-test", logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 50, maxRetryTime: 500 } });
});

afterAll(async () => {
  await broker?.stop();
});

/** Every value in `topic` as a consumer with the given isolation sees it, read until `count` arrived. */
async function readAll(topic: string, group: string, readUncommitted: boolean, count: number): Promise<string[]> {
  const consumer: Consumer = kafka.consumer({ groupId: group, readUncommitted });
  const values: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value!.toString()) });
  const deadline = Date.now() + 15_000;
  while (values.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  // A little longer: anything more than expected would show.
  await new Promise((r) => setTimeout(r, 300));
  await consumer.disconnect();
  return values;
}

describe("transactions", () => {
  it("kafkajs: committed records are read by read_committed consumers, aborted ones only by read_uncommitted", async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "tx-basic", numPartitions: 2 }] });
    await admin.disconnect();
    const producer = kafka.producer({ transactionalId: "basic-1", maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    const committed = await producer.transaction();
    await committed.send({ topic: "tx-basic", messages: [{ key: "a", value: "c1" }, { key: "b", value: "c2" }] });
    await committed.commit();
    const aborted = await producer.transaction();
    await aborted.send({ topic: "tx-basic", messages: [{ key: "a", value: "x1" }, { key: "b", value: "x2" }] });
    await aborted.abort();
    const again = await producer.transaction();
    await again.send({ topic: "tx-basic", messages: [{ key: "c", value: "c3" }] });
    await again.commit();
    await producer.disconnect();
    expect((await readAll("tx-basic", "rc", false, 3)).sort()).toEqual(["c1", "c2", "c3"]);
    expect((await readAll("tx-basic", "ru", true, 5)).sort()).toEqual(["c1", "c2", "c3", "x1", "x2"]);
    // HTTP reads and the warehouse read committed too: no aborted record, no marker.
    const values: string[] = [];
    for (const partition of [0, 1]) {
      const answer = await (await fetch(`${broker.httpUrl}/topics/tx-basic/partitions/${partition}/records?offset=0`)).json() as { records: { value: string }[]; next_offset: number; high_watermark: number };
      values.push(...answer.records.map((r) => r.value));
      expect(answer.next_offset).toBe(answer.high_watermark);
    }
    expect(values.sort()).toEqual(["c1", "c2", "c3"]);
    // A topic's event stream too: the committed records, nothing aborted.
    const closing = new AbortController();
    const stream = await fetch(`${broker.httpUrl}/topics/tx-basic/stream?from=beginning`, { headers: { accept: "text/event-stream" }, signal: closing.signal });
    const events = await readEvents(stream, 3, true);
    closing.abort();
    expect(events.map((e) => e.data.value).sort()).toEqual(["c1", "c2", "c3"]);
    const deadline = Date.now() + 15_000;
    let rows: unknown[][] = [];
    while (Date.now() < deadline) {
      const sql = await fetch(`${broker.httpUrl}/sql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ sql: 'SELECT _value FROM "tx-basic" ORDER BY _value' }) });
      rows = ((await sql.json()) as { rows?: unknown[][] }).rows ?? [];
      if (rows.length >= 3) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // The values are not JSON: the warehouse keeps them as blobs, which the answer gives in base64.
    expect(rows.map(([v]) => Buffer.from(String(v), "base64").toString())).toEqual(["c1", "c2", "c3"]);
  });

  it("an open transaction holds read_committed readers at its first record, and ListOffsets at the last stable offset", async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "tx-open" }] });
    await admin.disconnect();
    const plain = kafka.producer();
    await plain.connect();
    await plain.send({ topic: "tx-open", messages: [{ value: "before" }] });
    const producer = kafka.producer({ transactionalId: "open-1", maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    const open = await producer.transaction();
    await open.send({ topic: "tx-open", messages: [{ value: "in-transaction" }] });
    await plain.send({ topic: "tx-open", messages: [{ value: "after" }] });
    // The log holds 3 records; a read_committed reader stops at offset 1, where the transaction began.
    const raw = await KafkaConnection.connect(broker.brokers[0]!, "raw", 5000);
    const list = (isolationLevel: number) => raw.request(2, 5, { replicaId: -1, isolationLevel, topics: [{ name: "tx-open", partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }] }, 5000) as Promise<{ topics: { partitions: { offset: bigint }[] }[] }>;
    expect((await list(0)).topics[0]!.partitions[0]!.offset).toBe(3n);
    expect((await list(1)).topics[0]!.partitions[0]!.offset).toBe(1n);
    expect(await readAll("tx-open", "open-readers", false, 1)).toEqual(["before"]);
    // AddPartitionsToTxn v5 (several transactions, as brokers send it): verifyOnly checks without adding.
    const state = (await raw.request(65, 0, { transactionalIds: ["open-1"] }, 5000) as { transactionStates: { producerId: bigint; producerEpoch: number }[] }).transactionStates[0]!;
    const verified = await raw.request(24, 5, { transactions: [
      { transactionalId: "open-1", producerId: state.producerId, producerEpoch: state.producerEpoch, verifyOnly: true, topics: [{ name: "tx-open", partitions: [0] }] },
      { transactionalId: "nobody", producerId: 1n, producerEpoch: 0, verifyOnly: true, topics: [{ name: "tx-open", partitions: [0] }] },
    ] }, 5000) as { resultsByTransaction: { transactionalId: string; topicResults: { resultsByPartition: { partitionErrorCode: number }[] }[] }[] };
    expect(verified.resultsByTransaction.map((t) => [t.transactionalId, t.topicResults[0]!.resultsByPartition[0]!.partitionErrorCode])).toEqual([["open-1", 0], ["nobody", 49]]);
    await open.commit();
    expect((await list(1)).topics[0]!.partitions[0]!.offset).toBe(4n);
    raw.close();
    expect(await readAll("tx-open", "open-readers-2", false, 3)).toEqual(["before", "in-transaction", "after"]);
    await producer.disconnect();
    await plain.disconnect();
  });

  it("offsets sent inside a transaction are the group's only when it commits", async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "tx-in" }, { topic: "tx-out" }] });
    const producer = kafka.producer({ transactionalId: "ctp-1", maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    const first = await producer.transaction();
    await first.send({ topic: "tx-out", messages: [{ value: "result-1" }] });
    await first.sendOffsets({ consumerGroupId: "ctp-group", topics: [{ topic: "tx-in", partitions: [{ partition: 0, offset: "5" }] }] });
    await first.abort();
    expect((await admin.fetchOffsets({ groupId: "ctp-group", topics: ["tx-in"] }))[0]!.partitions[0]!.offset).toBe("-1");
    const second = await producer.transaction();
    await second.send({ topic: "tx-out", messages: [{ value: "result-2" }] });
    await second.sendOffsets({ consumerGroupId: "ctp-group", topics: [{ topic: "tx-in", partitions: [{ partition: 0, offset: "7" }] }] });
    await second.commit();
    expect((await admin.fetchOffsets({ groupId: "ctp-group", topics: ["tx-in"] }))[0]!.partitions[0]!.offset).toBe("7");
    await producer.disconnect();
    await admin.disconnect();
    expect(await readAll("tx-out", "out-readers", false, 1)).toEqual(["result-2"]);
  });

  it("a second producer with the same transactional id fences the first, whose open transaction is aborted", async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "tx-fence" }] });
    await admin.disconnect();
    const first = kafka.producer({ transactionalId: "fenced-1", maxInFlightRequests: 1, idempotent: true, retry: { retries: 1, initialRetryTime: 50 } });
    await first.connect();
    const old = await first.transaction();
    await old.send({ topic: "tx-fence", messages: [{ value: "from the first" }] });
    const second = kafka.producer({ transactionalId: "fenced-1", maxInFlightRequests: 1, idempotent: true });
    await second.connect();
    const fresh = await second.transaction();
    await fresh.send({ topic: "tx-fence", messages: [{ value: "from the second" }] });
    await fresh.commit();
    const refused = await old.commit().then(() => "committed", (err: { type?: string; message: string }) => `${err.type ?? ""} ${err.message}`);
    expect(refused).toMatch(/PRODUCER_FENCED|INVALID_PRODUCER_EPOCH|fenced/i);
    await first.disconnect().catch(() => undefined);
    await second.disconnect();
    expect(await readAll("tx-fence", "fence-readers", false, 1)).toEqual(["from the second"]);
  });

  it("a transaction left open past its timeout is aborted, and Describe/ListTransactions show the coordinator's state", async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "tx-timeout" }] });
    await admin.disconnect();
    const producer = kafka.producer({ transactionalId: "slow-1", transactionTimeout: 1000, maxInFlightRequests: 1, idempotent: true, retry: { retries: 1, initialRetryTime: 50 } });
    await producer.connect();
    const hung = await producer.transaction();
    await hung.send({ topic: "tx-timeout", messages: [{ value: "never committed" }] });
    const raw = await KafkaConnection.connect(broker.brokers[0]!, "raw", 5000);
    const described = await raw.request(65, 0, { transactionalIds: ["slow-1", "nobody"] }, 5000) as { transactionStates: { errorCode: number; transactionState: string; transactionTimeoutMs: number; topics: { topic: string; partitions: number[] }[] }[] };
    expect(described.transactionStates[0]).toMatchObject({ errorCode: 0, transactionState: "Ongoing", transactionTimeoutMs: 1000, topics: [{ topic: "tx-timeout", partitions: [0] }] });
    expect(described.transactionStates[1]!.errorCode).toBe(105);
    const listed = await raw.request(66, 1, { stateFilters: ["Ongoing"], producerIdFilters: [], durationFilter: -1n }, 5000) as { transactionStates: { transactionalId: string }[] };
    expect(listed.transactionStates.map((t) => t.transactionalId)).toContain("slow-1");
    // The coordinator aborts it within a second or two of its timeout.
    const deadline = Date.now() + 10_000;
    let state = "";
    while (Date.now() < deadline) {
      const now = await raw.request(65, 0, { transactionalIds: ["slow-1"] }, 5000) as { transactionStates: { transactionState: string }[] };
      state = now.transactionStates[0]!.transactionState;
      if (state === "CompleteAbort") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(state).toBe("CompleteAbort");
    raw.close();
    const late = await hung.commit().then(() => "committed", (err: { type?: string; message: string }) => `${err.type ?? ""} ${err.message}`);
    expect(late).not.toBe("committed");
    await producer.disconnect().catch(() => undefined);
    const plain = kafka.producer();
    await plain.connect();
    await plain.send({ topic: "tx-timeout", messages: [{ value: "after the abort" }] });
    await plain.disconnect();
    expect(await readAll("tx-timeout", "timeout-readers", false, 1)).toEqual(["after the abort"]);
    expect((await readAll("tx-timeout", "timeout-readers-ru", true, 2)).sort()).toEqual(["after the abort", "never committed"]);
  });
});
