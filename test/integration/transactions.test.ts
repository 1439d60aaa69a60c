// Kafka transactions with real clients: kafkajs' transactional producer
// committing and aborting, read_committed and read_uncommitted consumers,
// offsets committed inside a transaction, fencing, timeouts, and what the
// coordinator keeps across a SIGKILL of the binary.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Kafka, logLevel, type Consumer } from "kafkajs";
import { startBroker, type Broker } from "../../src/server/broker.js";

let broker: Broker;
let kafka: Kafka;

beforeAll(async () => {
  broker = await startBroker({ ephemeral: true, kafkaPort: 0, httpPort: 0, groupInitialRebalanceDelayMs: 0, warehouseEnabled: false });
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
  });
});
