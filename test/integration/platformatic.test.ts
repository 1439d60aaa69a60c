import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from "@platformatic/kafka";
import { startBroker, type Broker } from "../../src/server/broker.js";

// @platformatic/kafka speaks the newest flexible versions (Produce 9+, Fetch 12+,
// Metadata 9+, JoinGroup 6+ ...): the same flow as the kafkajs suite, other encodings.

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker({ ephemeral: true, kafkaPort: 0, httpPort: 0, groupInitialRebalanceDelayMs: 0 });
});

afterAll(async () => {
  await broker?.stop();
});

describe("@platformatic/kafka", () => {
  it("creates a topic, produces, consumes in a group and commits", async () => {
    const admin = new Admin({ clientId: "pk-admin", bootstrapBrokers: broker.brokers });
    await admin.createTopics({ topics: ["pk-events"], partitions: 3, replicas: 1 });
    const metadata = await admin.metadata({ topics: ["pk-events"] });
    expect(metadata.topics.get("pk-events")!.partitionsCount).toBe(3);

    const producer = new Producer({ clientId: "pk-producer", bootstrapBrokers: broker.brokers, serializers: stringSerializers });
    const sent = await producer.send({
      messages: Array.from({ length: 30 }, (_, i) => ({ topic: "pk-events", key: `user-${i % 5}`, value: `event-${i}`, headers: { source: "test" } })),
    });
    // All thirty landed, across the three partitions (what the broker holds, not what the client counted).
    const ends = await Promise.all([0, 1, 2].map(async (p) => (await broker.logs.partition("pk-events", p).offsets()).highWatermark));
    expect(ends.reduce((a, b) => a + b, 0)).toBe(30);
    expect(sent.offsets!.map((o) => o.partition).sort()).toEqual([...new Set(sent.offsets!.map((o) => o.partition))].sort());
    await producer.close();

    const consumer = new Consumer({ groupId: "pk-group", clientId: "pk-consumer", bootstrapBrokers: broker.brokers, deserializers: stringDeserializers });
    const stream = await consumer.consume({ autocommit: 100, topics: ["pk-events"], mode: "earliest", sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTime: 200 });
    const values = new Set<string>();
    for await (const message of stream) {
      values.add(message.value as string);
      expect(message.headers.get("source")).toBe("test");
      if (values.size === 30) break;
    }
    await stream.close();
    await consumer.close();
    expect(values.size).toBe(30);

    const groups = await admin.listGroups();
    expect([...groups.keys()]).toContain("pk-group");
    await admin.deleteTopics({ topics: ["pk-events"] });
    await admin.close();
    // This client speaks the newest, flexible versions: check that is what the broker served.
    const served = [...broker.kafkaRequestCounts().keys()];
    const highest = (api: string) => Math.max(...served.filter((k) => k.startsWith(`${api} v`)).map((k) => Number(k.split(" v")[1])));
    expect(highest("Produce")).toBeGreaterThanOrEqual(9);
    expect(highest("Fetch")).toBeGreaterThanOrEqual(12);
    expect(highest("Metadata")).toBeGreaterThanOrEqual(9);
    expect(highest("JoinGroup")).toBeGreaterThanOrEqual(6);
  });
});
