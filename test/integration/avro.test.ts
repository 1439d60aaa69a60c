// Avro, Confluent's default schema type: registration without a schemaType,
// Avro's resolution rules under every compatibility level, and validation on
// write of framed Avro records from Kafka producers and REST Proxy v2, with a
// third-party registry client doing the encoding.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Kafka, logLevel } from "kafkajs";
import { SchemaRegistry as RegistryClient, SchemaType } from "@kafkajs/confluent-schema-registry";
import { startBroker, type Broker } from "../../src/server/broker.js";
import { decodeRecordBatch, splitBatches } from "../../src/protocol/record-batch-codec.js";

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker({ ephemeral: true, kafkaPort: 0, httpPort: 0 });
});

afterAll(async () => {
  await broker?.stop();
});

async function call(method: string, route: string, body?: unknown, contentType = "application/vnd.schemaregistry.v1+json"): Promise<{ status: number; json: any }> {
  const res = await fetch(`${broker.httpUrl}${route}`, {
    method,
    headers: body === undefined ? {} : { "content-type": contentType },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

const record = (fields: Record<string, unknown>[], name = "User") => JSON.stringify({ type: "record", name, namespace: "com.example", fields });
const NAME = { name: "name", type: "string" };

describe("registering Avro schemas", () => {
  it("takes a body without schemaType as Avro, answers without schemaType as Confluent does, and ignores formatting", async () => {
    const schema = record([NAME]);
    const { json } = await call("POST", "/subjects/users-value/versions", { schema });
    expect(json.id).toEqual(expect.any(Number));
    expect((await call("GET", `/schemas/ids/${json.id}`)).json).toEqual({ schema });
    expect((await call("GET", "/subjects/users-value/versions/latest")).json).toEqual({ subject: "users-value", version: 1, id: json.id, schema });
    const reformatted = JSON.stringify(JSON.parse(schema), null, 2);
    expect((await call("POST", "/subjects/users-value/versions", { schema: reformatted })).json.id).toBe(json.id);
    expect((await call("POST", "/subjects/users-value", { schema: reformatted })).json).toMatchObject({ version: 1, id: json.id });
    expect((await call("GET", "/schemas/types")).json).toContain("AVRO");
  });

  it("refuses what is not Avro with 422, and Protobuf plainly", async () => {
    for (const schema of ['{"type":"record","name":"X"}', '{"type":"nonsense"}', "not json", '{"type":"enum","name":"E","symbols":["A","A"]}']) {
      expect((await call("POST", "/subjects/bad-avro-value/versions", { schema })).json, schema).toMatchObject({ error_code: 42201 });
    }
    const protobuf = await call("POST", "/subjects/proto-value/versions", { schema: "syntax = \"proto3\";", schemaType: "PROTOBUF" });
    expect(protobuf).toMatchObject({ status: 422, json: { error_code: 42201 } });
    expect(protobuf.json.message).toMatch(/PROTOBUF schemas are not supported/);
    expect((await call("POST", "/subjects/mixed-value/versions", { schema: JSON.stringify({ type: "object" }), schemaType: "JSON" })).status).toBe(200);
    expect((await call("POST", "/subjects/mixed-value/versions", { schema: record([NAME]) })).status).toBe(409);
  });
});

describe("Avro compatibility, by the schema-resolution rules", () => {
  const withDefault = record([NAME, { name: "age", type: "int", default: 0 }]);
  const withoutDefault = record([NAME, { name: "age", type: "int" }]);
  const withEmail = record([NAME, { name: "email", type: "string" }]);
  const cases: [string, string, string, boolean][] = [
    // level, old, new, compatible
    ["BACKWARD", record([NAME]), withDefault, true],
    ["BACKWARD", record([NAME]), withoutDefault, false],
    ["BACKWARD", withEmail, record([NAME]), true],
    ["BACKWARD", record([{ name: "n", type: "int" }], "N"), record([{ name: "n", type: "long" }], "N"), true],
    ["BACKWARD", record([{ name: "n", type: "long" }], "N"), record([{ name: "n", type: "int" }], "N"), false],
    ["FORWARD", record([NAME]), withoutDefault, true],
    ["FORWARD", withEmail, record([NAME]), false],
    ["FULL", record([NAME]), withDefault, true],
    ["FULL", record([NAME]), withoutDefault, false],
    ["NONE", record([NAME]), JSON.stringify("string"), true],
  ];
  it.each(cases)("%s: %s -> %s compatible: %s", async (level, old, next, compatible) => {
    const subject = `compat-${Math.random().toString(36).slice(2)}-value`;
    await call("PUT", `/config/${subject}`, { compatibility: level });
    expect((await call("POST", `/subjects/${subject}/versions`, { schema: old })).status).toBe(200);
    expect((await call("POST", `/compatibility/subjects/${subject}/versions/latest`, { schema: next })).json.is_compatible).toBe(compatible);
    expect((await call("POST", `/subjects/${subject}/versions`, { schema: next })).status).toBe(compatible ? 200 : 409);
  });

  it("the _TRANSITIVE levels check every version, the others only the latest", async () => {
    const email = (extra: Record<string, unknown>) => record([NAME, { name: "email", type: "string", ...extra }]);
    const histories: [string, string[], string, boolean][] = [
      // The candidate reads v2's data (age present) but not v1's (no age, no default).
      ["BACKWARD", [record([NAME]), withDefault], withoutDefault, true],
      ["BACKWARD_TRANSITIVE", [record([NAME]), withDefault], withoutDefault, false],
      ["FULL_TRANSITIVE", [record([NAME]), withDefault], withoutDefault, false],
      // v2 (email with a default) reads the candidate's data; v1 (email required) does not.
      ["FORWARD", [email({}), email({ default: "" })], record([NAME]), true],
      ["FORWARD_TRANSITIVE", [email({}), email({ default: "" })], record([NAME]), false],
    ];
    for (const [level, versions, candidate, accepted] of histories) {
      const subject = `transitive-${level}-value`;
      await call("PUT", `/config/${subject}`, { compatibility: "NONE" });
      for (const v of versions) expect((await call("POST", `/subjects/${subject}/versions`, { schema: v })).status).toBe(200);
      await call("PUT", `/config/${subject}`, { compatibility: level });
      expect((await call("POST", `/subjects/${subject}/versions`, { schema: candidate })).status, level).toBe(accepted ? 200 : 409);
    }
  });
});

describe("validation on write of Avro records", () => {
  const schema = record([NAME, { name: "age", type: "int", default: 0 }, { name: "email", type: ["null", "string"], default: null }]);

  it("a Kafka producer's records encoded by a registry client are accepted; undecodable, unframed or foreign ones are refused", async () => {
    await call("POST", "/topics", { name: "avro-users" }, "application/json");
    const client = new RegistryClient({ host: broker.httpUrl });
    const { id } = await client.register({ type: SchemaType.AVRO, schema }, { subject: "avro-users-value" });
    expect(await client.getRegistryIdBySchema("avro-users-value", { type: SchemaType.AVRO, schema })).toBe(id);
    // A new required field without a default cannot read the old data: the registry refuses it to the client too.
    const narrower = record([NAME, { name: "age", type: "int", default: 0 }, { name: "email", type: ["null", "string"], default: null }, { name: "tier", type: "int" }]);
    await expect(client.register({ type: SchemaType.AVRO, schema: narrower }, { subject: "avro-users-value" })).rejects.toThrow(/incompatible/i);
    const producer = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    const good = await client.encode(id, { name: "ada", age: 36, email: "ada@example.com" });
    await producer.send({ topic: "avro-users", messages: [{ value: good }] });
    const truncated = good.subarray(0, good.length - 3);
    const foreign = (await call("POST", "/subjects/elsewhere-value/versions", { schema: JSON.stringify("string") })).json.id as number;
    const framedForeign = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), Buffer.from([6, 0x61, 0x62, 0x63])]);
    framedForeign.writeInt32BE(foreign, 1);
    for (const value of [truncated, Buffer.concat([good, Buffer.from([1, 2])]), Buffer.from(JSON.stringify({ name: "plain" })), framedForeign]) {
      const refused = await producer.send({ topic: "avro-users", messages: [{ value }] }).catch((e: Error) => e);
      expect(String((refused as Error).message)).toMatch(/failed the validation on broker/);
    }
    await producer.disconnect();
    const log = broker.logs.partition("avro-users", 0);
    expect((await log.offsets()).logEndOffset).toBe(1);
    const [batch] = splitBatches((await log.read(0, 1 << 20)).records);
    const stored = (await decodeRecordBatch(batch!)).records[0]!.value!;
    expect(await client.decode(stored)).toEqual({ name: "ada", age: 36, email: "ada@example.com" });
  });

  it("REST Proxy v2 avro: values in Avro's JSON encoding are stored as framed Avro binary; invalid ones are 422", async () => {
    const answer = await call("POST", "/topics/avro-rest", { value_schema: schema, records: [{ value: { name: "grace", age: 45, email: null } }] }, "application/vnd.kafka.avro.v2+json");
    expect(answer.status).toBe(200);
    const id = answer.json.value_schema_id as number;
    expect(answer.json.offsets[0]).toMatchObject({ partition: expect.any(Number), offset: 0 });
    const client = new RegistryClient({ host: broker.httpUrl });
    const partition = answer.json.offsets[0].partition as number;
    const [batch] = splitBatches((await broker.logs.partition("avro-rest", partition).read(0, 1 << 20)).records);
    const stored = (await decodeRecordBatch(batch!)).records[0]!.value!;
    expect(stored.readInt32BE(1)).toBe(id);
    expect(await client.decode(stored)).toEqual({ name: "grace", age: 45, email: null });
    // A REST consumer in avro format reads it back in Avro's JSON encoding.
    await call("POST", "/consumers/avro-readers", { name: "r", format: "avro", "auto.offset.reset": "earliest" }, "application/vnd.kafka.v2+json");
    await call("POST", "/consumers/avro-readers/instances/r/assignments", { partitions: [{ topic: "avro-rest", partition }] }, "application/vnd.kafka.v2+json");
    const read = await fetch(`${broker.httpUrl}/consumers/avro-readers/instances/r/records?timeout=0`, { headers: { accept: "application/vnd.kafka.avro.v2+json" } });
    expect(read.status).toBe(200);
    expect((await read.json()).map((r: { value: unknown }) => r.value)).toEqual([{ name: "grace", age: 45, email: null }]);
    const invalid = await call("POST", "/topics/avro-rest", { value_schema_id: id, records: [{ value: { name: 7 } }] }, "application/vnd.kafka.avro.v2+json");
    expect(invalid.status).toBe(422);
    expect(invalid.json.message).toMatch(/record 0/);
  });
});

describe("Avro schema references", () => {
  it("an Avro record uses a type defined under another subject; a registry client encodes and decodes through it", async () => {
    const address = JSON.stringify({ type: "record", name: "Address", namespace: "com.example", fields: [{ name: "city", type: "string" }] });
    expect((await call("POST", "/subjects/avro-address-value/versions", { schema: address })).status).toBe(200);
    const order = JSON.stringify({ type: "record", name: "Order", namespace: "com.example", fields: [{ name: "ship_to", type: "com.example.Address" }] });
    expect((await call("POST", "/subjects/avro-orders-value/versions", { schema: order })).json.error_code).toBe(42201); // the type is unknown without the reference
    const references = [{ name: "com.example.Address", subject: "avro-address-value", version: 1 }];
    const { json } = await call("POST", "/subjects/avro-orders-value/versions", { schema: order, references });
    expect((await call("GET", `/schemas/ids/${json.id}`)).json).toEqual({ schema: order, references });
    expect((await call("GET", "/subjects/avro-address-value/versions/1/referencedby")).json).toEqual([json.id]);
    // The compatibility check parses the candidate with its references too.
    expect((await call("POST", "/compatibility/subjects/avro-orders-value/versions/latest", { schema: order, references })).json).toEqual({ is_compatible: true });
    await call("POST", "/topics", { name: "avro-orders" }, "application/json");
    const client = new RegistryClient({ host: broker.httpUrl });
    const encoded = await client.encode(json.id, { ship_to: { city: "Lisbon" } });
    const producer = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    await producer.send({ topic: "avro-orders", messages: [{ value: encoded }] });
    const refused = await producer.send({ topic: "avro-orders", messages: [{ value: encoded.subarray(0, encoded.length - 2) }] }).catch((e: Error) => e);
    expect(String((refused as Error).message)).toMatch(/failed the validation on broker/);
    await producer.disconnect();
    const [batch] = splitBatches((await broker.logs.partition("avro-orders", 0).read(0, 1 << 20)).records);
    expect(await client.decode((await decodeRecordBatch(batch!)).records[0]!.value!)).toEqual({ ship_to: { city: "Lisbon" } });
  });
});
