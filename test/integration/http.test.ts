import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Kafka, logLevel, Partitioners } from "kafkajs";
import { SchemaRegistry as RegistryClient, SchemaType } from "@kafkajs/confluent-schema-registry";
import { startBroker, type Broker } from "../../src/server/broker.js";
import { readEvents } from "../helpers/sse.js";
import { httpCall } from "../helpers/http-call.js";
import { RangeAssigner } from "../helpers/kafkajs-range-assigner.js";

let broker: Broker;
let kafka: Kafka;

beforeAll(async () => {
  broker = await startBroker({ ephemeral: true, kafkaPort: 0, httpPort: 0, groupInitialRebalanceDelayMs: 0, httpBodyBytesMax: 64 * 1024 });
  kafka = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING });
});

afterAll(async () => {
  await broker?.stop();
});

function call(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<{ status: number; json: any }> {
  return httpCall(broker.httpUrl, method, path, body, body === undefined ? {} : { "content-type": contentType });
}

describe("HTTP: topics and records", () => {
  it("creates, describes, lists and deletes topics, with JSON errors", async () => {
    expect((await call("GET", "/healthz")).json).toEqual({ status: "ok" });
    expect((await call("POST", "/topics", { name: "web", partitions: 3, configs: { "retention.ms": 60000 } })).status).toBe(201);
    const described = await call("GET", "/topics/web");
    expect(described.json.partitions).toHaveLength(3);
    expect(described.json.configs).toEqual({ "retention.ms": "60000" });
    expect((await call("GET", "/topics")).json).toContain("web");
    expect(await call("POST", "/topics", { name: "web" })).toMatchObject({ status: 409, json: { error_code: 40901 } });
    expect(await call("GET", "/topics/nope")).toMatchObject({ status: 404, json: { error_code: 40401, message: "topic 'nope' does not exist" } });
    expect(await call("POST", "/topics", "{not json")).toMatchObject({ status: 400, json: { error_code: 40001 } });
    expect((await call("POST", "/topics", { name: "bad name" })).status).toBe(422);
    expect((await call("DELETE", "/topics/web")).status).toBe(204);
    expect((await call("GET", "/nowhere")).json.error_code).toBe(40400);
  });

  it("publishes one record, a batch and NDJSON; keys land where Kafka producers put them; reads back by offset and time", async () => {
    await call("POST", "/topics", { name: "orders", partitions: 4 });
    const one = await call("POST", "/topics/orders/records", { key: "customer-1", value: { total: 10 }, headers: { source: "web" } });
    expect(one.status).toBe(200);
    const kafkajsPartition = Partitioners.DefaultPartitioner()({
      topic: "orders", partitionMetadata: [0, 1, 2, 3].map((partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] })), message: { key: "customer-1", value: "" },
    });
    expect(one.json.offsets).toEqual([{ partition: kafkajsPartition, offset: 0 }]);
    const [b, n] = [(kafkajsPartition + 1) % 4, (kafkajsPartition + 2) % 4];
    const batch = await call("POST", "/topics/orders/records", { records: [{ value: 1, partition: b, timestamp: 1000 }, { value: 2, partition: b, timestamp: 5000 }] });
    expect(batch.json.offsets).toEqual([{ partition: b, offset: 0 }, { partition: b, offset: 1 }]);
    const ndjson = await call("POST", "/topics/orders/records", `{"value":"a","partition":${n}}\n{"value":"b","partition":${n}}\n`, "application/x-ndjson");
    expect(ndjson.json.offsets).toEqual([{ partition: n, offset: 0 }, { partition: n, offset: 1 }]);
    const read = await call("GET", `/topics/orders/partitions/${kafkajsPartition}/records?offset=0`);
    expect(read.json.records[0]).toMatchObject({ offset: 0, key: "customer-1", value: { total: 10 }, headers: { source: "web" } });
    const byTime = await call("GET", `/topics/orders/partitions/${b}/records?timestamp=4000`);
    expect(byTime.json.records.map((r: { value: number }) => r.value)).toEqual([2]);
    expect((await call("GET", `/topics/orders/partitions/${b}/offsets`)).json).toEqual({ beginning_offset: 0, end_offset: 2 });
    // A Kafka consumer sees what HTTP published.
    const consumer = kafka.consumer({ groupId: "http-readers" });
    await consumer.connect();
    await consumer.subscribe({ topic: "orders", fromBeginning: true });
    const seen: string[] = [];
    await new Promise<void>((resolve) => void consumer.run({ eachMessage: async ({ message }) => { seen.push(message.value!.toString()); if (seen.length === 5) resolve(); } }));
    await consumer.disconnect();
    expect(seen.sort()).toEqual(['"a"', '"b"', "1", "2", '{"total":10}']);
  });

  it("refuses bad publishes with 4xx naming the problem, and writes nothing", async () => {
    await call("POST", "/topics", { name: "strict", partitions: 1 });
    const cases: [unknown, number, RegExp][] = [
      [{ records: [] }, 422, /no records/],
      [{ key: "k" }, 422, /^'value': is required$/],
      [{ value: 1, partition: 5 }, 404, /partition 5/],
      [{ value: 1, partition: -1 }, 422, /^'partition': must be a non-negative integer$/],
      [{ value: 1, timestamp: "yesterday" }, 422, /^'timestamp': /],
      [{ value: "x".repeat(70 * 1024) }, 413, /exceeds the limit/],
    ];
    for (const [body, status, message] of cases) {
      const res = await call("POST", "/topics/strict/records", body);
      expect({ body: JSON.stringify(body).slice(0, 40), status: res.status }).toEqual({ body: JSON.stringify(body).slice(0, 40), status });
      expect(res.json.message).toMatch(message);
    }
    expect((await call("POST", "/topics/strict/records", "{oops")).json.error_code).toBe(40001);
    expect((await call("POST", "/topics/missing/records", { value: 1 })).status).toBe(404);
    expect((await call("POST", "/topics/__consumer_offsets/records", { value: 1 })).status).toBe(403);
    expect((await broker.logs.partition("strict", 0).offsets()).logEndOffset).toBe(0);
  });

  it("gives concurrent single-record publishes their own offsets, and a refused record fails only its own request", async () => {
    await call("POST", "/topics", { name: "busy", partitions: 1 });
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => call("POST", "/topics/busy/records", { key: `k${i}`, value: { i } })));
    const offsets = answers.map((a) => a.json.offsets[0].offset);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect([...offsets].sort((a, b) => a - b)).toEqual([...Array(60).keys()]);
    const read = await call("GET", "/topics/busy/partitions/0/records?offset=0&max_bytes=1000000");
    for (const r of read.json.records) expect(r.value).toEqual({ i: offsets.indexOf(r.offset) });
    // A compacted topic needs a key on every record: keyless requests fail, their neighbours do not.
    await call("POST", "/topics", { name: "latest", partitions: 1, configs: { "cleanup.policy": "compact" } });
    const mixed = await Promise.all(Array.from({ length: 30 }, (_, i) => call("POST", "/topics/latest/records", i % 3 === 0 ? { value: i } : { key: `k${i}`, value: i })));
    mixed.forEach((a, i) => expect({ i, status: a.status }).toEqual({ i, status: i % 3 === 0 ? 422 : 200 }));
    expect(mixed[0]!.json.message).toMatch(/key/);
    expect((await broker.logs.partition("latest", 0).offsets()).logEndOffset).toBe(20);
    // Each keyed record once: a refused shared batch was retried request by request, writing nothing twice.
    const kept = (await call("GET", "/topics/latest/partitions/0/records?offset=0&max_bytes=1000000")).json.records as { key: string }[];
    expect(kept.map((r) => r.key).sort()).toEqual(Array.from({ length: 30 }, (_, i) => i).filter((i) => i % 3 !== 0).map((i) => `k${i}`).sort());
  });

  it("speaks REST Proxy v2 produce: json and binary content types", async () => {
    await call("POST", "/topics", { name: "proxy" });
    const json = await call("POST", "/topics/proxy", { records: [{ key: "k", value: { a: 1 } }, { value: [1, 2] }] }, "application/vnd.kafka.json.v2+json");
    expect(json.json).toEqual({ key_schema_id: null, value_schema_id: null, offsets: [
      { partition: 0, offset: 0, error_code: null, error: null }, { partition: 0, offset: 1, error_code: null, error: null }] });
    const binary = await call("POST", "/topics/proxy/partitions/0", { records: [{ value: Buffer.from("raw bytes").toString("base64") }] }, "application/vnd.kafka.binary.v2+json");
    expect(binary.json.offsets[0].offset).toBe(2);
    const read = await call("GET", "/topics/proxy/partitions/0/records?offset=2&format=binary");
    expect(Buffer.from(read.json.records[0].value, "base64").toString()).toBe("raw bytes");
    expect((await call("POST", "/topics/proxy", { records: [] }, "text/plain")).status).toBe(415);
  });
});

const orderSchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object",
  properties: { id: { type: "integer" }, total: { type: "number", minimum: 0 }, note: { type: "string" } },
  required: ["id", "total"],
};

describe("schema registry", () => {
  it("registers, looks up, versions and deletes schemas, Confluent-style", async () => {
    const reg = await call("POST", "/subjects/reg-value/versions", { schemaType: "JSON", schema: JSON.stringify(orderSchema) });
    expect(reg.status).toBe(200);
    const id = reg.json.id;
    expect((await call("POST", "/subjects/other-value/versions", { schemaType: "JSON", schema: JSON.stringify(orderSchema) })).json.id).toBe(id); // ids are global
    expect((await call("POST", "/subjects/reg-value/versions", { schemaType: "JSON", schema: JSON.stringify(orderSchema, null, 2) })).json.id).toBe(id); // same schema, same id
    expect((await call("GET", `/schemas/ids/${id}`)).json).toEqual({ schema: JSON.stringify(orderSchema), schemaType: "JSON" });
    expect((await call("GET", "/subjects/reg-value/versions")).json).toEqual([1]);
    expect((await call("GET", "/subjects/reg-value/versions/latest")).json).toMatchObject({ subject: "reg-value", version: 1, id });
    expect((await call("POST", "/subjects/reg-value", { schemaType: "JSON", schema: JSON.stringify(orderSchema) })).json).toMatchObject({ version: 1, id });
    expect((await call("GET", "/schemas/types")).json).toEqual(["JSON", "AVRO"]);
    expect(await call("GET", "/subjects/none/versions")).toMatchObject({ status: 404, json: { error_code: 40401 } });
    expect(await call("GET", "/subjects/reg-value/versions/9")).toMatchObject({ status: 404, json: { error_code: 40402 } });
    expect(await call("GET", "/schemas/ids/999")).toMatchObject({ status: 404, json: { error_code: 40403 } });
    expect(await call("POST", "/subjects/reg-value/versions", { schemaType: "JSON", schema: "{not json" })).toMatchObject({ status: 422, json: { error_code: 42201 } });
    expect(await call("POST", "/subjects/reg-value/versions", { schemaType: "JSON", schema: JSON.stringify({ type: "nonsense" }) })).toMatchObject({ status: 422, json: { error_code: 42201 } });
    expect((await call("DELETE", "/subjects/other-value")).json).toEqual([1]);
    expect((await call("GET", "/subjects")).json).not.toContain("other-value");
    expect((await call("GET", "/subjects?deleted=true")).json).toContain("other-value");
    expect((await call("DELETE", "/subjects/other-value?permanent=true")).status).toBe(200);
    expect((await call("GET", "/subjects?deleted=true")).json).not.toContain("other-value");
  });

  it("refuses an incompatible change with 409 and messages naming the path and rule; config levels", async () => {
    await call("POST", "/subjects/compat-value/versions", { schemaType: "JSON", schema: JSON.stringify(orderSchema) });
    const narrowed = { ...orderSchema, properties: { ...orderSchema.properties, total: { type: "integer", minimum: 0 } } };
    const refused = await call("POST", "/subjects/compat-value/versions", { schemaType: "JSON", schema: JSON.stringify(narrowed) });
    expect(refused.status).toBe(409);
    expect(refused.json.error_code).toBe(409);
    expect(refused.json.messages.join("\n")).toMatch(/#\/properties\/total: type number was accepted and no longer is \(TYPE_NARROWED\)/);
    const verbose = await call("POST", "/compatibility/subjects/compat-value/versions/latest?verbose=true", { schemaType: "JSON", schema: JSON.stringify({ ...orderSchema, required: ["id", "total", "note"] }) });
    expect(verbose.json.is_compatible).toBe(false);
    expect(verbose.json.messages.join()).toMatch(/REQUIRED_PROPERTY_ADDED/);
    const widened = { ...orderSchema, required: ["id"] };
    expect((await call("POST", "/compatibility/subjects/compat-value/versions/latest", { schemaType: "JSON", schema: JSON.stringify(widened) })).json).toEqual({ is_compatible: true });
    expect((await call("PUT", "/config/compat-value", { compatibility: "NONE" })).json).toEqual({ compatibility: "NONE" });
    expect((await call("POST", "/subjects/compat-value/versions", { schemaType: "JSON", schema: JSON.stringify(narrowed) })).status).toBe(200);
    expect((await call("GET", "/config")).json).toEqual({ compatibilityLevel: "BACKWARD" });
    expect((await call("PUT", "/config", { compatibility: "SIDEWAYS" })).json.error_code).toBe(42203);
  });

  it("works with @kafkajs/confluent-schema-registry: register, encode and decode", async () => {
    const client = new RegistryClient({ host: broker.httpUrl });
    const { id } = await client.register({ type: SchemaType.JSON, schema: JSON.stringify(orderSchema) }, { subject: "client-value" });
    const encoded = await client.encode(id, { id: 7, total: 12.5 });
    expect(encoded[0]).toBe(0);
    expect(encoded.readInt32BE(1)).toBe(id);
    expect(await client.decode(encoded)).toEqual({ id: 7, total: 12.5 });
    await expect(client.encode(id, { id: "seven", total: 1 })).rejects.toThrow();
    expect(await client.getLatestSchemaId("client-value")).toBe(id);
  });
});

describe("validation on write", () => {
  it("HTTP: 422 lists each failing path and nothing is appended; dead-letter policy splits the batch", async () => {
    await call("POST", "/topics", { name: "checked" });
    await call("POST", "/subjects/checked-value/versions", { schemaType: "JSON", schema: JSON.stringify(orderSchema) });
    const refused = await call("POST", "/topics/checked/records", { records: [{ value: { id: 1, total: 3 } }, { value: { id: "x", total: -1 } }] });
    expect(refused.status).toBe(422);
    expect(refused.json.errors).toEqual([{ index: 1, errors: expect.arrayContaining([
      expect.objectContaining({ instancePath: "/id" }), expect.objectContaining({ instancePath: "/total" })]) }]);
    expect((await broker.logs.partition("checked", 0).offsets()).logEndOffset).toBe(0);
    expect((await call("POST", "/topics/checked/records", { value: { id: 1, total: 3 } })).status).toBe(200);

    await call("POST", "/topics", { name: "lenient", configs: { "schema.invalid.policy": "dead-letter" } });
    await call("POST", "/subjects/lenient-value/versions", { schemaType: "JSON", schema: JSON.stringify(orderSchema) });
    const split = await call("POST", "/topics/lenient/records", { records: [{ value: { id: 1, total: 3 } }, { value: { total: 1 } }] });
    expect(split.status).toBe(200);
    expect(split.json.offsets).toEqual([{ partition: 0, offset: 0 }, null]);
    expect(split.json.dead_lettered).toEqual([{ index: 1, topic: "lenient.dlq", partition: 0, offset: 0 }]);
    const dead = await call("GET", "/topics/lenient.dlq/partitions/0/records?offset=0");
    expect(dead.json.records[0].headers["tributary.error"]).toMatch(/required property 'id'/);
  });

  it("Kafka producers: invalid values answer INVALID_RECORD; valid and framed values are appended", async () => {
    await call("POST", "/topics", { name: "kchecked" });
    const { json } = await call("POST", "/subjects/kchecked-value/versions", { schemaType: "JSON", schema: JSON.stringify(orderSchema) });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: "kchecked", messages: [{ value: JSON.stringify({ id: 1, total: 2 }) }] });
    const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, json.id]), Buffer.from(JSON.stringify({ id: 2, total: 4 }))]);
    await producer.send({ topic: "kchecked", messages: [{ value: framed }] });
    const refused = await producer.send({ topic: "kchecked", messages: [{ value: JSON.stringify({ id: "no" }) }] }).catch((e: Error) => e);
    expect(refused).toBeInstanceOf(Error);
    expect(String((refused as Error).message)).toMatch(/failed the validation on broker/); // kafkajs' text for INVALID_RECORD
    await producer.disconnect();
    expect((await broker.logs.partition("kchecked", 0).offsets()).logEndOffset).toBe(2);
  });
});

describe("streaming", () => {
  it("pushes new records over SSE as they are published, and resumes from Last-Event-ID", async () => {
    await call("POST", "/topics", { name: "live" });
    await call("POST", "/topics/live/records", { records: [{ value: "old-0" }, { value: "old-1" }] });
    const res = await fetch(`${broker.httpUrl}/topics/live/partitions/0/stream?from=beginning`, { headers: { accept: "text/event-stream" } });
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const reading = readEvents(res, 4, true);
    await call("POST", "/topics/live/records", { records: [{ value: "new-2" }, { value: "new-3" }] });
    const events = await reading;
    expect(events.map((e) => [e.id, e.data.value])).toEqual([["0", "old-0"], ["1", "old-1"], ["2", "new-2"], ["3", "new-3"]]);
    const resumed = await fetch(`${broker.httpUrl}/topics/live/partitions/0/stream`, { headers: { accept: "text/event-stream", "last-event-id": "1" } });
    expect((await readEvents(resumed, 2, true)).map((e) => e.data.offset)).toEqual([2, 3]);
  });

  it("streams NDJSON from a consumer group's committed offset", async () => {
    await call("POST", "/topics", { name: "ndstream" });
    await call("POST", "/topics/ndstream/records", { records: [{ value: 0 }, { value: 1 }, { value: 2 }] });
    await broker.logs.offsets.commit("dashboard", [{ topic: "ndstream", partition: 0, offset: 2 }]);
    const res = await fetch(`${broker.httpUrl}/topics/ndstream/partitions/0/stream?group=dashboard`, { headers: { accept: "application/x-ndjson" } });
    expect((await readEvents(res, 1, false)).map((e) => e.data.value)).toEqual([2]);
    expect((await call("GET", "/topics/ndstream/partitions/0/stream?offset=99")).status).toBe(416);
  });
});

describe("metrics", () => {
  it("exposes records and bytes per topic, latencies, fsync, consumer lag and schema rejections", async () => {
    await call("POST", "/topics", { name: "measured" });
    await call("POST", "/topics/measured/records", { records: [{ value: 1 }, { value: 2 }, { value: 3 }] });
    await broker.logs.offsets.commit("lagging", [{ topic: "measured", partition: 0, offset: 1 }]);
    await call("POST", "/topics", { name: "measured-strict" });
    await call("POST", "/subjects/measured-strict-value/versions", { schemaType: "JSON", schema: JSON.stringify({ type: "integer" }) });
    expect((await call("POST", "/topics/measured-strict/records", { value: "not an integer" })).status).toBe(422);
    expect((await call("GET", "/topics/measured/partitions/0/records?offset=0")).json.records).toHaveLength(3);
    const res = await fetch(`${broker.httpUrl}/metrics`);
    expect(res.headers.get("content-type")).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/tributary_records_in_total\{topic="measured",source="http"\} 3/);
    expect(text).toMatch(/tributary_bytes_in_total\{topic="measured",source="http"\} \d+/);
    // HTTP reads count the bytes they served, as Kafka fetches do.
    const bytesIn = Number(/tributary_bytes_in_total\{topic="measured",source="http"\} (\d+)/.exec(text)![1]);
    expect(Number(/tributary_bytes_out_total\{topic="measured",source="http"\} (\d+)/.exec(text)?.[1])).toBe(bytesIn);
    expect(text).toMatch(/tributary_consumer_lag\{group="lagging",topic="measured",partition="0"\} 2/);
    expect(text).toMatch(/tributary_fsync_latency_seconds_count [1-9]\d*/);
    expect(text).toMatch(/tributary_produce_latency_seconds_count\{source="http"\} [1-9]\d*/);
    expect(text).toMatch(/tributary_schema_rejections_total\{topic="measured-strict"\} 1/);
    // A deleted topic's series and committed offsets go with it; a topic created again under the name starts from zero.
    expect((await call("DELETE", "/topics/measured")).status).toBe(204);
    expect(await (await fetch(`${broker.httpUrl}/metrics`)).text()).not.toMatch(/topic="measured"/);
    expect(await broker.logs.offsets.get("lagging", "measured", 0)).toBeUndefined();
    await call("POST", "/topics", { name: "measured" });
    await call("POST", "/topics/measured/records", { value: 4 });
    const again = await (await fetch(`${broker.httpUrl}/metrics`)).text();
    expect(again).toMatch(/tributary_records_in_total\{topic="measured",source="http"\} 1\n/);
    expect(again).not.toMatch(/group="lagging",topic="measured"/);
  });
  it("exposes process metrics, open connections, Kafka requests and error codes per API and version, and each partition's size and offsets", async () => {
    await call("POST", "/topics", { name: "gauged", partitions: 2 });
    await call("POST", "/topics/gauged/records", { records: [{ value: 1, partition: 1 }, { value: 2, partition: 1 }] });
    const admin = kafka.admin();
    await admin.connect();
    try {
      // Creating a topic that exists answers TOPIC_ALREADY_EXISTS (kafkajs takes it as "already there").
      expect(await admin.createTopics({ topics: [{ topic: "gauged" }] })).toBe(false);
      const text = await (await fetch(`${broker.httpUrl}/metrics`)).text();
      expect(text).toMatch(/^tributary_process_cpu_seconds_total \d/m);
      expect(text).toMatch(/^tributary_process_resident_memory_bytes \d+/m);
      expect(text).toMatch(/^tributary_nodejs_eventloop_lag_p99_seconds \d/m);
      expect(Number(/^tributary_kafka_connections (\d+)/m.exec(text)?.[1])).toBeGreaterThanOrEqual(1);
      expect(Number(/^tributary_http_requests_in_flight (\d+)/m.exec(text)?.[1])).toBeGreaterThanOrEqual(1); // this scrape
      expect(text).toMatch(/^tributary_kafka_requests_total\{api="CreateTopics",version="\d+"\} 1$/m);
      expect(text).toMatch(/^tributary_kafka_requests_total\{api="Metadata",version="\d+"\} [1-9]\d*$/m);
      expect(text).toMatch(/^tributary_kafka_errors_total\{api="CreateTopics",version="\d+",error="TOPIC_ALREADY_EXISTS"\} 1$/m);
      expect(text).toMatch(/^tributary_partition_high_watermark\{topic="gauged",partition="0"\} 0$/m);
      expect(text).toMatch(/^tributary_partition_high_watermark\{topic="gauged",partition="1"\} 2$/m);
      expect(text).toMatch(/^tributary_partition_log_start_offset\{topic="gauged",partition="1"\} 0$/m);
      expect(text).toMatch(/^tributary_partition_segments\{topic="gauged",partition="1"\} 1$/m);
      expect(Number(/^tributary_partition_size_bytes\{topic="gauged",partition="1"\} (\d+)/m.exec(text)?.[1])).toBeGreaterThan(0);
      expect(text).not.toMatch(/tributary_partition_\w+\{topic="__consumer_offsets"/);
    } finally {
      await admin.disconnect();
    }
  });
});

describe("REST Proxy v2 consumers", () => {
  const v2 = "application/vnd.kafka.v2+json";

  it("consume, commit and share a group with a Kafka consumer", async () => {
    await call("POST", "/topics", { name: "shared", partitions: 4 });
    await call("POST", "/topics/shared/records", { records: Array.from({ length: 8 }, (_, i) => ({ value: i, partition: i % 4 })) });
    const created = await call("POST", "/consumers/mixed", { name: "web-1", format: "json", "auto.offset.reset": "earliest", "auto.commit.enable": "false" }, v2);
    expect(created.json).toEqual({ instance_id: "web-1", base_uri: `${broker.httpUrl}/consumers/mixed/instances/web-1` });
    expect((await call("POST", "/consumers/mixed", { name: "web-1" }, v2)).status).toBe(409);
    expect((await call("POST", "/consumers/mixed/instances/web-1/subscription", { topics: ["shared"] }, v2)).status).toBe(204);
    expect((await call("GET", "/consumers/mixed/instances/web-1/assignments")).json.partitions).toHaveLength(4);
    const records = await call("GET", "/consumers/mixed/instances/web-1/records?timeout=2000");
    expect(records.json.map((r: { value: number }) => r.value).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect((await call("POST", "/consumers/mixed/instances/web-1/offsets", "")).status).toBe(200);
    const admin = kafka.admin();
    await admin.connect();
    const committed = await admin.fetchOffsets({ groupId: "mixed", topics: ["shared"] });
    expect(committed[0]!.partitions.map((p) => p.offset)).toEqual(["2", "2", "2", "2"]);

    // A Kafka consumer joins the same group: the partitions are split between the two.
    // It offers the range assignor, as Java clients do (kafkajs's own is named RoundRobinAssigner).
    const consumer = kafka.consumer({ groupId: "mixed", sessionTimeout: 30_000, maxWaitTimeInMs: 200, partitionAssigners: [RangeAssigner] });
    await consumer.connect();
    await consumer.subscribe({ topic: "shared" });
    let kafkaPartitions: number[] = [];
    consumer.on(consumer.events.GROUP_JOIN, (e) => (kafkaPartitions = e.payload.memberAssignment.shared ?? []));
    void consumer.run({ eachMessage: async () => undefined });
    // The HTTP member rejoins when its heartbeat sees the rebalance; a fetch waits for it.
    const deadline = Date.now() + 30_000;
    let httpPartitions: { partition: number }[] = [];
    while (Date.now() < deadline) {
      await call("GET", "/consumers/mixed/instances/web-1/records?timeout=200");
      httpPartitions = (await call("GET", "/consumers/mixed/instances/web-1/assignments")).json.partitions;
      if (httpPartitions.length === 2 && kafkaPartitions.length === 2) break;
    }
    expect({ http: httpPartitions.length, kafka: kafkaPartitions.length }).toEqual({ http: 2, kafka: 2 });
    expect([...httpPartitions.map((p) => p.partition), ...kafkaPartitions].sort()).toEqual([0, 1, 2, 3]);
    await consumer.disconnect();
    await admin.disconnect();
    expect((await call("DELETE", "/consumers/mixed/instances/web-1")).status).toBe(204);
    expect(await call("GET", "/consumers/mixed/instances/web-1/records")).toMatchObject({ status: 404, json: { error_code: 40403 } });
  });

  it("supports manual assignment, seeking and binary format", async () => {
    await call("POST", "/topics", { name: "manual" });
    await call("POST", "/topics/manual/records", { records: [{ value: "a" }, { value: "b" }, { value: "c" }] });
    await call("POST", "/consumers/solo", { name: "m", format: "binary" }, v2);
    await call("POST", "/consumers/solo/instances/m/assignments", { partitions: [{ topic: "manual", partition: 0 }] }, v2);
    await call("POST", "/consumers/solo/instances/m/positions", { offsets: [{ topic: "manual", partition: 0, offset: 1 }] }, v2);
    const got = await call("GET", "/consumers/solo/instances/m/records?timeout=500");
    expect(got.json.map((r: { value: string }) => Buffer.from(r.value, "base64").toString())).toEqual(['"b"', '"c"']);
    await call("POST", "/consumers/solo/instances/m/positions/beginning", { partitions: [{ topic: "manual", partition: 0 }] }, v2);
    expect((await call("GET", "/consumers/solo/instances/m/records?timeout=500")).json).toHaveLength(3);
    expect((await call("POST", "/consumers/solo/instances/m/assignments", { partitions: [{ topic: "manual", partition: 7 }] }, v2)).status).toBe(404);
    expect((await call("POST", "/consumers/solo", { format: "protobuf" }, v2)).status).toBe(422);
  });
});

describe("API description", () => {
  it("describes every route in a valid OpenAPI 3.1 document, and no route that does not exist; /docs renders it", async () => {
    const { Validator } = await import("@seriousme/openapi-schema-validator");
    const doc = (await call("GET", "/openapi.json")).json;
    const verdict = await new Validator().validate(doc);
    expect(verdict.errors ?? []).toEqual([]);
    expect(verdict.valid).toBe(true);
    expect(doc.openapi).toBe("3.1.0");

    // Every route the app registers (the registry's mirror under /schema-registry aside) is described, and nothing else.
    const { buildHttpApp } = await import("../../src/server/http/app.js");
    const app = buildHttpApp({} as never);
    const registered = new Set(app.routes.filter((r) => r.method !== "ALL" && !r.path.startsWith("/schema-registry/"))
      .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`));
    const described = new Set(Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`)));
    expect([...registered].filter((r) => !described.has(r))).toEqual([]);
    expect([...described].filter((r) => !registered.has(r))).toEqual([]);
    expect(described.size).toBeGreaterThan(80);

    // Bodies, query parameters and answers come from the schemas the routes check requests with.
    const create = doc.paths["/topics"].post;
    expect(create.requestBody.content["application/json"].schema).toMatchObject({
      type: "object", required: ["name"], properties: { name: { type: "string", maxLength: 249 }, partitions: { type: "integer", minimum: 1 } },
    });
    expect(create.responses["201"].content["application/json"].schema.properties.partitions.type).toBe("array");
    expect(create.responses["4XX"].content["application/json"].schema.required).toEqual(["error_code", "message"]);
    const read = doc.paths["/topics/{topic}/partitions/{partition}/records"].get;
    expect(read.parameters).toContainEqual(expect.objectContaining({ name: "partition", in: "path", required: true }));
    expect(read.parameters).toContainEqual(expect.objectContaining({ name: "limit", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 10000 } }));
    expect(doc.paths["/sql"].post.responses["200"].content).toHaveProperty(["text/csv"]);
    expect(doc.info.description).toContain(`at most ${broker.config.httpBodyBytesMax} bytes`);

    // The same schemas refuse what they do not describe, naming the field.
    expect(await call("POST", "/topics", { name: "typed", partitions: "two" })).toMatchObject({ status: 422, json: { error_code: 42201, message: expect.stringMatching(/^'partitions': /) } });
    expect(await call("POST", "/topics", { name: "bad name!" })).toMatchObject({ status: 422, json: { message: expect.stringMatching(/^'name': must be ASCII letters/) } });
    expect(await call("PATCH", "/topics/typed/configs", { remove: "retention.ms" })).toMatchObject({ status: 422, json: { message: expect.stringMatching(/^'remove': /) } });
    await call("POST", "/topics", { name: "typed" });
    expect(await call("GET", "/topics/typed/partitions/0/records?limit=0")).toMatchObject({ status: 400, json: { message: "limit: must be at least 1" } });
    expect(await call("GET", "/topics/typed/partitions/0/records?format=xml")).toMatchObject({ status: 400, json: { message: "format: must be json or binary" } });
    expect(await call("POST", "/topics/typed/records", { records: [{ value: 1, headers: 7 }] })).toMatchObject({ status: 422, json: { message: expect.stringMatching(/^'records\[0\]\.headers': /) } });

    const page = await fetch(`${broker.httpUrl}/docs`);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain("POST /subjects/{subject}/versions");
    expect(html).toContain("&quot;maxLength&quot;: 249");
    expect(html).not.toMatch(/<script/);
  });
});

describe("groups over HTTP and the registry under a prefix", () => {
  it("shows a group's committed offsets and lag, and serves the registry at /schema-registry too", async () => {
    await call("POST", "/topics", { name: "lagged", partitions: 2 });
    await call("POST", "/topics/lagged/records", { records: [{ value: 1, partition: 0 }, { value: 2, partition: 0 }, { value: 3, partition: 1 }] });
    await broker.logs.offsets.commit("reporting", [{ topic: "lagged", partition: 0, offset: 1 }]);
    expect((await call("GET", "/groups")).json).toContainEqual({ group: "reporting", state: "Empty", members: 0, lag: 1 });
    expect((await call("GET", "/groups/reporting")).json.partitions).toEqual([{ topic: "lagged", partition: 0, committed: 1, high_watermark: 2, lag: 1, metadata: null }]);
    expect(await call("GET", "/groups/nobody")).toMatchObject({ status: 404, json: { error_code: 40404 } });
    const viaPrefix = await call("POST", "/schema-registry/subjects/prefixed-value/versions", { schemaType: "JSON", schema: JSON.stringify({ type: "string" }) });
    expect(viaPrefix.status).toBe(200);
    expect((await call("GET", "/subjects")).json).toContain("prefixed-value");
    expect((await call("GET", "/schema-registry/subjects/none/versions")).json.error_code).toBe(40401);
  });
});

describe("OffsetDelete against a live group", () => {
  it("refuses to delete offsets of a topic the group's members subscribe to, and deletes the others", async () => {
    const { RawKafka } = await import("../helpers/raw-kafka.js");
    await call("POST", "/topics", { name: "subscribed" });
    await call("POST", "/topics", { name: "abandoned" });
    await broker.logs.offsets.commit("od-group", [{ topic: "subscribed", partition: 0, offset: 0 }, { topic: "abandoned", partition: 0, offset: 0 }]);
    await call("POST", "/consumers/od-group", { name: "sub" }, "application/vnd.kafka.v2+json");
    await call("POST", "/consumers/od-group/instances/sub/subscription", { topics: ["subscribed"] }, "application/vnd.kafka.v2+json");
    const raw = await RawKafka.connect(broker.brokers[0]!);
    const answer = await raw.request(47, 0, { groupId: "od-group", topics: [{ name: "subscribed", partitions: [{ partitionIndex: 0 }] }, { name: "abandoned", partitions: [{ partitionIndex: 0 }] }] });
    expect(answer.topics.map((t: { name: string; partitions: { errorCode: number }[] }) => [t.name, t.partitions[0]!.errorCode])).toEqual([["subscribed", 86], ["abandoned", 0]]);
    expect(await broker.logs.offsets.get("od-group", "abandoned", 0)).toBeUndefined();
    expect(await broker.logs.offsets.get("od-group", "subscribed", 0)).toBeDefined();
    raw.close();
    await call("DELETE", "/consumers/od-group/instances/sub");
  });
});

describe("whole-topic stream", () => {
  it("merges every partition, and resumes from the Last-Event-ID map of next offsets", async () => {
    await call("POST", "/topics", { name: "fanin", partitions: 3 });
    await call("POST", "/topics/fanin/records", { records: [{ value: "p0", partition: 0 }, { value: "p1", partition: 1 }] });
    const res = await fetch(`${broker.httpUrl}/topics/fanin/stream?from=beginning`, { headers: { accept: "text/event-stream" } });
    const reading = readEvents(res, 3, true);
    await call("POST", "/topics/fanin/records", { value: "p2", partition: 2 });
    const events = (await reading).map((e) => ({ id: e.id!, value: e.data.value as string }));
    expect(events.map((e) => e.value).sort()).toEqual(["p0", "p1", "p2"]);
    expect(JSON.parse(events[events.length - 1]!.id)).toEqual({ 0: 1, 1: 1, 2: 1 });
    // Resume after the second event: only what came after it.
    await call("POST", "/topics/fanin/records", { value: "later", partition: 0 });
    const resumed = await fetch(`${broker.httpUrl}/topics/fanin/stream`, { headers: { accept: "application/x-ndjson", "last-event-id": events[1]!.id } });
    expect((await readEvents(resumed, 2, false)).map((e) => e.data.value).sort()).toEqual([events[2]!.value, "later"].sort());
    expect((await call("GET", "/topics/nope/stream")).status).toBe(404);
  });
});

describe("admin over HTTP", () => {
  it("changes configs, adds partitions, resets a group's offsets (dry run, then executed) and deletes the group, refusing while it has members", async () => {
    expect((await call("POST", "/topics", { name: "admin-t", configs: { "retention.ms": 60000 } })).status).toBe(201);
    const patched = await httpCall(broker.httpUrl, "PATCH", "/topics/admin-t/configs", { set: { "cleanup.policy": "compact,delete" }, remove: ["retention.ms"] });
    expect(patched.status).toBe(200);
    expect(patched.json.filter((c: { source: string }) => c.source === "topic")).toEqual([{ name: "cleanup.policy", value: "compact,delete", source: "topic" }]);
    expect((await httpCall(broker.httpUrl, "PATCH", "/topics/admin-t/configs", { set: { colour: "blue" } })).json.message).toMatch(/unknown topic config 'colour'/);
    expect((await httpCall(broker.httpUrl, "PATCH", "/topics/admin-t/configs", { remove: "retention.ms" })).status).toBe(422);
    expect((await httpCall(broker.httpUrl, "PATCH", "/topics/__consumer_offsets/configs", { set: {} })).status).toBe(403);
    expect((await call("POST", "/topics/admin-t/partitions", { count: 3 })).json).toEqual({ topic: "admin-t", partitions: 3 });
    expect((await call("POST", "/topics/admin-t/partitions", { count: 2 })).status).toBe(422);
    await call("POST", "/topics/admin-t/records", { records: [0, 1, 2, 3].map((i) => ({ key: `k${i}`, value: i, partition: 0 })) });

    const consumer = kafka.consumer({ groupId: "admin-g", sessionTimeout: 10_000 });
    await consumer.connect();
    await consumer.subscribe({ topic: "admin-t", fromBeginning: true });
    let seen = 0;
    await consumer.run({ autoCommitInterval: 20, eachMessage: async () => void seen++ });
    while (seen < 4) await new Promise((r) => setTimeout(r, 20));
    const refused = await call("POST", "/groups/admin-g/reset-offsets", { topic: "admin-t", to: "earliest", execute: true });
    expect(refused).toMatchObject({ status: 409, json: { error_code: 40902, message: expect.stringMatching(/has 1 member/) } });
    expect((await call("DELETE", "/groups/admin-g")).status).toBe(409);
    await consumer.disconnect();
    while (((await broker.logs.offsets.get("admin-g", "admin-t", 0))?.offset ?? 0) < 4) await new Promise((r) => setTimeout(r, 20));

    const dry = await call("POST", "/groups/admin-g/reset-offsets", { topic: "admin-t", to: "shift", by: -3 });
    expect(dry.json).toEqual({ group: "admin-g", executed: false, partitions: [
      { topic: "admin-t", partition: 0, current: 4, next: 1 }, { topic: "admin-t", partition: 1, current: -1, next: 0 }, { topic: "admin-t", partition: 2, current: -1, next: 0 },
    ] });
    expect((await broker.logs.offsets.get("admin-g", "admin-t", 0))?.offset).toBe(4);
    const done = await call("POST", "/groups/admin-g/reset-offsets", { topic: "admin-t", to: "offset", offset: 2, execute: true });
    expect(done.json.partitions[0]).toEqual({ topic: "admin-t", partition: 0, current: 4, next: 2 });
    expect((await broker.logs.offsets.get("admin-g", "admin-t", 0))?.offset).toBe(2);
    expect((await call("GET", "/groups/admin-g")).json.partitions).toContainEqual(expect.objectContaining({ topic: "admin-t", partition: 0, committed: 2 }));
    for (const bad of [{ topic: "admin-t", to: "sideways" }, { topic: "admin-t", to: "offset" }, { topic: "admin-t", to: "datetime", datetime: "soon" }, { to: "latest" }]) {
      expect((await call("POST", "/groups/admin-g/reset-offsets", bad)).status, JSON.stringify(bad)).toBe(422);
    }
    expect((await call("POST", "/groups/admin-g/reset-offsets", { topic: "nope", to: "latest" })).status).toBe(404);
    expect((await call("DELETE", "/groups/admin-g")).status).toBe(204);
    expect((await call("DELETE", "/groups/admin-g")).status).toBe(404);
    expect(await broker.logs.offsets.list("admin-g")).toEqual([]);
  });
});
