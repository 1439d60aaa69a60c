// A consumer-group member in its own process (so a test can SIGKILL it).
// Prints one JSON line per assignment and per consumed record.
import { Kafka, logLevel } from "kafkajs";

const [brokers, topic, groupId, name] = process.argv.slice(2);
const kafka = new Kafka({ brokers: [brokers], clientId: name, logLevel: logLevel.NOTHING });
// kafkajs heartbeats between fetches, so a fetch may not wait longer than the session allows.
const consumer = kafka.consumer({ groupId, sessionTimeout: 3000, heartbeatInterval: 300, rebalanceTimeout: 5000, maxWaitTimeInMs: 250 });
const say = (o) => process.stdout.write(JSON.stringify({ name, ...o }) + "\n");
consumer.on(consumer.events.GROUP_JOIN, (e) => {
  const partitions = e.payload.memberAssignment[topic] ?? [];
  say({ event: "assigned", partitions: [...partitions].sort((a, b) => a - b), generation: e.payload.generationId });
});
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
await consumer.run({ eachMessage: async ({ partition, message }) => say({ event: "record", partition, offset: Number(message.offset), value: message.value.toString() }) });
process.on("SIGTERM", async () => {
  await consumer.disconnect();
  say({ event: "left" });
  process.exit(0);
});
say({ event: "running" });
