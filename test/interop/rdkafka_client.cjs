// A current librdkafka (through node-rdkafka, which carries librdkafka's source
// and builds it) against Tributary: metadata for all topics (librdkafka 2.x
// sends three bytes after a Metadata v12 body), an idempotent producer with
// every codec, a consumer group that reads everything back and commits, and a
// consumer with auto.offset.reset=latest on an empty partition that must see
// its end-of-partition event. Prints one JSON line; exits non-zero on any error.
// Usage: node rdkafka_client.cjs NODE_RDKAFKA_DIR BROKERS TOPIC GROUP EMPTY_TOPIC
const [moduleDir, brokers, topic, group, emptyTopic] = process.argv.slice(2);
const Kafka = require(moduleDir);

const fail = (what, err) => {
  console.error(`${what}: ${err && err.message ? err.message : err}`);
  process.exit(1);
};
setTimeout(() => fail("timeout", "no result within 120 s"), 120_000).unref();

function connect(client) {
  return new Promise((resolve, reject) => client.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
}

async function produceAll() {
  const sent = [];
  for (const codec of ["none", "gzip", "snappy", "lz4", "zstd"]) {
    const producer = new Kafka.Producer({ "metadata.broker.list": brokers, "enable.idempotence": true, "compression.codec": codec, "linger.ms": 5, dr_cb: true });
    const delivered = [];
    producer.on("delivery-report", (err, report) => delivered.push(err || report));
    await connect(producer);
    producer.setPollInterval(10);
    for (let i = 0; i < 20; i++) {
      const value = `${codec}-${i}-` + "payload".repeat(40);
      producer.produce(topic, null, Buffer.from(value), `k${i % 4}`);
      sent.push(value);
    }
    await new Promise((resolve, reject) => producer.flush(30_000, (err) => (err ? reject(err) : resolve())));
    while (delivered.length < 20) await new Promise((r) => setTimeout(r, 20));
    const errors = delivered.filter((d) => d instanceof Error);
    if (errors.length) fail(`delivery with ${codec}`, errors[0]);
    await new Promise((resolve) => producer.disconnect(resolve));
  }
  return sent;
}

async function metadataTopics() {
  const admin = new Kafka.Producer({ "metadata.broker.list": brokers });
  await connect(admin);
  const metadata = await new Promise((resolve, reject) => admin.getMetadata({ timeout: 10_000 }, (err, m) => (err ? reject(err) : resolve(m))));
  await new Promise((resolve) => admin.disconnect(resolve));
  return metadata.topics.map((t) => t.name);
}

async function consumeAll(count) {
  const consumer = new Kafka.KafkaConsumer({ "metadata.broker.list": brokers, "group.id": group, "enable.auto.commit": false, "session.timeout.ms": 6000 }, { "auto.offset.reset": "earliest" });
  await connect(consumer);
  consumer.subscribe([topic]);
  const seen = new Set();
  while (seen.size < count) {
    const messages = await new Promise((resolve, reject) => consumer.consume(100, (err, m) => (err ? reject(err) : resolve(m))));
    for (const m of messages) seen.add(m.value.toString());
    if (messages.length) consumer.commitSync(null);
  }
  await new Promise((resolve) => consumer.disconnect(resolve));
  return seen.size;
}

async function endOfEmptyPartition() {
  const consumer = new Kafka.KafkaConsumer({ "metadata.broker.list": brokers, "group.id": `${group}-eof`, "enable.partition.eof": true }, { "auto.offset.reset": "latest" });
  await connect(consumer);
  const started = Date.now();
  const eof = new Promise((resolve) => consumer.on("partition.eof", (e) => resolve(e)));
  consumer.assign([{ topic: emptyTopic, partition: 0 }]);
  consumer.consume();
  const event = await eof;
  const seconds = (Date.now() - started) / 1000;
  await new Promise((resolve) => consumer.disconnect(resolve));
  return { offset: event.offset, seconds };
}

(async () => {
  const sent = await produceAll();
  const topics = await metadataTopics();
  const consumed = await consumeAll(sent.length);
  const eof = await endOfEmptyPartition();
  console.log(JSON.stringify({ librdkafka: Kafka.librdkafkaVersion, sent: sent.length, consumed, metadataHasTopic: topics.includes(topic), eofOffset: eof.offset, eofSeconds: eof.seconds }));
  process.exit(0);
})().catch((err) => fail("client", err));
