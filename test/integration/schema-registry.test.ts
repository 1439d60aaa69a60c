// The schema registry as Confluent's clients and tools expect it: ids under
// concurrency, records held to their own subject, modes, schemas as code that
// stay in force, deletes and error wording.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { SchemaRegistry as RegistryClient, SchemaType } from "@kafkajs/confluent-schema-registry";
import { startBroker, type Broker } from "../../src/server/broker.js";
import { tempDir } from "../helpers/temp-dir.js";

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker({ ephemeral: true, kafkaPort: 0, httpPort: 0 });
});

afterAll(async () => {
  await broker?.stop();
});

async function call(method: string, route: string, body?: unknown, base = broker.httpUrl): Promise<{ status: number; json: any }> {
  const res = await fetch(`${base}${route}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/vnd.schemaregistry.v1+json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

const schemaOf = (properties: Record<string, unknown>) => JSON.stringify({ type: "object", properties });

describe("registration", () => {
  it("gives concurrent registrations of different schemas their own ids, and of one schema one id", async () => {
    const schemas = ["a", "b", "c", "d", "e"].map((p) => schemaOf({ [p]: { type: "string" } }));
    const answers = await Promise.all(schemas.map((schema, i) => call("POST", `/subjects/conc-${i}-value/versions`, { schemaType: "JSON", schema })));
    const ids = answers.map((a) => a.json.id as number);
    expect(new Set(ids).size).toBe(schemas.length);
    for (const [i, id] of ids.entries()) expect((await call("GET", `/schemas/ids/${id}`)).json.schema).toBe(schemas[i]);
    const same = schemaOf({ same: { type: "integer" } });
    const repeated = await Promise.all(Array.from({ length: 5 }, () => call("POST", "/subjects/conc-same-value/versions", { schemaType: "JSON", schema: same })));
    expect(new Set(repeated.map((a) => a.json.id)).size).toBe(1);
    expect((await call("GET", "/subjects/conc-same-value/versions")).json).toEqual([1]);
  });

  it("answers with Confluent's wording, and a soft delete lists only the versions it deleted", async () => {
    expect((await call("GET", "/subjects/missing-value/versions")).json).toEqual({ error_code: 40401, message: "Subject 'missing-value' not found." });
    await call("POST", "/subjects/del-value/versions", { schemaType: "JSON", schema: schemaOf({ a: { type: "string" } }) });
    expect((await call("POST", "/subjects/del-value/versions", { schemaType: "JSON", schema: schemaOf({ a: { type: ["string", "null"] } }) })).status).toBe(200);
    expect((await call("GET", "/subjects/del-value/versions/7")).json).toEqual({ error_code: 40402, message: "Version 7 not found." });
    expect((await call("POST", "/subjects/del-value", { schemaType: "JSON", schema: schemaOf({ z: {} }) })).json).toEqual({ error_code: 40403, message: "Schema not found" });
    expect((await call("DELETE", "/subjects/del-value/versions/1")).json).toBe(1);
    expect((await call("DELETE", "/subjects/del-value")).json).toEqual([2]);
    expect((await call("DELETE", "/subjects/del-value")).json.error_code).toBe(40404);
    expect((await call("DELETE", "/subjects/del-value?permanent=true")).json).toEqual([1, 2]);
  });
});

describe("records are checked against their own subject", () => {
  it("refuses a Kafka record framed with another subject's schema id, and REST value_schema_id of another subject", async () => {
    const mine = (await call("POST", "/subjects/own-value/versions", { schemaType: "JSON", schema: schemaOf({ n: { type: "integer" } }) })).json.id;
    const other = (await call("POST", "/subjects/foreign-value/versions", { schemaType: "JSON", schema: JSON.stringify({ type: "string" }) })).json.id;
    await fetch(`${broker.httpUrl}/topics`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "own" }) });
    const producer = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    const frame = (id: number, json: unknown) => {
      const head = Buffer.alloc(5);
      head.writeInt32BE(id, 1);
      return Buffer.concat([head, Buffer.from(JSON.stringify(json))]);
    };
    await producer.send({ topic: "own", messages: [{ value: frame(mine, { n: 1 }) }] });
    const refused = await producer.send({ topic: "own", messages: [{ value: frame(other, "a string") }] }).catch((e: Error) => e);
    expect(String((refused as Error).message)).toMatch(/failed the validation on broker/);
    await producer.disconnect();
    expect((await broker.logs.partition("own", 0).offsets()).logEndOffset).toBe(1);
    const rest = await fetch(`${broker.httpUrl}/topics/own`, {
      method: "POST", headers: { "content-type": "application/vnd.kafka.jsonschema.v2+json" },
      body: JSON.stringify({ value_schema_id: other, records: [{ value: "a string" }] }),
    });
    expect(rest.status).toBe(422);
    expect((await rest.json()).message).toMatch(/not a version of subject 'own-value'/);
    expect((await broker.logs.partition("own", 0).offsets()).logEndOffset).toBe(1);
  });
});

describe("modes", () => {
  it("READONLY refuses changes with 42205; READWRITE again accepts them", async () => {
    expect((await call("GET", "/mode")).json).toEqual({ mode: "READWRITE" });
    await call("POST", "/subjects/ro-value/versions", { schemaType: "JSON", schema: schemaOf({ a: {} }) });
    expect((await call("PUT", "/mode/ro-value", { mode: "READONLY" })).json).toEqual({ mode: "READONLY" });
    expect((await call("GET", "/mode/ro-value")).json).toEqual({ mode: "READONLY" });
    expect(await call("POST", "/subjects/ro-value/versions", { schemaType: "JSON", schema: schemaOf({ b: {} }) })).toMatchObject({ status: 422, json: { error_code: 42205 } });
    expect(await call("DELETE", "/subjects/ro-value")).toMatchObject({ status: 422, json: { error_code: 42205 } });
    expect((await call("PUT", "/mode/ro-value", { mode: "SIDEWAYS" })).json.error_code).toBe(42204);
    expect((await call("DELETE", "/mode/ro-value")).json).toEqual({ mode: "READONLY" });
    expect((await call("GET", "/mode/ro-value")).status).toBe(404);
    expect((await call("GET", "/mode/ro-value?defaultToGlobal=true")).json).toEqual({ mode: "READWRITE" });
    expect((await call("POST", "/subjects/ro-value/versions", { schemaType: "JSON", schema: schemaOf({ b: {} }) })).status).toBe(200);
  });

  it("IMPORT keeps the ids and versions it is given, needs an empty subject unless forced, and refuses a registration without an id", async () => {
    expect((await call("PUT", "/mode", { mode: "IMPORT" })).json.error_code).toBe(42205); // the registry holds subjects
    expect((await call("PUT", "/mode/imported-value", { mode: "IMPORT" })).json).toEqual({ mode: "IMPORT" });
    const schema = schemaOf({ imported: { type: "boolean" } });
    expect((await call("POST", "/subjects/imported-value/versions", { schemaType: "JSON", schema, id: 5000, version: 3 })).json).toEqual({ id: 5000 });
    expect((await call("GET", "/subjects/imported-value/versions/3")).json).toMatchObject({ id: 5000, version: 3, schema });
    expect((await call("POST", "/subjects/imported-value/versions", { schemaType: "JSON", schema: schemaOf({ other: {} }), id: 5000, version: 4 })).json.error_code).toBe(42205);
    expect((await call("POST", "/subjects/imported-value/versions", { schemaType: "JSON", schema: schemaOf({ other: {} }) })).json.error_code).toBe(42205);
    expect((await call("PUT", "/mode/imported-value", { mode: "READWRITE" })).json).toEqual({ mode: "READWRITE" });
    expect((await call("POST", "/subjects/imported-value/versions", { schemaType: "JSON", schema: schemaOf({ other: {} }), id: 6000 })).json.error_code).toBe(42205);
    // New ids continue above the imported one.
    expect((await call("POST", "/subjects/after-import-value/versions", { schemaType: "JSON", schema: schemaOf({ after: {} }) })).json.id).toBe(5001);
  });
});

describe("schemas as code", () => {
  it("keeps a file's subject read-only and makes the file the latest version at every start", async () => {
    const dir = tempDir("schemas-code");
    const data = tempDir("schemas-code-data");
    const v1 = { type: "object", properties: { id: { type: "integer" } } };
    const v2 = { type: "object", description: "orders as placed", properties: { id: { type: "integer" } } };
    const file = path.join(dir, "orders.json");
    const start = async () => startBroker({ dataDir: data, kafkaPort: 0, httpPort: 0, schemasDir: dir });
    fs.writeFileSync(file, JSON.stringify(v1));
    let b = await start();
    expect((await call("GET", "/mode/orders-value", undefined, b.httpUrl)).json).toEqual({ mode: "READONLY" });
    const refused = await call("POST", "/subjects/orders-value/versions", { schemaType: "JSON", schema: JSON.stringify(v2) }, b.httpUrl);
    expect(refused).toMatchObject({ status: 422, json: { error_code: 42205 } });
    expect(refused.json.message).toContain("orders.json");
    expect((await call("PUT", "/mode/orders-value", { mode: "READWRITE" }, b.httpUrl)).json.error_code).toBe(42205);
    expect((await call("DELETE", "/subjects/orders-value", undefined, b.httpUrl)).json.error_code).toBe(42205);
    const v1Id = (await call("GET", "/subjects/orders-value/versions/latest", undefined, b.httpUrl)).json.id;
    await b.stop();
    fs.writeFileSync(file, JSON.stringify(v2));
    b = await start();
    expect((await call("GET", "/subjects/orders-value/versions/latest", undefined, b.httpUrl)).json).toMatchObject({ version: 2, schema: JSON.stringify(v2) });
    await b.stop();
    // Back to the first text: it becomes version 3 (with version 1's id), not a match of version 1.
    fs.writeFileSync(file, JSON.stringify(v1));
    b = await start();
    expect((await call("GET", "/subjects/orders-value/versions/latest", undefined, b.httpUrl)).json).toMatchObject({ version: 3, id: v1Id, schema: JSON.stringify(v1) });
    await b.stop();
  });
});

describe("a third-party registry client", () => {
  it("@kafkajs/confluent-schema-registry registers, looks up by schema, reads versions and decodes", async () => {
    const client = new RegistryClient({ host: broker.httpUrl });
    const schema = schemaOf({ sku: { type: "string" }, qty: { type: "integer" } });
    const { id } = await client.register({ type: SchemaType.JSON, schema }, { subject: "tp-value" });
    expect(await client.getRegistryIdBySchema("tp-value", { type: SchemaType.JSON, schema })).toBe(id);
    expect(await client.getRegistryId("tp-value", 1)).toBe(id);
    expect(await client.getLatestSchemaId("tp-value")).toBe(id);
    const encoded = await client.encode(id, { sku: "a", qty: 2 });
    expect(await client.decode(encoded)).toEqual({ sku: "a", qty: 2 });
    await expect(client.register({ type: SchemaType.JSON, schema: schemaOf({ sku: { type: "integer" } }) }, { subject: "tp-value" })).rejects.toThrow(/incompatible/i);
  });
});

describe("schema references", () => {
  it("a JSON Schema refers to another subject's version: registered, listed, validated through, and kept from deletion", async () => {
    const address = JSON.stringify({ type: "object", properties: { zip: { type: "string" } }, required: ["zip"] });
    expect((await call("POST", "/subjects/address-value/versions", { schemaType: "JSON", schema: address })).status).toBe(200);
    const customer = JSON.stringify({ type: "object", properties: { address: { $ref: "address.json" } }, required: ["address"] });
    const references = [{ name: "address.json", subject: "address-value", version: 1 }];
    const missing = await call("POST", "/subjects/customer-value/versions", { schemaType: "JSON", schema: customer, references: [{ ...references[0], version: 9 }] });
    expect(missing).toMatchObject({ status: 422, json: { error_code: 42201 } });
    const { json } = await call("POST", "/subjects/customer-value/versions", { schemaType: "JSON", schema: customer, references });
    expect((await call("GET", `/schemas/ids/${json.id}`)).json).toEqual({ schema: customer, schemaType: "JSON", references });
    expect((await call("GET", "/subjects/customer-value/versions/1")).json.references).toEqual(references);
    expect((await call("POST", "/subjects/customer-value", { schemaType: "JSON", schema: customer, references })).json.id).toBe(json.id);
    expect((await call("GET", "/subjects/address-value/versions/1/referencedby")).json).toEqual([json.id]);
    expect(await call("DELETE", "/subjects/address-value/versions/1")).toMatchObject({ status: 422, json: { error_code: 42206 } });
    await fetch(`${broker.httpUrl}/topics`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "customer" }) });
    const publish = (value: unknown) => fetch(`${broker.httpUrl}/topics/customer/records`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ value }) });
    expect((await publish({ address: { zip: "10115" } })).status).toBe(200);
    const refused = await publish({ address: { zip: 10115 } });
    expect(refused.status).toBe(422);
    expect(JSON.stringify(await refused.json())).toMatch(/zip/);
  });
});

describe("registry limits", () => {
  it("references shared by many schemas are resolved once each, not once per path", async () => {
    // Each level refers to the one below twice: 2^30 paths, 30 schemas.
    let previous = "fan-0-value";
    await call("POST", `/subjects/${previous}/versions`, { schemaType: "JSON", schema: JSON.stringify({ type: "string" }) });
    for (let level = 1; level <= 30; level++) {
      const subject = `fan-${level}-value`;
      const references = [{ name: `a${level}.json`, subject: previous, version: 1 }, { name: `b${level}.json`, subject: previous, version: 1 }];
      const schema = JSON.stringify({ type: "object", properties: { a: { $ref: `a${level}.json` }, b: { $ref: `b${level}.json` } } });
      expect((await call("POST", `/subjects/${subject}/versions`, { schemaType: "JSON", schema, references })).status, subject).toBe(200);
      previous = subject;
    }
  });

  it("keeps imported ids within 32 bits, as every framed record carries them", async () => {
    await call("PUT", "/mode/huge-id-value", { mode: "IMPORT" });
    const refused = await call("POST", "/subjects/huge-id-value/versions", { schemaType: "JSON", schema: JSON.stringify({ type: "integer" }), id: 2 ** 31, version: 1 });
    expect(refused).toMatchObject({ status: 422, json: { error_code: 42201 } });
    await call("DELETE", "/mode/huge-id-value");
  });
});

describe("registry settings", () => {
  it("schemaReferencesMax bounds the schemas one schema may reference", async () => {
    const small = await startBroker({ ephemeral: true, kafkaPort: 0, httpPort: 0, schemaReferencesMax: 2 });
    try {
      for (const name of ["r1", "r2", "r3"]) await call("POST", `/subjects/${name}-value/versions`, { schemaType: "JSON", schema: JSON.stringify({ type: "string" }) }, small.httpUrl);
      const references = ["r1", "r2", "r3"].map((n) => ({ name: `${n}.json`, subject: `${n}-value`, version: 1 }));
      const schema = JSON.stringify({ type: "object", properties: Object.fromEntries(["r1", "r2", "r3"].map((n) => [n, { $ref: `${n}.json` }])) });
      const refused = await call("POST", "/subjects/many-value/versions", { schemaType: "JSON", schema, references }, small.httpUrl);
      expect(refused).toMatchObject({ status: 422, json: { error_code: 42201 } });
      expect(refused.json.message).toMatch(/more than 2 schemas referenced/);
      expect((await call("POST", "/subjects/few-value/versions", { schemaType: "JSON", schema: JSON.stringify({ $ref: "r1.json" }), references: references.slice(0, 1) }, small.httpUrl)).status).toBe(200);
    } finally {
      await small.stop();
    }
  });
});

describe("schemas as code: keys and Avro files", () => {
  it("registers <topic>.key.json under <topic>-key and <topic>.avsc as Avro, both read-only", async () => {
    const dir = tempDir("schemas-keys");
    fs.writeFileSync(path.join(dir, "payments.key.json"), JSON.stringify({ type: "string", pattern: "^p-" }));
    fs.writeFileSync(path.join(dir, "payments.avsc"), JSON.stringify({ type: "record", name: "Payment", fields: [{ name: "amount", type: "long" }] }));
    const b = await startBroker({ ephemeral: true, kafkaPort: 0, httpPort: 0, schemasDir: dir });
    try {
      expect((await call("GET", "/subjects/payments-key/versions/latest", undefined, b.httpUrl)).json).toMatchObject({ version: 1, schemaType: "JSON" });
      const value = (await call("GET", "/subjects/payments-value/versions/latest", undefined, b.httpUrl)).json;
      expect(value).toMatchObject({ version: 1 });
      expect(value.schemaType).toBeUndefined(); // Avro, as Confluent shows it
      expect((await call("GET", "/mode/payments-key", undefined, b.httpUrl)).json).toEqual({ mode: "READONLY" });
      expect(b.logs.hasTopic("payments")).toBe(true);
    } finally {
      await b.stop();
    }
  });
});
