// The operations log of the binary: admin changes over the Kafka protocol and
// HTTP (what, by whom, from where), retention and compaction runs, recovery
// after a SIGKILL, client mistakes without stacks; --log-level and
// --log-format.
import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { serve, tributaryAsync, type RunningServer } from "../helpers/cli.js";
import { httpCall } from "../helpers/http-call.js";
import { tempDir } from "../helpers/temp-dir.js";

interface LogLine {
  level: string;
  time: string;
  component: string;
  msg: string;
  [field: string]: unknown;
}

function addresses(server: RunningServer): { kafka: string; http: string } {
  return { kafka: /kafka (\S+),/.exec(server.readyLine)![1]!, http: /http (http:\/\/\S+),/.exec(server.readyLine)![1]! };
}

/** Every stderr line of a server started with --log-format json, parsed (each must be JSON). */
function jsonLines(server: RunningServer): LogLine[] {
  return server.output().stderr.split("\n").filter(Boolean).map((line) => JSON.parse(line) as LogLine);
}

/** Waits until a line matching `match` has been logged (the test's own timeout bounds the wait). */
async function logged(server: RunningServer, match: (l: LogLine) => boolean): Promise<LogLine> {
  for (;;) {
    const found = jsonLines(server).find(match);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const quietKafka = (broker: string) => new Kafka({ clientId: "ops-test", brokers: [broker], logLevel: logLevel.NOTHING });

describe("operations log", () => {
  it("has one JSON line per admin change over Kafka and HTTP, naming what, by whom and from where", async () => {
    const server = await serve(["--data-dir", tempDir(), "--kafka-port", "0", "--http-port", "0", "--log-format", "json"]);
    const { kafka, http } = addresses(server);
    const admin = quietKafka(kafka).admin();
    try {
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: "k-orders", numPartitions: 1, configEntries: [{ name: "retention.ms", value: "600000" }] }] });
      await admin.createPartitions({ topicPartitions: [{ topic: "k-orders", count: 3 }] });
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: "k-orders", configEntries: [{ name: "retention.ms", value: "700000" }] }] });
      await admin.deleteTopicRecords({ topic: "k-orders", partitions: [{ partition: 0, offset: "0" }] });
      await admin.setOffsets({ groupId: "k-readers", topic: "k-orders", partitions: [{ partition: 0, offset: "0" }] });
      await admin.deleteGroups(["k-readers"]);
      await admin.deleteTopics({ topics: ["k-orders"] });

      expect((await httpCall(http, "POST", "/topics", { name: "h-orders", partitions: 1 })).status).toBe(201);
      expect((await httpCall(http, "PATCH", "/topics/h-orders/configs", { set: { "retention.ms": 900000 } })).status).toBe(200);
      expect((await httpCall(http, "POST", "/topics/h-orders/partitions", { count: 2 })).status).toBe(200);
      const schema = JSON.stringify({ type: "object", properties: { id: { type: "integer" } } });
      const registryJson = { "content-type": "application/vnd.schemaregistry.v1+json" };
      expect((await httpCall(http, "POST", "/subjects/h-orders-value/versions", { schemaType: "JSON", schema }, registryJson)).status).toBe(200);
      expect((await httpCall(http, "PUT", "/config/h-orders-value", { compatibility: "FULL" }, registryJson)).status).toBe(200);
      expect((await httpCall(http, "DELETE", "/topics/h-orders")).status).toBe(204);
      // A client mistake: refused with a JSON body, logged as no admin change and with no stack.
      expect((await httpCall(http, "DELETE", "/topics/h-orders")).status).toBe(404);

      const admins = (await logged(server, (l) => l.action === "schema.set_compatibility"), jsonLines(server).filter((l) => l.component === "admin"));
      const kafkaLines = admins.filter((l) => l.via === "kafka");
      expect(kafkaLines.map((l) => l.action)).toEqual([
        "topic.create", "topic.add_partitions", "topic.alter_configs", "topic.delete_records", "group.delete", "topic.delete",
      ]);
      for (const l of kafkaLines) {
        expect(l).toMatchObject({ level: "info", by: "anonymous", client_id: "ops-test" });
        expect(l.from).toMatch(/^127\.0\.0\.1:\d+$/);
      }
      expect(kafkaLines[0]).toMatchObject({ topic: "k-orders", partitions: 1, configs: { "retention.ms": "600000" }, msg: "created topic k-orders" });
      expect(kafkaLines[1]).toMatchObject({ topic: "k-orders", before: 1, partitions: 3 });
      expect(kafkaLines[2]).toMatchObject({ topic: "k-orders", configs: { "retention.ms": "700000" }, replace_all: true });

      const httpLines = admins.filter((l) => l.via === "http");
      expect(httpLines.map((l) => l.action)).toEqual([
        "topic.create", "topic.alter_configs", "topic.add_partitions", "schema.register", "schema.set_compatibility", "topic.delete",
      ]);
      for (const l of httpLines) {
        expect(l.by).toBe("anonymous");
        expect(l.from).toMatch(/^127\.0\.0\.1:\d+$/);
      }
      expect(httpLines[1]).toMatchObject({ topic: "h-orders", configs: { "retention.ms": "900000" } });
      expect(httpLines[3]).toMatchObject({ subject: "h-orders-value", id: 1 });
      expect(httpLines[4]).toMatchObject({ subject: "h-orders-value", compatibility: "FULL" });
      const refusal = jsonLines(server).find((l) => l.component === "http" && String(l.msg).startsWith("refused DELETE /topics/h-orders"));
      expect(refusal).toMatchObject({ level: "info", status: 404, error_code: 40401, msg: "refused DELETE /topics/h-orders: topic 'h-orders' does not exist" });
      expect(refusal!.from).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(server.output().stderr).not.toMatch(/\n\s+at /);
    } finally {
      await admin.disconnect();
      server.process.kill("SIGTERM");
      await server.exited;
    }
  });

  it("logs retention and compaction runs with what they removed, and the recovery after a SIGKILL", async () => {
    const dataDir = tempDir();
    const args = ["--data-dir", dataDir, "--kafka-port", "0", "--http-port", "0", "--log-format", "json", "--maintenance-interval-ms", "200"];
    const server = await serve(args);
    const producer = quietKafka(addresses(server).kafka).producer();
    try {
      const admin = quietKafka(addresses(server).kafka).admin();
      await admin.connect();
      await admin.createTopics({
        topics: [
          { topic: "expiring", configEntries: [{ name: "segment.bytes", value: "1024" }, { name: "retention.ms", value: "1" }] },
          { topic: "latest", configEntries: [{ name: "cleanup.policy", value: "compact" }, { name: "segment.bytes", value: "1024" }, { name: "min.cleanable.dirty.ratio", value: "0.01" }] },
        ],
      });
      await admin.disconnect();
      await producer.connect();
      for (let i = 0; i < 40; i++) {
        await producer.send({ topic: "expiring", messages: [{ value: "x".repeat(100) }] });
        await producer.send({ topic: "latest", messages: [{ key: `k${i % 2}`, value: "y".repeat(100) }] });
      }
      const retention = await logged(server, (l) => l.component === "log" && String(l.msg).startsWith("retention deleted"));
      expect(retention).toMatchObject({ level: "info", partition: "expiring-0" });
      expect(retention.segments).toBeGreaterThan(0);
      expect(retention.bytes).toBeGreaterThan(0);
      const compaction = await logged(server, (l) => l.component === "log" && String(l.msg).startsWith("compacted latest-0"));
      expect(compaction.records_removed).toBeGreaterThan(0);
      expect(compaction.bytes).toBeGreaterThan(0);
    } finally {
      await producer.disconnect();
    }
    server.process.kill("SIGKILL");
    await server.exited;
    // A torn write at the end of the active segment: recovery cuts it and says so.
    const dir = path.join(dataDir, "expiring-0");
    const active = fs.readdirSync(dir).filter((f) => f.endsWith(".log")).sort().at(-1)!;
    fs.appendFileSync(path.join(dir, active), Buffer.from([0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 1, 0, 1, 2, 3]));
    const again = await serve(args);
    try {
      const recovered = jsonLines(again).find((l) => String(l.msg).startsWith("recovered expiring-0"));
      expect(recovered).toMatchObject({ level: "warn", component: "log", partition: "expiring-0", bytes_cut: 15 });
    } finally {
      again.process.kill("SIGTERM");
      await again.exited;
    }
  });

  it("--log-level leaves out what is less severe, --log-format text writes readable lines, and bad values are refused", async () => {
    const warnOnly = await serve(["--data-dir", tempDir(), "--kafka-port", "0", "--http-port", "0", "--log-level", "warn"]);
    const quiet = addresses(warnOnly);
    expect((await httpCall(quiet.http, "POST", "/topics", { name: "unlogged" })).status).toBe(201);
    warnOnly.process.kill("SIGTERM");
    await warnOnly.exited;
    expect(warnOnly.output().stderr).not.toMatch(/created topic/);

    const text = await serve(["--data-dir", tempDir(), "--kafka-port", "0", "--http-port", "0"], { TRIBUTARY_LOG_FORMAT: "text" });
    const { http } = addresses(text);
    expect((await httpCall(http, "POST", "/topics", { name: "logged", partitions: 2 })).status).toBe(201);
    text.process.kill("SIGTERM");
    await text.exited;
    expect(text.output().stderr).toMatch(/^\d{4}-\d\d-\d\dT\S+Z INFO  admin: created topic logged action=topic\.create by=anonymous from=127\.0\.0\.1:\d+ via=http topic=logged partitions=2 configs=\{\}$/m);

    const bad = await tributaryAsync(["serve", "--data-dir", tempDir(), "--log-level", "loud"]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--log-level: 'loud' is not one of trace, debug, info, warn, error, fatal, silent/);
    const badFormat = await tributaryAsync(["serve", "--data-dir", tempDir()], { TRIBUTARY_LOG_FORMAT: "xml" });
    expect(badFormat.stderr).toMatch(/TRIBUTARY_LOG_FORMAT: 'xml' is not one of text, json/);
  });
});
