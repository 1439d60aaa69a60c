// `_schemas` in Confluent Schema Registry's record format on the binary: a data
// dir whose registry was written in Tributary's earlier format is rewritten at
// start (one log line), serves the same schemas, and what a Kafka client reads
// from `_schemas` is what Confluent's registry would have written.
import { describe, expect, it } from "vitest";
import { Kafka, logLevel } from "kafkajs";
import { LogManager } from "../../src/log/log-manager.js";
import { serve } from "../helpers/cli.js";
import { httpCall } from "../helpers/http-call.js";
import { tempDir } from "../helpers/temp-dir.js";

const schema = JSON.stringify({ type: "object", properties: { id: { type: "integer" } } });

describe("_schemas in Confluent's format", () => {
  it("rewrites a registry of the earlier format at start, serves it the same, and Kafka clients read Confluent's records", async () => {
    const dataDir = tempDir();
    const before = await LogManager.open({ dataDir, maintenanceIntervalMs: 0 });
    await before.schemaStore.put([
      ['["schema",1]', { kind: "schema", id: 1, schema, schemaType: "JSON" }],
      ['["version","orders-value",1]', { kind: "version", subject: "orders-value", version: 1, id: 1, deleted: false }],
      ['["config","orders-value"]', { kind: "config", compatibility: "FULL" }],
    ]);
    await before.close();

    const server = await serve(["--data-dir", dataDir, "--kafka-port", "0", "--http-port", "0", "--log-format", "json"]);
    const http = /http (http:\/\/\S+),/.exec(server.readyLine)![1]!;
    const kafkaAddress = /kafka (\S+),/.exec(server.readyLine)![1]!;
    try {
      const lines = server.output().stderr.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { component: string; msg: string; records?: number });
      expect(lines).toContainEqual(expect.objectContaining({ component: "schema", records: 3, msg: "rewrote 3 registry records of _schemas in Confluent Schema Registry's format" }));
      expect((await httpCall(http, "GET", "/subjects/orders-value/versions/1")).json).toMatchObject({ subject: "orders-value", version: 1, id: 1, schemaType: "JSON", schema });
      expect((await httpCall(http, "GET", "/config/orders-value")).json).toEqual({ compatibilityLevel: "FULL" });
      const registered = await httpCall(http, "POST", "/subjects/users-value/versions",
        { schemaType: "JSON", schema: JSON.stringify({ type: "object", properties: { name: { type: "string" } } }) }, { "content-type": "application/vnd.schemaregistry.v1+json" });
      expect(registered.json).toEqual({ id: 2 });

      // A Kafka client reading _schemas sees Confluent's keys and values, latest last.
      const kafka = new Kafka({ brokers: [kafkaAddress], logLevel: logLevel.NOTHING });
      const consumer = kafka.consumer({ groupId: "schemas-reader" });
      await consumer.connect();
      await consumer.subscribe({ topic: "_schemas", fromBeginning: true });
      const seen = new Map<string, unknown>();
      await new Promise<void>((resolve) => void consumer.run({
        eachMessage: async ({ message }) => {
          const key = message.key!.toString();
          if (key.startsWith("{")) seen.set(key, message.value ? JSON.parse(message.value.toString()) : null);
          if (seen.has('{"keytype":"SCHEMA","subject":"users-value","version":1,"magic":1}')) resolve();
        },
      }));
      await consumer.disconnect();
      expect(seen.get('{"keytype":"SCHEMA","subject":"orders-value","version":1,"magic":1}')).toEqual({ subject: "orders-value", version: 1, id: 1, schemaType: "JSON", schema, deleted: false });
      expect(seen.get('{"keytype":"CONFIG","subject":"orders-value","magic":0}')).toEqual({ compatibilityLevel: "FULL" });
      expect(seen.get('{"keytype":"SCHEMA","subject":"users-value","version":1,"magic":1}')).toMatchObject({ subject: "users-value", version: 1, id: 2, deleted: false });
    } finally {
      server.process.kill("SIGTERM");
      await server.exited;
    }

    // Stopped: only Confluent's keys are left in _schemas, and a second start rewrites nothing.
    const after = await LogManager.open({ dataDir, maintenanceIntervalMs: 0 });
    expect([...after.schemaStore.entries()].map(([k]) => k).sort()).toEqual([
      '{"keytype":"CONFIG","subject":"orders-value","magic":0}',
      '{"keytype":"SCHEMA","subject":"orders-value","version":1,"magic":1}',
      '{"keytype":"SCHEMA","subject":"users-value","version":1,"magic":1}',
    ]);
    await after.close();
    const again = await serve(["--data-dir", dataDir, "--kafka-port", "0", "--http-port", "0", "--log-format", "json"]);
    again.process.kill("SIGTERM");
    await again.exited;
    expect(again.output().stderr).not.toMatch(/rewrote/);
  });
});
