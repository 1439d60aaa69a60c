import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { serve, tributary } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp-dir.js";
import { RawKafka } from "../helpers/raw-kafka.js";

describe("the compiled binary", () => {
  it("serves until SIGTERM, stops cleanly, and refuses a second server on the same data dir", async () => {
    const dataDir = tempDir();
    const server = await serve(["--data-dir", dataDir, "--kafka-port", "0", "--http-port", "0"]);
    expect(server.readyLine).toMatch(/^tributary ready: kafka 127.0.0.1:\d+, http http:\/\/127.0.0.1:\d+, data dir .+, 0 topics, cluster [0-9a-f-]{36}$/);
    const second = tributary(["serve", "--data-dir", dataDir, "--kafka-port", "0", "--http-port", "0"]);
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`in use by process ${server.process.pid}`));
    // An admin command on the data dir of a running broker goes through that broker's listener.
    const throughBroker = tributary(["topic", "list", "--data-dir", dataDir]);
    expect(throughBroker).toMatchObject({ status: 0, stdout: "no topics\n" });
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, "listeners.json"), "utf8"))).toMatchObject({ pid: server.process.pid, kafka: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    server.process.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    expect(server.output().stdout).toMatch(/tributary stopped/);
    expect(fs.existsSync(path.join(dataDir, ".clean-shutdown"))).toBe(true);
    expect(fs.existsSync(path.join(dataDir, "tributary.lock"))).toBe(false);
    expect(fs.existsSync(path.join(dataDir, "listeners.json"))).toBe(false);
  });

  it("starts again after SIGKILL, taking over the dead server's lock", async () => {
    const dataDir = tempDir();
    const first = await serve(["--data-dir", dataDir, "--kafka-port", "0", "--http-port", "0"]);
    const clusterId = first.readyLine.split("cluster ")[1];
    first.process.kill("SIGKILL");
    await first.exited;
    expect(fs.existsSync(path.join(dataDir, "tributary.lock"))).toBe(true);
    const second = await serve(["--data-dir", dataDir, "--kafka-port", "0", "--http-port", "0"]);
    expect(second.readyLine.split("cluster ")[1]).toBe(clusterId);
    second.process.kill("SIGINT");
    expect(await second.exited).toBe(0);
  });

  it("manages topics, with JSON output and persisted configs", () => {
    const dataDir = tempDir();
    const d = ["--data-dir", dataDir];
    const created = tributary(["topic", "create", "orders", "-p", "3", "-c", "retention.ms=60000", "--json", ...d]);
    expect(created.status).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ name: "orders", partitions: 3, configs: { "retention.ms": "60000" } });
    expect(tributary(["topic", "create", "events", ...d]).stdout).toMatch(/created topic events \(1 partitions/);
    expect(JSON.parse(tributary(["topic", "list", "--json", ...d]).stdout).map((t: { name: string }) => t.name)).toEqual(["events", "orders"]);
    expect(tributary(["topic", "list", "--all", ...d]).stdout).toMatch(/__consumer_offsets/);
    const described = JSON.parse(tributary(["topic", "describe", "orders", "--json", ...d]).stdout);
    expect(described.partitions).toHaveLength(3);
    expect(described.configs).toContainEqual({ name: "retention.ms", value: "60000", source: "topic" });
    const changed = tributary(["topic", "config", "orders", "--set", "cleanup.policy=compact", "--remove", "retention.ms", "--json", ...d]);
    expect(changed.status).toBe(0);
    const configs = JSON.parse(changed.stdout);
    expect(configs).toContainEqual({ name: "cleanup.policy", value: "compact", source: "topic" });
    expect(configs).toContainEqual({ name: "retention.ms", value: "604800000", source: "default" });
    expect(tributary(["topic", "delete", "events", ...d]).status).toBe(0);
    expect(tributary(["topic", "list", ...d]).stdout).not.toMatch(/events/);
  });

  it("answers bad input with a clear message and a non-zero exit", () => {
    const dataDir = tempDir();
    const d = ["--data-dir", dataDir];
    tributary(["topic", "create", "t", ...d]);
    const cases: [string[], number, RegExp][] = [
      [["topic", "create", "t", ...d], 1, /topic 't' already exists/],
      [["topic", "create", "bad/name", ...d], 1, /may only contain/],
      [["topic", "create", "u", "-p", "zero", ...d], 2, /'zero' is not a positive integer/],
      [["topic", "create", "u", "-p", "0", ...d], 1, /partition count 0/],
      [["topic", "create", "u", "-c", "retention.ms", ...d], 2, /is not KEY=VALUE/],
      [["topic", "config", "t", "--set", "segment.bytes=12", ...d], 1, /segment.bytes=12 is outside/],
      [["topic", "config", "t", "--set", "colour=blue", ...d], 1, /unknown topic config 'colour'/],
      [["topic", "describe", "missing", ...d], 1, /topic 'missing' does not exist/],
      [["topic", "delete", "__consumer_offsets", ...d], 1, /internal topic/],
      [["topic", "frobnicate"], 2, /unknown command 'frobnicate'/],
      [["serve", "--no-such-flag"], 2, /unknown option '--no-such-flag'/],
      [["serve", "--data-dir", dataDir, "--maintenance-interval-ms", "5"], 1, /--maintenance-interval-ms: 5 is outside \[100/],
      [["log", "verify", "--data-dir", path.join(dataDir, "nope")], 1, /does not exist/],
    ];
    for (const [args, status, message] of cases) {
      const r = tributary(args);
      expect({ args, status: r.status }).toEqual({ args, status });
      expect(r.stderr).toMatch(message);
    }
    expect(tributary(["topic", "create", "--help"]).status).toBe(0);
    expect(tributary(["topic", "create", "--help"]).stdout).toMatch(/--partitions <n>/);
  });

  it("lists for each subcommand only the options it takes", () => {
    const flags = (args: string[]) => [...tributary([...args, "--help"]).stdout.matchAll(/^\s+(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]);
    const serveFlags = flags(["serve"]);
    for (const own of ["--maintenance-interval-ms", "--topic-default", "--kafka-port", "--log-level", "--log-format", "--sql-timeout-ms"]) expect(serveFlags).toContain(own);
    expect(flags(["topic", "list"])).toEqual(["--data-dir", "--config-file", "--broker", "--all", "--json", "--help"]);
    expect(flags(["topic", "create"])).toEqual(["--data-dir", "--config-file", "--broker", "--partitions", "--config", "--json", "--help"]);
    expect(flags(["group", "describe"])).toEqual(["--data-dir", "--config-file", "--broker", "--json", "--help"]);
  });

  it("takes settings from a config file and the environment, flags winning", () => {
    const fromEnv = tempDir();
    const fromFlag = tempDir();
    expect(tributary(["topic", "create", "e"], { TRIBUTARY_DATA_DIR: fromEnv }).status).toBe(0);
    expect(fs.existsSync(path.join(fromEnv, "e-0"))).toBe(true);
    expect(tributary(["topic", "create", "f", "--data-dir", fromFlag], { TRIBUTARY_DATA_DIR: fromEnv }).status).toBe(0);
    expect(fs.existsSync(path.join(fromFlag, "f-0"))).toBe(true);
    const file = path.join(tempDir(), "tributary.json");
    const fromFile = tempDir();
    fs.writeFileSync(file, JSON.stringify({ dataDir: fromFile, topicDefaults: { "retention.ms": "1234" } }));
    expect(tributary(["topic", "create", "g", "--config-file", file]).status).toBe(0);
    const described = JSON.parse(tributary(["topic", "describe", "g", "--json", "--config-file", file]).stdout);
    expect(described.configs).toContainEqual({ name: "retention.ms", value: "1234", source: "broker" });
    fs.writeFileSync(file, JSON.stringify({ dataDirectory: "x" }));
    const bad = tributary(["topic", "list", "--config-file", file]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/unknown setting 'dataDirectory'/);
    const badEnv = tributary(["topic", "list", "--data-dir", fromFile], { TRIBUTARY_TOPIC_DEFAULTS: "retention.ms=forever" });
    expect(badEnv.status).toBe(1);
    expect(badEnv.stderr).toMatch(/retention.ms=forever is not an integer/);
  });
});

describe("serve settings", () => {
  it("serve honours TRIBUTARY_CONFIG, the environment and its flags: connection limit, auto-creation, default partitions, topic defaults", async () => {
    const file = path.join(tempDir(), "tributary.json");
    fs.writeFileSync(file, JSON.stringify({ topicDefaults: { "retention.ms": "5000" } }));
    const server = await serve(["--data-dir", tempDir(), "--kafka-port", "0", "--http-port", "0", "--no-auto-create-topics", "--default-partitions", "3", "--topic-default", "segment.ms=60000"],
      { TRIBUTARY_CONFIG: file, TRIBUTARY_KAFKA_CONNECTIONS_MAX: "2" });
    const address = /kafka (\S+),/.exec(server.readyLine)![1]!;
    const opened: RawKafka[] = [];
    try {
      // Two connections are served; a third is refused while they stay open.
      for (let i = 0; i < 2; i++) opened.push(await RawKafka.connect(address));
      for (const c of opened) expect((await c.request(18, 0, {})).errorCode).toBe(0);
      const third = await RawKafka.connect(address);
      await third.closedPromise;
      expect(third.closed).toBe(true);
      expect(server.output().stderr).toMatch(/2 connections already open/);
      const [client] = opened as [RawKafka, RawKafka];
      // No auto-creation: Metadata for an unknown topic answers UNKNOWN_TOPIC_OR_PARTITION and creates nothing.
      const unknown = await client.request(3, 9, { topics: [{ name: "nobody" }], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
      expect(unknown.topics[0].errorCode).toBe(3);
      // numPartitions -1 takes the default partitions; configs come from the file and the flag, as broker defaults.
      const created = await client.request(19, 7, { topics: [{ name: "defaults", numPartitions: -1, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
      expect(created.topics[0]).toMatchObject({ errorCode: 0, numPartitions: 3 });
      const described = await client.request(32, 4, { resources: [{ resourceType: 2, resourceName: "defaults", configurationKeys: ["retention.ms", "segment.ms"] }], includeSynonyms: false, includeDocumentation: false });
      expect(described.results[0].configs.map((c: { name: string; value: string; configSource: number }) => [c.name, c.value, c.configSource]))
        .toEqual([["retention.ms", "5000", 4], ["segment.ms", "60000", 4]]);
    } finally {
      for (const c of opened) c.close();
      server.process.kill("SIGTERM");
      await server.exited;
    }
  });
});

describe("log verify", () => {
  it("reports damage with file and byte position, and exits 1", async () => {
    const dataDir = tempDir();
    const d = ["--data-dir", dataDir];
    tributary(["topic", "create", "v", "-c", "index.interval.bytes=0", ...d]);
    const { LogManager } = await import("../../src/log/log-manager.js");
    const { batchOf } = await import("../helpers/records.js");
    const logs = await LogManager.open({ dataDir, maintenanceIntervalMs: 0 });
    for (let i = 0; i < 5; i++) await logs.partition("v", 0).append(await batchOf([`record ${i} ${"x".repeat(50)}`]));
    await logs.close();
    const intact = tributary(["log", "verify", ...d]);
    expect(intact.status).toBe(0);
    expect(intact.stdout).toMatch(/all intact/);

    const segment = path.join(dataDir, "v-0", "00000000000000000000.log");
    const bytes = fs.readFileSync(segment);
    const secondBatch = 12 + bytes.readInt32BE(8);
    bytes[secondBatch + 70]! ^= 0x01;
    fs.writeFileSync(segment, bytes);
    const index = path.join(dataDir, "v-0", "00000000000000000000.index");
    const entries = fs.readFileSync(index);
    entries.writeInt32BE(7, 4); // first entry now points into the middle of a batch
    fs.writeFileSync(index, entries);

    const damaged = tributary(["log", "verify", ...d]);
    expect(damaged.status).toBe(1);
    expect(damaged.stdout).toContain(`DAMAGED ${segment} at byte ${secondBatch}: CRC32C does not match`);
    expect(damaged.stdout).toContain(`DAMAGED ${index} at byte 0: entry points to byte 7`);
    const json = JSON.parse(tributary(["log", "verify", "--json", ...d]).stdout);
    expect(json.problems).toHaveLength(2);
    expect(fs.readFileSync(segment).equals(bytes)).toBe(true); // verify changes nothing
  });
});

describe("serve for CI and groups from the CLI", () => {
  it("serve --ephemeral: Kafka clients work, and the data dir is gone after SIGTERM", async () => {
    const server = await serve(["--ephemeral", "--kafka-port", "0", "--http-port", "0"]);
    const match = /kafka (\S+), http \S+, data dir (\S+) \(ephemeral\)/.exec(server.readyLine)!;
    expect(fs.existsSync(match[2]!)).toBe(true);
    const { Kafka, logLevel } = await import("kafkajs");
    const kafka = new Kafka({ brokers: [match[1]!], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: "auto-created", messages: [{ value: "hello" }] });
    await producer.disconnect();
    server.process.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    expect(fs.existsSync(match[2]!)).toBe(false);
  });

  it("group list and describe show committed offsets and lag", async () => {
    const dataDir = tempDir();
    const { LogManager } = await import("../../src/log/log-manager.js");
    const { batchOf } = await import("../helpers/records.js");
    const logs = await LogManager.open({ dataDir, maintenanceIntervalMs: 0 });
    await logs.createTopic("orders", { partitions: 2 });
    for (let i = 0; i < 5; i++) await logs.partition("orders", 0).append(await batchOf([`o${i}`]));
    await logs.offsets.commit("billing", [{ topic: "orders", partition: 0, offset: 2, metadata: "m" }, { topic: "orders", partition: 1, offset: 0 }]);
    await logs.close();
    const listed = JSON.parse(tributary(["group", "list", "--json", "--data-dir", dataDir]).stdout);
    expect(listed).toEqual([{ group: "billing", state: "Empty", members: 0, partitions: 2, lag: 3 }]);
    const described = JSON.parse(tributary(["group", "describe", "billing", "--json", "--data-dir", dataDir]).stdout);
    expect(described).toEqual([
      { topic: "orders", partition: 0, committed: 2, high_watermark: 5, lag: 3, metadata: "m" },
      { topic: "orders", partition: 1, committed: 0, high_watermark: 0, lag: 0, metadata: null },
    ]);
    const missing = tributary(["group", "describe", "nobody", "--data-dir", dataDir]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/group 'nobody' has no committed offsets/);
  });
});

describe("serve with HTTP and schemas as code", () => {
  it("registers schemas/<topic>.json at start, validates HTTP publishes, and refuses to start on an incompatible change", async () => {
    const dataDir = tempDir();
    const schemas = tempDir();
    const order = { type: "object", properties: { id: { type: "string" }, total: { type: "number" } }, required: ["id"] };
    fs.writeFileSync(path.join(schemas, "orders.json"), JSON.stringify(order));
    const args = ["--data-dir", dataDir, "--schemas", schemas, "--kafka-port", "0", "--http-port", "0"];
    const server = await serve(args);
    const http = /http (\S+),/.exec(server.readyLine)![1]!;
    expect(await (await fetch(`${http}/healthz`)).json()).toEqual({ status: "ok" });
    const ok = await fetch(`${http}/topics/orders/records`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ value: { id: "o1", total: 3 } }) });
    expect(ok.status).toBe(200);
    const bad = await fetch(`${http}/topics/orders/records`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ value: { total: "lots" } }) });
    expect(bad.status).toBe(422);
    expect(JSON.stringify(await bad.json())).toMatch(/required property 'id'/);
    server.process.kill("SIGTERM");
    expect(await server.exited).toBe(0);

    fs.writeFileSync(path.join(schemas, "orders.json"), JSON.stringify({ ...order, required: ["id", "total"] }));
    const refused = tributary(["serve", ...args]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/refusing to start: .*orders\.json: .*incompatible/);
    expect(refused.stderr).toMatch(/REQUIRED_PROPERTY_ADDED/);
    fs.writeFileSync(path.join(schemas, "orders.json"), JSON.stringify({ ...order, required: [] })); // dropping a required property reads all old data
    const evolved = await serve(args);
    expect(evolved.output().stderr).toMatch(/orders-value version 2/);
    evolved.process.kill("SIGTERM");
    expect(await evolved.exited).toBe(0);
  });
});
