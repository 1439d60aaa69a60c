// The registry's stored records in Confluent Schema Registry's format: what
// Tributary writes is what Confluent's registry writes, what Confluent's (or
// Karapace's) registry wrote is read, and the earlier format is rewritten.
import { describe, expect, it } from "vitest";
import { MemoryKeyValueStore } from "../../../src/log/memory-store.js";
import { SchemaRegistry } from "../../../src/schema/schema-registry.js";

const objectSchema = (properties: Record<string, unknown>) => JSON.stringify({ type: "object", properties });
const avroRecord = JSON.stringify({ type: "record", name: "Order", fields: [{ name: "id", type: "long" }] });

function stored(raw: MemoryKeyValueStore<unknown>): Record<string, unknown> {
  return Object.fromEntries(raw.entries());
}

describe("the registry's records in Confluent's format", () => {
  it("are written as Confluent's registry writes them", async () => {
    const raw = new MemoryKeyValueStore<unknown>();
    const registry = new SchemaRegistry(raw);
    await registry.register("orders-value", objectSchema({ id: { type: "integer" } }), "JSON");
    await registry.register("avro-value", avroRecord, "AVRO");
    await registry.register("mirror-value", objectSchema({ id: { type: "integer" } }), "JSON"); // the same schema: the same id
    await registry.setCompatibilityLevel("FULL", "orders-value");
    await registry.setCompatibilityLevel("NONE");
    await registry.setMode("READONLY", "avro-value");
    await registry.deleteSubject("mirror-value", false);

    expect(stored(raw)).toEqual({
      '{"keytype":"SCHEMA","subject":"orders-value","version":1,"magic":1}':
        { subject: "orders-value", version: 1, id: 1, schemaType: "JSON", schema: objectSchema({ id: { type: "integer" } }), deleted: false },
      '{"keytype":"SCHEMA","subject":"avro-value","version":1,"magic":1}': { subject: "avro-value", version: 1, id: 2, schema: avroRecord, deleted: false },
      '{"keytype":"SCHEMA","subject":"mirror-value","version":1,"magic":1}':
        { subject: "mirror-value", version: 1, id: 1, schemaType: "JSON", schema: objectSchema({ id: { type: "integer" } }), deleted: true },
      '{"keytype":"CONFIG","subject":"orders-value","magic":0}': { compatibilityLevel: "FULL" },
      '{"keytype":"CONFIG","subject":null,"magic":0}': { compatibilityLevel: "NONE" },
      '{"keytype":"MODE","subject":"avro-value","magic":0}': { mode: "READONLY" },
    });

    // A registry started again from these records answers the same.
    const again = new SchemaRegistry(raw);
    expect(again.subjects()).toEqual(["avro-value", "orders-value"]);
    expect(again.getVersion("orders-value", "latest")).toMatchObject({ id: 1, version: 1, schemaType: "JSON" });
    expect(again.getSchema(2)).toMatchObject({ schema: avroRecord, schemaType: "AVRO" });
    expect(again.compatibilityLevel("orders-value", false)).toBe("FULL");
    expect(again.compatibilityLevel()).toBe("NONE");
    expect(again.mode("avro-value", false)).toBe("READONLY");
    expect(again.listVersions("mirror-value", true)).toEqual([1]);

    // A permanent delete is a tombstone of the version's record.
    await again.deleteSubject("mirror-value", true);
    expect(raw.get('{"keytype":"SCHEMA","subject":"mirror-value","version":1,"magic":1}')).toBeUndefined();
    expect((await again.register("third-value", objectSchema({ other: {} }), "JSON")).id).toBe(3);
  });

  it("reads what Confluent's registry and Karapace write: key fields in any order, NOOP, DELETE_SUBJECT", async () => {
    const raw = new MemoryKeyValueStore<unknown>();
    await raw.put([
      ['{"keytype":"NOOP","magic":0}', {}],
      ['{"keytype":"SCHEMA","subject":"users-value","version":1,"magic":1}', { subject: "users-value", version: 1, id: 7, schema: avroRecord, deleted: false }],
      ['{"subject":"users-value","version":2,"magic":1,"keytype":"SCHEMA"}',
        { subject: "users-value", version: 2, id: 9, schemaType: "JSON", schema: objectSchema({ name: { type: "string" } }), deleted: false }],
      ['{"keytype":"SCHEMA","subject":"gone-value","version":1,"magic":1}', { subject: "gone-value", version: 1, id: 8, schema: avroRecord.replace("Order", "Gone"), deleted: false }],
      ['{"keytype":"DELETE_SUBJECT","subject":"gone-value","magic":0}', { subject: "gone-value", version: 1 }],
      ['{"subject":null,"magic":0,"keytype":"CONFIG"}', { compatibilityLevel: "FORWARD" }],
      ['{"keytype":"MODE","subject":null,"magic":0}', { mode: "READWRITE" }],
    ]);
    const registry = new SchemaRegistry(raw);
    expect(registry.subjects()).toEqual(["users-value"]);
    expect(registry.listVersions("gone-value", true)).toEqual([1]);
    expect(registry.getVersion("users-value", "latest")).toMatchObject({ id: 9, version: 2, schemaType: "JSON" });
    expect(registry.getSchema(7).schemaType).toBe("AVRO");
    expect(registry.compatibilityLevel()).toBe("FORWARD");
    // New ids follow the highest Confluent's registry gave.
    expect((await registry.register("next-value", objectSchema({ n: {} }), "JSON")).id).toBe(10);
  });

  it("rewrites records of Tributary's earlier format in one batch, answering the same", async () => {
    const raw = new MemoryKeyValueStore<unknown>();
    await raw.put([
      ['["schema",1]', { kind: "schema", id: 1, schema: objectSchema({ a: {} }), schemaType: "JSON" }],
      ['["schema",2]', { kind: "schema", id: 2, schema: avroRecord, schemaType: "AVRO" }],
      ['["version","a-value",1]', { kind: "version", subject: "a-value", version: 1, id: 1, deleted: false }],
      ['["version","b-value",1]', { kind: "version", subject: "b-value", version: 1, id: 2, deleted: true }],
      ['["config",null]', { kind: "config", compatibility: "FULL" }],
      ['["mode","a-value"]', { kind: "mode", mode: "READONLY" }],
    ]);
    const registry = new SchemaRegistry(raw);
    expect(registry.getVersion("a-value", 1).id).toBe(1); // read before the rewrite too
    expect(await registry.migrateStoredRecords()).toBe(6);
    expect(Object.keys(stored(raw)).sort()).toEqual([
      '{"keytype":"CONFIG","subject":null,"magic":0}',
      '{"keytype":"MODE","subject":"a-value","magic":0}',
      '{"keytype":"SCHEMA","subject":"a-value","version":1,"magic":1}',
      '{"keytype":"SCHEMA","subject":"b-value","version":1,"magic":1}',
    ]);
    expect(raw.get('{"keytype":"SCHEMA","subject":"b-value","version":1,"magic":1}')).toEqual({ subject: "b-value", version: 1, id: 2, schema: avroRecord, deleted: true });
    expect(registry.getVersion("a-value", 1)).toMatchObject({ id: 1, schemaType: "JSON" });
    expect(registry.compatibilityLevel()).toBe("FULL");
    expect(registry.mode("a-value", false)).toBe("READONLY");
    expect(await registry.migrateStoredRecords()).toBe(0);
  });
});
