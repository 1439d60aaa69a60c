// A consume-transform-produce worker in its own process (so a test can
// SIGKILL it): reads the input topic in a consumer group and, for each
// record, writes its result to the output topic and the next input offset to
// the group in one kafkajs transaction. Prints a line per committed record.
import { Kafka, logLevel } from "kafkajs";

const [brokers, input, output, groupId, transactionalId] = process.argv.slice(2);
const kafka = new Kafka({ brokers: [brokers], clientId: transactionalId, logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 50, maxRetryTime: 500 } });
const producer = kafka.producer({ transactionalId, transactionTimeout: 5000, idempotent: true, maxInFlightRequests: 1 });
const consumer = kafka.consumer({ groupId, sessionTimeout: 6000, heartbeatInterval: 500, readUncommitted: false });
await producer.connect();
await consumer.connect();
await consumer.subscribe({ topic: input, fromBeginning: true });
await consumer.run({
  autoCommit: false,
  eachMessage: async ({ topic, partition, message }) => {
    const tx = await producer.transaction();
    try {
      await tx.send({ topic: output, messages: [{ key: message.key, value: `result-of-${message.value.toString()}` }] });
      await tx.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition, offset: String(Number(message.offset) + 1) }] }] });
      await tx.commit();
      process.stdout.write(`${message.value.toString()}\n`);
    } catch (err) {
      await tx.abort().catch(() => undefined);
      throw err;
    }
  },
});
process.stdout.write("running\n");
