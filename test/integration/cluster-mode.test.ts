// Tributary in front of a Kafka cluster (`serve --kafka-cluster`). The only
// Kafka-protocol broker here is Tributary itself, so "the cluster" is a
// Tributary binary reached through its Kafka port only, and the frontends are
// Tributary binaries in cluster mode.
import { afterEach, describe, expect, it } from "vitest";
import { Kafka, logLevel } from "kafkajs";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import * as tls from "node:tls";
import { generate } from "selfsigned";
import S3rver from "s3rver";
import { SchemaRegistry as RegistryClient, SchemaType } from "@kafkajs/confluent-schema-registry";
import { serve, tributaryAsync, type RunningServer } from "../helpers/cli.js";
import { httpCall } from "../helpers/http-call.js";
import { RangeAssigner } from "../helpers/kafkajs-range-assigner.js";
import { readEvents } from "../helpers/sse.js";
import { tempDir } from "../helpers/temp-dir.js";
import { makeCertificates } from "../helpers/certificates.js";
import { TRIBUTARY_BINARY } from "../helpers/binaries.js";
import { spawn } from "node:child_process";

const REGISTRY = { "content-type": "application/vnd.schemaregistry.v1+json" };
const orderSchema = JSON.stringify({ type: "object", properties: { id: { type: "integer" }, total: { type: "number" } }, required: ["id"] });

function kafkaOf(server: RunningServer): string {
  return /kafka (\S+),/.exec(server.readyLine)![1]!;
}
function httpOf(server: RunningServer): string {
  return /http (https?:\/\/\S+),/.exec(server.readyLine)![1]!;
}
/** Probes until it answers, for at most 30 s. */
async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const found = await probe().catch(() => undefined);
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`gave up waiting for ${what} after 30 s`);
}
const hung: string[] = [];
const stop = async (s: RunningServer) => {
  s.process.kill("SIGTERM");
  const killer = setTimeout(() => {
    // A stop that hangs fails the test, with what the process said last.
    hung.push(`${s.readyLine}: ${s.output().stderr.slice(-2000)}`);
    s.process.kill("SIGKILL");
  }, 20_000);
  await s.exited;
  clearTimeout(killer);
  // A part left behind after 10 s is named in the log: that counts as a stop that hung too.
  const late = /stopping: .* did not stop within/.exec(s.output().stderr);
  if (late) hung.push(`${s.readyLine}: ${late[0]}`);
};

describe("cluster mode", () => {
  afterEach(() => {
    expect(hung.splice(0), "a server that did not stop within 20 s of SIGTERM").toEqual([]);
  });

  it("publishes, validates, reads, streams and loads the warehouse through the cluster; Kafka clients on the cluster see the same records", async () => {
    const cluster = await serve(["--data-dir", tempDir(), "--kafka-port", "0", "--http-port", "0", "--group-initial-rebalance-delay-ms", "0"]);
    const brokers = kafkaOf(cluster);
    const frontend = await serve(["--data-dir", tempDir(), "--kafka-cluster", brokers, "--registry-topic", "_frontend_schemas", "--http-port", "0"]);
    const http = httpOf(frontend);
    const kafka = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING });
    try {
      expect(frontend.readyLine).toContain(`cluster ${brokers} (no Kafka listener here)`);
      expect((await httpCall(http, "POST", "/topics", { name: "orders", partitions: 2 })).status).toBe(201);
      // The registry takes writes once this instance is elected its writer (the cluster's group protocol).
      const first = await until("the registry writer to be elected", async () => {
        const r = await httpCall(http, "POST", "/subjects/orders-value/versions", { schemaType: "JSON", schema: orderSchema }, REGISTRY);
        return r.status === 200 ? r.json : undefined;
      });
      expect(first).toEqual({ id: 1 });

      // HTTP publish on the frontend: validated against the registry, answered once the cluster has it.
      const published = await httpCall(http, "POST", "/topics/orders/records", { records: [{ key: "a", value: { id: 1, total: 9.5 } }, { key: "b", value: { id: 2 } }] });
      expect(published.status).toBe(200);
      expect(await httpCall(http, "POST", "/topics/orders/records", { value: { total: 1 } })).toMatchObject({ status: 422, json: { error_code: 42208 } });

      // Dead-lettering: a topic that sends refused records to <topic>.dlq, in the cluster.
      expect((await httpCall(http, "POST", "/topics", { name: "lenient", configs: { "schema.invalid.policy": "dead-letter" } })).status).toBe(201);
      expect((await httpCall(http, "POST", "/subjects/lenient-value/versions", { schemaType: "JSON", schema: orderSchema }, REGISTRY)).status).toBe(200);
      const split = await httpCall(http, "POST", "/topics/lenient/records", { records: [{ value: { id: 1 } }, { value: { total: 1 } }] });
      expect(split.json).toMatchObject({ offsets: [{ partition: 0, offset: 0 }, null], dead_lettered: [{ index: 1, topic: "lenient.dlq", offset: 0 }] });
      const admin = kafka.admin();
      await admin.connect();
      expect(await admin.fetchTopicOffsets("lenient.dlq")).toEqual([expect.objectContaining({ partition: 0, high: "1" })]);
      await admin.disconnect();

      // The cluster has the topic and the records: a kafkajs consumer of the cluster reads them.
      const consumer = kafka.consumer({ groupId: "cluster-readers" });
      await consumer.connect();
      await consumer.subscribe({ topic: "orders", fromBeginning: true });
      const seen: unknown[] = [];
      await new Promise<void>((resolve) => void consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(JSON.parse(message.value!.toString()));
          if (seen.length === 2) resolve();
        },
      }));
      await consumer.disconnect();
      expect(seen).toEqual(expect.arrayContaining([{ id: 1, total: 9.5 }, { id: 2 }]));

      // A Kafka producer on the cluster: the frontend reads it over HTTP and streams it over SSE.
      const stream = await fetch(`${http}/topics/orders/stream?from=beginning`, { headers: { accept: "text/event-stream" } });
      const streamed = readEvents(stream, 3, true);
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: "orders", messages: [{ key: "c", value: JSON.stringify({ id: 3 }), partition: 1 }] });
      await producer.disconnect();
      const events = await streamed;
      expect(events.map((e) => (e.data as { value: { id: number } }).value.id).sort()).toEqual([1, 2, 3]);
      // Partition sizes come from the cluster's DescribeLogDirs.
      const described = (await httpCall(http, "GET", "/topics/orders")).json as { partitions: { size_bytes: number }[] };
      expect(described.partitions.reduce((sum, p) => sum + p.size_bytes, 0)).toBeGreaterThan(0);
      const partition1 = await httpCall(http, "GET", "/topics/orders/partitions/1/records?offset=0");
      expect(partition1.json.records.map((r: { value: unknown }) => r.value)).toContainEqual({ id: 3 });

      // The warehouse of the frontend loads from the cluster.
      const rows = await until("the warehouse to load 3 rows", async () => {
        const answer = await httpCall(http, "POST", "/sql", { sql: "SELECT id FROM orders ORDER BY id" });
        return answer.json.rows?.length === 3 ? answer.json.rows : undefined;
      });
      expect(rows).toEqual([[1], [2], [3]]);
      // Where the warehouse stands shows in the cluster as a consumer group's committed offsets (about once a second).
      const groupAdmin = kafka.admin();
      await groupAdmin.connect();
      const loaded = await until("the warehouse's offsets in the cluster", async () => {
        const group = (await groupAdmin.listGroups()).groups.find((g) => g.groupId.startsWith("tributary-warehouse:"));
        if (!group) return undefined;
        const offsets = await groupAdmin.fetchOffsets({ groupId: group.groupId, topics: ["orders"] });
        const sum = offsets[0]!.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
        return sum >= 3 ? { group: group.groupId, sum } : undefined;
      });
      await groupAdmin.disconnect();
      expect(loaded.group).toMatch(/^tributary-warehouse:.+\/warehouse\.db$/);

      // Confluent's registry client on the frontend: a value it framed, produced to the cluster, is read over HTTP.
      const client = new RegistryClient({ host: http });
      const { id } = await client.register({ type: SchemaType.JSON, schema: orderSchema }, { subject: "framed-value" });
      expect(id).toBe(1); // the same schema as orders-value: the same id
      const framed = await client.encode(id, { id: 4, total: 2.5 });
      expect(await client.decode(framed)).toEqual({ id: 4, total: 2.5 });
      const framer = kafka.producer();
      await framer.connect();
      await framer.send({ topic: "framed", messages: [{ value: framed }] });
      await framer.disconnect();
      const framedRead = await until("the framed record", async () => {
        const r = await httpCall(http, "GET", "/topics/framed/partitions/0/records?offset=0");
        return r.json.records?.length ? r.json.records : undefined;
      });
      expect(framedRead[0].value).toEqual({ id: 4, total: 2.5 });

      // The registry's records, read raw from the cluster, are Confluent's.
      const registryReader = kafka.consumer({ groupId: "registry-readers" });
      await registryReader.connect();
      await registryReader.subscribe({ topic: "_frontend_schemas", fromBeginning: true });
      const record = await new Promise<{ key: string; value: unknown }>((resolve) => void registryReader.run({
        eachMessage: async ({ message }) => resolve({ key: message.key!.toString(), value: JSON.parse(message.value!.toString()) }),
      }));
      await registryReader.disconnect();
      expect(record).toEqual({
        key: '{"keytype":"SCHEMA","subject":"orders-value","version":1,"magic":1}',
        value: { subject: "orders-value", version: 1, id: 1, schemaType: "JSON", schema: orderSchema, deleted: false },
      });
    } finally {
      await stop(frontend);
      await stop(cluster);
    }
  });

  it("shares one registry between two frontends, survives a cluster restart, and answers 503 while the cluster is away", async () => {
    const clusterDir = tempDir();
    let cluster = await serve(["--data-dir", clusterDir, "--kafka-port", "0", "--http-port", "0", "--group-initial-rebalance-delay-ms", "0"]);
    const brokers = kafkaOf(cluster);
    const port = brokers.slice(brokers.lastIndexOf(":") + 1);
    const args = (dir: string) => ["--data-dir", dir, "--kafka-cluster", brokers, "--registry-topic", "_frontend_schemas", "--http-port", "0"];
    const one = await serve(args(tempDir()));
    const two = await serve(args(tempDir()));
    try {
      const first = await until("a registry writer to be elected", async () => {
        const r = await httpCall(httpOf(one), "POST", "/subjects/shared-value/versions", { schemaType: "JSON", schema: orderSchema }, REGISTRY);
        return r.status === 200 ? r.json : undefined;
      });
      expect(first).toEqual({ id: 1 });
      // Both frontends register at once: one writer gives out the ids, so no id names two schemas.
      const schemaOf = (i: number) => JSON.stringify({ type: "object", properties: { [`field${i}`]: { type: "integer" } } });
      const registered = await Promise.all(Array.from({ length: 20 }, async (_, i) => {
        const via = i % 2 === 0 ? one : two;
        const r = await httpCall(httpOf(via), "POST", `/subjects/s${i}-value/versions`, { schemaType: "JSON", schema: schemaOf(i) }, REGISTRY);
        expect(r.status).toBe(200);
        return r.json.id as number;
      }));
      expect(new Set(registered).size).toBe(20);
      expect(registered).not.toContain(1);
      for (const via of [one, two]) {
        await until("every schema on both frontends", async () => {
          const subjects = (await httpCall(httpOf(via), "GET", "/subjects")).json as string[];
          return subjects.length === 21 ? true : undefined;
        });
        for (let i = 0; i < 20; i++) expect((await httpCall(httpOf(via), "GET", `/schemas/ids/${registered[i]}`)).json.schema).toBe(schemaOf(i));
      }
      // The other frontend reads the registry's topic as it grows.
      const seen = await until("the second frontend to see the schema", async () => {
        const r = await httpCall(httpOf(two), "GET", "/subjects/shared-value/versions/latest");
        return r.status === 200 ? r.json : undefined;
      });
      expect(seen).toMatchObject({ subject: "shared-value", version: 1, id: 1 });
      expect((await httpCall(httpOf(two), "POST", "/topics", { name: "kept", partitions: 1 })).status).toBe(201);
      expect((await httpCall(httpOf(two), "POST", "/topics/kept/records", { value: { id: 1 } })).status).toBe(200);
      // A topic one frontend created shows up in the other's metadata within a refresh (a second).
      await until("the first frontend to see the topic", async () => ((await httpCall(httpOf(one), "GET", "/topics/kept")).status === 200 ? true : undefined));

      // The cluster goes away: a publish is refused with a 503 that says so, nothing is written.
      cluster.process.kill("SIGKILL");
      await cluster.exited;
      const away = await httpCall(httpOf(one), "POST", "/topics/kept/records", { value: { id: 99 } });
      expect(away.status).toBe(503);
      expect(away.json.message).toMatch(/cannot reach|closed|connection/);

      // Back on the same port and data dir: the frontends reconnect and every acknowledged record is there.
      cluster = await serve(["--data-dir", clusterDir, "--kafka-port", port, "--http-port", "0", "--group-initial-rebalance-delay-ms", "0"]);
      await until("the frontend to publish again", async () => {
        const r = await httpCall(httpOf(one), "POST", "/topics/kept/records", { value: { id: 2 } });
        return r.status === 200 ? r : undefined;
      });
      const kept = await httpCall(httpOf(two), "GET", "/topics/kept/partitions/0/records?offset=0");
      expect(kept.json.records.map((r: { value: { id: number } }) => r.value.id)).toEqual([1, 2]);
    } finally {
      await stop(one);
      await stop(two);
      await stop(cluster);
    }
  });

  it("REST consumers are members of the cluster's groups: a REST instance and a kafkajs consumer split a topic's partitions", async () => {
    const cluster = await serve(["--data-dir", tempDir(), "--kafka-port", "0", "--http-port", "0", "--group-initial-rebalance-delay-ms", "0"]);
    const brokers = kafkaOf(cluster);
    const frontend = await serve(["--data-dir", tempDir(), "--kafka-cluster", brokers, "--registry-topic", "_frontend_schemas", "--http-port", "0", "--no-warehouse"]);
    const http = httpOf(frontend);
    const v2 = { "content-type": "application/vnd.kafka.v2+json" };
    const kafka = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING });
    try {
      expect((await httpCall(http, "POST", "/topics", { name: "split", partitions: 4 })).status).toBe(201);
      await httpCall(http, "POST", "/topics/split/records", { records: Array.from({ length: 8 }, (_, i) => ({ value: i, partition: i % 4 })) });
      expect((await httpCall(http, "POST", "/consumers/mixed", { name: "web-1", format: "json", "auto.offset.reset": "earliest", "auto.commit.enable": "false" }, v2)).status).toBe(200);
      expect((await httpCall(http, "POST", "/consumers/mixed/instances/web-1/subscription", { topics: ["split"] }, v2)).status).toBe(204);
      expect((await httpCall(http, "GET", "/consumers/mixed/instances/web-1/assignments")).json.partitions).toHaveLength(4);
      const all = await httpCall(http, "GET", "/consumers/mixed/instances/web-1/records?timeout=2000");
      expect(all.json.map((r: { value: number }) => r.value).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      // Its commit is the cluster group's: a Kafka admin of the cluster sees it.
      expect((await httpCall(http, "POST", "/consumers/mixed/instances/web-1/offsets", "")).status).toBe(200);
      const admin = kafka.admin();
      await admin.connect();
      expect((await admin.fetchOffsets({ groupId: "mixed", topics: ["split"] }))[0]!.partitions.map((p) => p.offset)).toEqual(["2", "2", "2", "2"]);
      await admin.disconnect();

      // A kafkajs consumer of the cluster joins the same group: the partitions are split between the two.
      const consumer = kafka.consumer({ groupId: "mixed", sessionTimeout: 30_000, maxWaitTimeInMs: 200, partitionAssigners: [RangeAssigner] });
      await consumer.connect();
      await consumer.subscribe({ topic: "split" });
      let kafkaPartitions: number[] = [];
      consumer.on(consumer.events.GROUP_JOIN, (e) => (kafkaPartitions = e.payload.memberAssignment.split ?? []));
      void consumer.run({ eachMessage: async () => undefined });
      const split = await until("the group to split the partitions", async () => {
        await httpCall(http, "GET", "/consumers/mixed/instances/web-1/records?timeout=200");
        const mine = (await httpCall(http, "GET", "/consumers/mixed/instances/web-1/assignments")).json.partitions as { partition: number }[];
        return mine.length === 2 && kafkaPartitions.length === 2 ? [...mine.map((p) => p.partition), ...kafkaPartitions].sort() : undefined;
      });
      expect(split).toEqual([0, 1, 2, 3]);
      // The frontend shows the cluster's group: its two members, and refuses to reset it while they are there.
      const shown = (await httpCall(http, "GET", "/groups/mixed")).json;
      expect(shown).toMatchObject({ group: "mixed", state: "Stable" });
      expect(shown.members).toHaveLength(2);
      expect(shown.members.map((m: { client_id: string }) => m.client_id)).toContain("kafkajs");
      expect((await httpCall(http, "POST", "/groups/mixed/reset-offsets", { topic: "split", to: "earliest", execute: true })).status).toBe(409);
      await consumer.disconnect();
      expect((await httpCall(http, "DELETE", "/consumers/mixed/instances/web-1")).status).toBe(204);
    } finally {
      await stop(frontend);
      await stop(cluster);
    }
  });

  it("registers schemas as code through the elected writer, and refuses to start a frontend whose file is incompatible", async () => {
    const cluster = await serve(["--data-dir", tempDir(), "--kafka-port", "0", "--http-port", "0", "--group-initial-rebalance-delay-ms", "0"]);
    const brokers = kafkaOf(cluster);
    const schemas = tempDir();
    fs.writeFileSync(path.join(schemas, "coded.json"), orderSchema);
    const frontend = await serve(["--data-dir", tempDir(), "--kafka-cluster", brokers, "--registry-topic", "_frontend_schemas", "--http-port", "0", "--no-warehouse", "--schemas", schemas]);
    try {
      const latest = await until("the writer to register coded.json", async () => {
        const r = await httpCall(httpOf(frontend), "GET", "/subjects/coded-value/versions/latest");
        return r.status === 200 ? r.json : undefined;
      });
      expect(latest).toMatchObject({ subject: "coded-value", version: 1, schemaType: "JSON", schema: orderSchema });
      expect((await httpCall(httpOf(frontend), "GET", "/topics/coded")).status).toBe(200);
      // Another frontend with a file that breaks the registered version does not start.
      const breaking = tempDir();
      fs.writeFileSync(path.join(breaking, "coded.json"), JSON.stringify({ type: "object", properties: { id: { type: "integer" } }, required: ["id", "owner"] }));
      const refused = await tributaryAsync(["serve", "--data-dir", tempDir(), "--kafka-cluster", brokers, "--registry-topic", "_frontend_schemas", "--http-port", "0", "--no-warehouse", "--schemas", breaking]);
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toMatch(/refusing to start: .*coded\.json: .*incompatible/);
    } finally {
      await stop(frontend);
      await stop(cluster);
    }
  });

  it("reaches the cluster over TLS, checking its certificate against --kafka-cluster-ca", async () => {
    // The cluster behind a TLS proxy with a certificate made for this test; Metadata sends clients to the proxy.
    const pems = await generate([{ name: "commonName", value: "cluster.test" }], {
      keySize: 2048, extensions: [{ name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }, { type: 2, value: "localhost" }] }],
    });
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, "ca.pem"), pems.cert);
    const other = await generate([{ name: "commonName", value: "someone.else" }], { keySize: 2048 });
    fs.writeFileSync(path.join(dir, "wrong-ca.pem"), other.cert);
    let upstream = 0;
    const proxy = tls.createServer({ key: pems.private, cert: pems.cert }, (client) => {
      const server = net.connect(upstream, "127.0.0.1");
      client.pipe(server).pipe(client);
      client.on("error", () => server.destroy());
      server.on("error", () => client.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const proxyPort = (proxy.address() as net.AddressInfo).port;
    const cluster = await serve(["--data-dir", tempDir(), "--kafka-port", "0", "--http-port", "0", "--advertised-port", String(proxyPort)]);
    upstream = Number(/kafka \S+:(\d+)/.exec(cluster.readyLine)![1]);
    const args = ["--data-dir", tempDir(), "--kafka-cluster", `127.0.0.1:${proxyPort}`, "--registry-topic", "_frontend_schemas", "--http-port", "0", "--no-warehouse"];
    try {
      const refused = await tributaryAsync(["serve", ...args, "--kafka-cluster-tls"]);
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toMatch(/cannot use the Kafka cluster .*(self-signed|certificate)/i);
      const wrong = await tributaryAsync(["serve", ...args, "--kafka-cluster-tls", "--kafka-cluster-ca", path.join(dir, "wrong-ca.pem")]);
      expect(wrong.stderr).toMatch(/cannot use the Kafka cluster .*(self-signed|certificate|signature)/i);
      const frontend = await serve([...args, "--kafka-cluster-tls", "--kafka-cluster-ca", path.join(dir, "ca.pem")]);
      try {
        const http = httpOf(frontend);
        expect((await httpCall(http, "POST", "/topics", { name: "secured" })).status).toBe(201);
        expect((await httpCall(http, "POST", "/topics/secured/records", { value: { over: "tls" } })).status).toBe(200);
        expect((await httpCall(http, "GET", "/topics/secured/partitions/0/records?offset=0")).json.records[0].value).toEqual({ over: "tls" });
      } finally {
        await stop(frontend);
      }
    } finally {
      await stop(cluster);
      proxy.close();
    }
  });

  it("authenticates to a cluster with SASL over TLS; the HTTP tier's users live in the cluster; wrong credentials refuse the start", async () => {
    const certs = makeCertificates(tempDir());
    const clusterDir = tempDir();
    for (const [user, password] of [["frontend", "frontend-secret"], ["reader", "reader-secret"]]) {
      const child = spawn(TRIBUTARY_BINARY, ["user", "create", user!, "--password-stdin", "--data-dir", clusterDir]);
      child.stdin.end(password);
      expect(await new Promise((resolve) => child.on("exit", resolve))).toBe(0);
    }
    const cluster = await serve(["--data-dir", clusterDir, "--kafka-port", "0", "--http-port", "0", "--group-initial-rebalance-delay-ms", "0",
      "--tls-cert", certs.serverCert, "--tls-key", certs.serverKey, "--sasl-mechanisms", "scram-sha-512", "--super-users", "User:frontend"]);
    const brokers = kafkaOf(cluster);
    const toCluster = ["--kafka-cluster", brokers, "--kafka-cluster-tls", "--kafka-cluster-ca", certs.ca, "--kafka-cluster-sasl", "scram-sha-512", "--kafka-cluster-user", "frontend"];
    const args = ["--data-dir", tempDir(), ...toCluster, "--registry-topic", "_frontend_schemas", "--http-port", "0", "--no-warehouse"];
    try {
      const wrong = await tributaryAsync(["serve", ...args], { TRIBUTARY_KAFKA_CLUSTER_PASSWORD: "not-it" });
      expect(wrong.status).not.toBe(0);
      expect(wrong.stderr).toMatch(/cannot use the Kafka cluster at .*refused frontend \(SCRAM-SHA-512\)/);
      const missing = await tributaryAsync(["serve", ...args]);
      expect(missing.stderr).toMatch(/needs --kafka-cluster-user and the password in TRIBUTARY_KAFKA_CLUSTER_PASSWORD/);
      // The HTTP tier's own user, made in the cluster's security topic by the CLI.
      const made = await new Promise<number | null>((resolve) => {
        const child = spawn(TRIBUTARY_BINARY, ["user", "create", "ops", "--password-stdin", ...toCluster], { env: { ...process.env, TRIBUTARY_KAFKA_CLUSTER_PASSWORD: "frontend-secret" } });
        child.stdin.end("ops-secret");
        child.on("exit", resolve);
      });
      expect(made).toBe(0);
      const frontend = await serve([...args, "--sasl-mechanisms", "plain", "--super-users", "User:ops"], { TRIBUTARY_KAFKA_CLUSTER_PASSWORD: "frontend-secret" });
      try {
        const http = httpOf(frontend);
        const ops = { authorization: `Basic ${Buffer.from("ops:ops-secret").toString("base64")}` };
        expect((await httpCall(http, "POST", "/topics", { name: "guarded" })).status).toBe(401);
        expect((await httpCall(http, "POST", "/topics", { name: "guarded" }, ops)).status).toBe(201);
        expect((await httpCall(http, "POST", "/topics/guarded/records", { value: { through: "sasl" } }, ops)).status).toBe(200);
        // A Kafka client on the cluster, as SASL_SSL with a user of the cluster's own: allowed by an ACL made there.
        const admin = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING, ssl: { ca: [fs.readFileSync(certs.ca, "utf8")] }, sasl: { mechanism: "scram-sha-512", username: "frontend", password: "frontend-secret" } }).admin();
        await admin.connect();
        await admin.createAcls({ acl: [{ resourceType: 2, resourceName: "guarded", resourcePatternType: 3, principal: "User:reader", host: "*", operation: 3, permissionType: 3 },
          { resourceType: 3, resourceName: "reader-", resourcePatternType: 4, principal: "User:reader", host: "*", operation: 3, permissionType: 3 }] as never });
        await admin.disconnect();
        const reader = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING, ssl: { ca: [fs.readFileSync(certs.ca, "utf8")] }, sasl: { mechanism: "scram-sha-512", username: "reader", password: "reader-secret" } });
        const consumer = reader.consumer({ groupId: "reader-1" });
        await consumer.connect();
        await consumer.subscribe({ topic: "guarded", fromBeginning: true });
        const got = new Promise<string>((resolve) => void consumer.run({ eachMessage: async ({ message }) => resolve(message.value!.toString()) }));
        expect(JSON.parse(await got)).toEqual({ through: "sasl" });
        await consumer.disconnect();
      } finally {
        await stop(frontend);
      }
    } finally {
      await stop(cluster);
    }
  });

  it("archives the cluster's records to S3 from one elected instance, in the embedded archive's layout, and loses none across a SIGKILL", async () => {
    const s3Dir = tempDir();
    const s3 = new S3rver({ port: 0, address: "127.0.0.1", directory: s3Dir, silent: true, configureBuckets: [{ name: "archive", configs: [] }] });
    const endpoint = `http://127.0.0.1:${(await s3.run()).port}`;
    const aws = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_REGION: "us-east-1" };
    // Small archived segments, uploaded within a fraction of a second: several per partition in this test.
    const env = { ...aws, TRIBUTARY_ARCHIVE_CHUNK_BYTES_MAX: "4096", TRIBUTARY_ARCHIVE_CHUNK_MS: "200", TRIBUTARY_ARCHIVE_SCAN_INTERVAL_MS: "100" };
    const cluster = await serve(["--data-dir", tempDir(), "--kafka-port", "0", "--http-port", "0", "--group-initial-rebalance-delay-ms", "0"]);
    const brokers = kafkaOf(cluster);
    const archive = ["--archive", "s3://archive/front", "--s3-endpoint", endpoint];
    const frontendArgs = (dir: string) => ["--data-dir", dir, "--kafka-cluster", brokers, "--registry-topic", "_frontend_schemas", "--http-port", "0", "--no-warehouse", ...archive];
    const kafka = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING });
    let first = await serve(frontendArgs(tempDir()), env);
    const second = await serve(frontendArgs(tempDir()), env);
    try {
      const http = httpOf(first);
      const created = await httpCall(http, "POST", "/topics", { name: "kept", partitions: 2 });
      expect(created.status, JSON.stringify(created.json)).toBe(201);
      // The other instance takes a topic created a moment ago by this one (it asks the cluster instead of answering 404).
      expect((await httpCall(httpOf(second), "GET", "/topics/kept")).status).toBe(200);
      const publish = async (from: number, count: number) => {
        for (let i = from; i < from + count; i += 20) {
          const records = Array.from({ length: 20 }, (_, j) => ({ key: `k${i + j}`, value: { n: i + j, pad: "x".repeat(100) } }));
          const answer = await httpCall(httpOf(first), "POST", "/topics/kept/records", { records });
          expect(answer.status, JSON.stringify(answer.json)).toBe(200);
        }
      };
      await publish(0, 200);
      // A Kafka producer on the cluster: its records are archived too.
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: "kept", messages: Array.from({ length: 100 }, (_, i) => ({ key: `p${i}`, value: JSON.stringify({ n: 1000 + i, pad: "y".repeat(100) }) })) });
      // Exactly one of the two instances archives (the other's GET /archive lists nothing).
      const archivedUpTo = async (server: RunningServer) => {
        const status = (await httpCall(httpOf(server), "GET", "/archive")).json as { partitions: { partition: number; archived_up_to: number }[] };
        return status.partitions.reduce((n, p) => n + p.archived_up_to, 0);
      };
      await until("some records archived", async () => ((await archivedUpTo(first)) + (await archivedUpTo(second)) > 0 ? true : undefined));
      const archiver = (await archivedUpTo(first)) > 0 ? first : second;
      expect(await archivedUpTo(archiver === first ? second : first)).toBe(0);
      // SIGKILL the archiving instance while it works, write more, start it again: every record is archived once.
      archiver.process.kill("SIGKILL");
      await archiver.exited;
      const survivor = archiver === first ? second : first;
      first = survivor;
      await publish(200, 100);
      await producer.send({ topic: "kept", messages: Array.from({ length: 50 }, (_, i) => ({ value: JSON.stringify({ n: 2000 + i }) })) });
      await producer.disconnect();
      const restarted = await serve(frontendArgs(tempDir()), env);
      try {
        // 450 records in all; the survivor (or the restarted instance, if elected) archives the rest.
        await until("all 450 records archived", async () => (Math.max(await archivedUpTo(survivor), await archivedUpTo(restarted)) === 450 ? true : undefined));
        const flags = ["--archive", "s3://archive/front", "--s3-endpoint", endpoint];
        const verified = await tributaryAsync(["archive", "verify", ...flags], aws);
        expect(verified.stderr).toBe("");
        expect(verified.status).toBe(0);
        const listed = JSON.parse((await tributaryAsync(["archive", "list", "--json", ...flags], aws)).stdout) as { topic: string; partition: number; segments: number; fromOffset: number; toOffset: number }[];
        const kept = listed.filter((r) => r.topic === "kept");
        expect(kept.map((r) => r.partition)).toEqual([0, 1]);
        expect(kept.every((r) => r.segments > 1 && r.fromOffset === 0)).toBe(true);
        expect(kept.reduce((n, r) => n + r.toOffset, 0)).toBe(450);
        const exported = await tributaryAsync(["archive", "export", ...flags, "--topic", "kept"], aws);
        const rows = exported.stdout.trim().split("\n").map((l) => JSON.parse(l) as { partition: number; offset: number; value: { n: number } });
        expect(rows).toHaveLength(450);
        expect(new Set(rows.map((r) => `${r.partition}/${r.offset}`)).size).toBe(450);
        expect(rows.map((r) => r.value.n).sort((a, b) => a - b)).toEqual([
          ...Array.from({ length: 300 }, (_, i) => i), ...Array.from({ length: 100 }, (_, i) => 1000 + i), ...Array.from({ length: 50 }, (_, i) => 2000 + i),
        ].sort((a, b) => a - b));
        // The archive's position is a consumer group's committed offsets in the cluster, for any Kafka tool.
        const admin = kafka.admin();
        await admin.connect();
        const committed = await admin.fetchOffsets({ groupId: "tributary-archive:s3://archive/front", topics: ["kept"] });
        await admin.disconnect();
        expect(committed[0]!.partitions.reduce((n, p) => n + Number(p.offset), 0)).toBe(450);
      } finally {
        await stop(restarted);
      }
    } finally {
      await stop(first);
      await stop(cluster);
      await s3.close();
    }
  });

  it("reads committed through the cluster: a Kafka producer's aborted and open transactions stay out of HTTP reads and the warehouse", async () => {
    const cluster = await serve(["--data-dir", tempDir(), "--kafka-port", "0", "--http-port", "0", "--group-initial-rebalance-delay-ms", "0"]);
    const brokers = kafkaOf(cluster);
    const frontend = await serve(["--data-dir", tempDir(), "--kafka-cluster", brokers, "--registry-topic", "_frontend_schemas", "--http-port", "0"]);
    const kafka = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING });
    try {
      const http = httpOf(frontend);
      expect((await httpCall(http, "POST", "/topics", { name: "tx-through" })).status).toBe(201);
      const producer = kafka.producer({ transactionalId: "through-1", maxInFlightRequests: 1, idempotent: true });
      await producer.connect();
      const aborted = await producer.transaction();
      await aborted.send({ topic: "tx-through", messages: [{ value: JSON.stringify({ n: "aborted" }) }] });
      await aborted.abort();
      const committed = await producer.transaction();
      await committed.send({ topic: "tx-through", messages: [{ value: JSON.stringify({ n: "committed" }) }] });
      await committed.commit();
      const open = await producer.transaction();
      await open.send({ topic: "tx-through", messages: [{ value: JSON.stringify({ n: "open" }) }] });
      const read = await httpCall(http, "GET", "/topics/tx-through/partitions/0/records?offset=0");
      expect(read.json.records.map((r: { value: { n: string } }) => r.value.n)).toEqual(["committed"]);
      const rows = await until("the warehouse to load the committed record", async () => {
        const answer = await httpCall(http, "POST", "/sql", { sql: 'SELECT _value FROM "tx-through"' });
        return answer.json.rows?.length ? answer.json.rows : undefined;
      });
      expect(rows).toEqual([[JSON.stringify({ n: "committed" })]]);
      await open.abort();
      await producer.disconnect();
    } finally {
      await stop(frontend);
      await stop(cluster);
    }
  });

  it("refuses an unreachable cluster with a message", async () => {
    const unreachable = await tributaryAsync(["serve", "--data-dir", tempDir(), "--kafka-cluster", "127.0.0.1:1", "--http-port", "0"]);
    expect(unreachable.status).not.toBe(0);
    expect(unreachable.stderr).toMatch(/cannot use the Kafka cluster at 127\.0\.0\.1:1: cannot reach 127\.0\.0\.1:1/);
  });
});
