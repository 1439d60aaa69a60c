// Authentication and authorization of the binary, through real clients:
// kafkajs with SASL PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 over plain TCP and
// TLS, client certificates, re-authentication, Kafka's ACL checks per API
// family (denied and allowed principals, prefixed ACLs, deny over allow,
// super users), the ACL and SCRAM credential APIs, the CLI's user, acl and
// token commands offline and online, and the HTTP API's Basic and Bearer
// credentials with the same ACLs. Certificates are made by openssl.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as https from "node:https";
import * as path from "node:path";
import * as os from "node:os";
import { Kafka, logLevel, type SASLOptions } from "kafkajs";
import { serve, tributaryAsync, type RunningServer } from "../helpers/cli.js";
import { httpCall } from "../helpers/http-call.js";
import { tempDir } from "../helpers/temp-dir.js";
import { makeCertificates, type TestCertificates } from "../helpers/certificates.js";
import { KafkaConnection } from "../../src/cluster/kafka-connection.js";

const PASSWORDS: Record<string, string> & { admin: string; alice: string; bob: string; carol: string } = { admin: "admin-secret", alice: "alice-secret", bob: "bob-secret", carol: "carol-secret" };
type Mechanism = "plain" | "scram-sha-256" | "scram-sha-512";

function addresses(server: RunningServer): { kafka: string; http: string } {
  return { kafka: /kafka (\S+),/.exec(server.readyLine)![1]!, http: /http (https?:\/\/\S+),/.exec(server.readyLine)![1]! };
}

async function cli(args: string[], env: NodeJS.ProcessEnv = {}, input?: string) {
  if (input === undefined) return tributaryAsync(args, env);
  const { spawn } = await import("node:child_process");
  const { TRIBUTARY_BINARY } = await import("../helpers/binaries.js");
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(TRIBUTARY_BINARY, args, { env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("exit", (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** Creates a user on a stopped broker's data dir, as the first user is made. */
async function createUser(dataDir: string, user: string, mechanism = "all"): Promise<void> {
  const r = await cli(["user", "create", user, "--password-stdin", "--mechanism", mechanism, "--data-dir", dataDir], {}, PASSWORDS[user]);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
}

async function addAcl(dataDir: string, args: string[]): Promise<void> {
  const r = await cli(["acl", "add", ...args, "--data-dir", dataDir]);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
}

function client(broker: string, user: string | undefined, mechanism: Mechanism = "scram-sha-512", extra: Partial<ConstructorParameters<typeof Kafka>[0]> = {}): Kafka {
  const sasl = user ? ({ mechanism, username: user, password: PASSWORDS[user] ?? "wrong" } as SASLOptions) : undefined;
  // A couple of quick retries: kafkajs looks up brokers only once it has failed to find one.
  return new Kafka({ brokers: [broker], clientId: `security-${user ?? "none"}`, logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 50, maxRetryTime: 200 }, sasl, ...extra });
}

async function produce(kafka: Kafka, topic: string, value: string, idempotent = false): Promise<void> {
  // kafkajs insists on retries for an idempotent producer.
  const producer = kafka.producer({ idempotent, allowAutoTopicCreation: false, ...(idempotent ? { retry: { retries: 1 } } : {}) });
  await producer.connect();
  try {
    await producer.send({ topic, messages: [{ value }], acks: -1 });
  } finally {
    await producer.disconnect();
  }
}

/** Reads `topic` from the start with `group` until `count` records arrived. */
async function consume(kafka: Kafka, topic: string, group: string, count: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: group, retry: { retries: 0 } });
  const values: string[] = [];
  await consumer.connect();
  try {
    let failed: Error | undefined;
    consumer.on(consumer.events.CRASH, (e) => (failed = e.payload.error));
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value!.toString()) });
    while (values.length < count && !failed) await new Promise((r) => setTimeout(r, 50));
    if (failed) throw failed;
    return values;
  } finally {
    await consumer.disconnect();
  }
}

async function refusal(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (err) {
    const e = err as { type?: string; message: string; name: string; cause?: { type?: string }; errors?: { type?: string; message?: string }[] };
    const inner = (e.errors ?? []).map((i) => `${i.type ?? ""} ${i.message ?? ""}`).join("; ");
    return `${e.name} ${e.type ?? e.cause?.type ?? ""} ${e.message} ${inner}`;
  }
  throw new Error("expected a refusal, got success");
}

function basic(user: string, password = PASSWORDS[user]!): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` };
}

/** An HTTPS request trusting the test CA. */
function httpsCall(url: string, ca: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https.get(url, { ca: fs.readFileSync(ca), headers }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    }).on("error", reject);
  });
}

/** A directory for the whole suite (tempDir's are removed after each test). */
function suiteDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  suiteDirs.push(dir);
  return dir;
}
const suiteDirs: string[] = [];

const SASL_ARGS = ["--sasl-mechanisms", "plain,scram-sha-256,scram-sha-512", "--super-users", "User:admin", "--group-initial-rebalance-delay-ms", "0"];

describe("security: SASL, TLS, ACLs and HTTP credentials", () => {
  let certs: TestCertificates;
  let plain: RunningServer;
  let secure: RunningServer;
  let plainDir: string;
  let A: { kafka: string; http: string };

  beforeAll(async () => {
    certs = makeCertificates(suiteDir("tributary-certs-"));
    plainDir = suiteDir("tributary-security-");
    const secureDir = suiteDir("tributary-security-");
    for (const dir of [plainDir, secureDir]) {
      for (const user of ["admin", "alice", "carol"]) await createUser(dir, user);
      await createUser(dir, "bob", "scram-sha-256");
      await addAcl(dir, ["--principal", "User:alice", "--operation", "write,describe", "--topic", "orders"]);
      // Reading: every topic starting "ord", but never orders-secret (deny wins); groups starting "alice-".
      await addAcl(dir, ["--principal", "User:alice", "--operation", "read", "--topic", "ord", "--prefixed"]);
      await addAcl(dir, ["--principal", "User:alice", "--operation", "read", "--topic", "orders-secret", "--deny"]);
      await addAcl(dir, ["--principal", "User:alice", "--operation", "read", "--group", "alice-", "--prefixed"]);
      // Her own namespace of topics: create, delete, alter, configs.
      await addAcl(dir, ["--principal", "User:alice", "--operation", "create,delete,alter,alter-configs,describe-configs", "--topic", "alice.", "--prefixed"]);
      await addAcl(dir, ["--principal", "User:bob", "--operation", "read", "--topic", "orders"]);
      await addAcl(dir, ["--principal", "User:bob", "--operation", "read", "--group", "bob-group"]);
      await addAcl(dir, ["--principal", "User:*", "--operation", "describe", "--topic", "public"]);
    }
    // These brokers see many deliberate failures from this one address: the lockout has a test of its own.
    const manyFailures = { TRIBUTARY_AUTH_FAILURES_PER_MINUTE_MAX: "1000" };
    plain = await serve(["--data-dir", plainDir, "--kafka-port", "0", "--http-port", "0", ...SASL_ARGS], manyFailures);
    secure = await serve(["--data-dir", secureDir, "--kafka-port", "0", "--http-port", "0", ...SASL_ARGS, "--tls-cert", certs.serverCert, "--tls-key", certs.serverKey], manyFailures);
    A = addresses(plain);
    const admin = client(A.kafka, "admin").admin();
    await admin.connect();
    await admin.createTopics({ topics: ["orders", "orders-secret", "public", "other"].map((topic) => ({ topic })) });
    await admin.disconnect();
    await produce(client(A.kafka, "admin"), "orders-secret", "classified");
  }, 120_000);

  afterAll(async () => {
    for (const s of [plain, secure]) {
      s?.process.kill("SIGTERM");
      await s?.exited;
    }
    for (const dir of suiteDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("kafkajs authenticates with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512, over plain TCP and over TLS", async () => {
    const B = addresses(secure);
    const tlsAdmin = client(B.kafka, "admin", "scram-sha-512", { ssl: { ca: [fs.readFileSync(certs.ca, "utf8")] } }).admin();
    await tlsAdmin.connect();
    await tlsAdmin.createTopics({ topics: [{ topic: "orders" }] });
    await tlsAdmin.disconnect();
    const tlsOptions: [string, { ca: string[] } | undefined][] = [[A.kafka, undefined], [B.kafka, { ca: [fs.readFileSync(certs.ca, "utf8")] }]];
    for (const [address, ssl] of tlsOptions) {
      for (const mechanism of ["plain", "scram-sha-256", "scram-sha-512"] as const) {
        await produce(client(address, "alice", mechanism, ssl ? { ssl } : {}), "orders", `${mechanism}${ssl ? " tls" : ""}`);
      }
    }
    const onTls = await consume(client(B.kafka, "alice", "scram-sha-256", { ssl: { ca: [fs.readFileSync(certs.ca, "utf8")] } }), "orders", "alice-tls", 3);
    expect(onTls.sort()).toEqual(["plain tls", "scram-sha-256 tls", "scram-sha-512 tls"]);
    // The HTTP listener serves TLS with the same certificate.
    expect((await httpsCall(`${addresses(secure).http}/healthz`, certs.ca)).status).toBe(200);
    expect(addresses(secure).http).toMatch(/^https:/);
  });

  it("a wrong password, an unknown user, a mechanism without a credential and a client without SASL are refused, logged and counted", async () => {
    expect(await refusal(produce(client(A.kafka, "alice", "plain", { sasl: { mechanism: "plain", username: "alice", password: "nope" } }), "orders", "x")))
      .toMatch(/SASLAuthentication.*invalid credentials with SASL mechanism PLAIN/);
    expect(await refusal(produce(new Kafka({ brokers: [A.kafka], logLevel: logLevel.NOTHING, retry: { retries: 0 }, sasl: { mechanism: "scram-sha-256", username: "mallory", password: "x" } }), "orders", "x")))
      .toMatch(/SASLAuthentication.*SCRAM-SHA-256/);
    // bob has a SCRAM-SHA-256 credential only.
    expect(await refusal(produce(client(A.kafka, "bob", "scram-sha-512"), "orders", "x"))).toMatch(/SASLAuthentication/);
    expect(await refusal(produce(client(A.kafka, undefined), "orders", "x"))).toMatch(/Connection|closed/i);
    const metrics = await fetch(`${A.http}/metrics`, { headers: basic("admin") }).then((r) => r.text());
    expect(metrics).toMatch(/tributary_authentication_failures_total\{mechanism="PLAIN"\} [1-9]/);
    expect(metrics).toMatch(/tributary_authentication_failures_total\{mechanism="SCRAM-SHA-256"\} [1-9]/);
    const log = plain.output().stderr;
    expect(log).toMatch(/authentication failed: mallory from 127\.0\.0\.1:\d+ with SCRAM-SHA-256/);
    expect(log).toMatch(/authentication failed: alice from 127\.0\.0\.1:\d+ with PLAIN: invalid credentials/);
    expect(log).not.toContain(PASSWORDS.alice);
    // Before authenticating, a large frame is refused without being read.
    const { RawKafka } = await import("../helpers/raw-kafka.js");
    const raw = await RawKafka.connect(A.kafka);
    const big = Buffer.alloc(4 + 1024 * 1024);
    big.writeInt32BE(1024 * 1024);
    raw.socket.write(big);
    await raw.closedPromise;
    expect(plain.output().stderr).toMatch(/outside \[8, 65536\] before authentication/);
  });

  it("Produce needs WRITE and Fetch READ on the topic, consumer groups READ on the group; deny wins over a prefixed allow", async () => {
    await produce(client(A.kafka, "alice"), "orders", "from alice");
    expect(await refusal(produce(client(A.kafka, "carol"), "orders", "x"))).toMatch(/authoriz/i);
    expect(await refusal(produce(client(A.kafka, "alice"), "other", "x"))).toMatch(/authoriz/i);
    expect(await consume(client(A.kafka, "alice"), "orders", "alice-readers", 1)).toContain("from alice");
    expect(await consume(client(A.kafka, "bob", "scram-sha-256"), "orders", "bob-group", 1)).toContain("from alice");
    // bob may read orders, but not in a group of someone else's name: FindCoordinator and JoinGroup say GROUP_AUTHORIZATION_FAILED (30).
    const bob = await KafkaConnection.connect(A.kafka, "bob-raw", 5000, undefined, { mechanism: "SCRAM-SHA-256", user: "bob", password: PASSWORDS.bob });
    try {
      expect(await bob.request(10, 1, { key: "alice-readers", keyType: 0 }, 5000)).toMatchObject({ errorCode: 30 });
      expect(await bob.request(10, 1, { key: "bob-group", keyType: 0 }, 5000)).toMatchObject({ errorCode: 0 });
      const join = { groupId: "alice-readers", sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: "", protocolType: "consumer", protocols: [{ name: "range", metadata: Buffer.alloc(0) }] };
      expect(await bob.request(11, 1, join, 5000)).toMatchObject({ errorCode: 30 });
      expect(await bob.request(8, 2, { groupId: "alice-readers", generationIdOrMemberEpoch: -1, memberId: "", retentionTimeMs: -1n, topics: [{ name: "orders", partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] }] }, 5000))
        .toMatchObject({ topics: [{ partitions: [{ errorCode: 30 }] }] });
    } finally {
      bob.close();
    }
    // A fetch session belongs to its principal: carol cannot read alice's partitions through alice's session.
    const fetchBody = (sessionId: number, sessionEpoch: number, topics: string[]) => ({
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId, sessionEpoch,
      topics: topics.map((topic) => ({ topic, partitions: [{ partition: 0, fetchOffset: 0n, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] })), forgottenTopicsData: [],
    });
    const aliceRaw = await KafkaConnection.connect(A.kafka, "alice-raw", 5000, undefined, { mechanism: "SCRAM-SHA-512", user: "alice", password: PASSWORDS.alice });
    const carolRaw = await KafkaConnection.connect(A.kafka, "carol-raw", 5000, undefined, { mechanism: "SCRAM-SHA-512", user: "carol", password: PASSWORDS.carol });
    try {
      const opened = await aliceRaw.request(1, 7, fetchBody(0, 0, ["orders"]), 5000) as { errorCode: number; sessionId: number; responses: { partitions: { errorCode: number }[] }[] };
      expect(opened).toMatchObject({ errorCode: 0, responses: [{ partitions: [{ errorCode: 0 }] }] });
      expect(opened.sessionId).toBeGreaterThan(0);
      expect(await carolRaw.request(1, 7, fetchBody(opened.sessionId, 1, []), 5000)).toMatchObject({ errorCode: 70, responses: [] });
      expect(await carolRaw.request(1, 7, fetchBody(0, 0, ["orders"]), 5000)).toMatchObject({ errorCode: 0, responses: [{ partitions: [{ errorCode: 29 }] }] });
      expect(await aliceRaw.request(1, 7, fetchBody(opened.sessionId, 1, []), 5000)).toMatchObject({ errorCode: 0, sessionId: opened.sessionId });
    } finally {
      aliceRaw.close();
      carolRaw.close();
    }
    // alice's prefixed READ on "ord" would cover orders-secret; the literal DENY wins.
    expect(await refusal(consume(client(A.kafka, "alice"), "orders-secret", "alice-secret-readers", 1))).toMatch(/TOPIC_AUTHORIZATION_FAILED|authoriz/i);
    expect(await consume(client(A.kafka, "admin"), "orders-secret", "admin-readers", 1)).toEqual(["classified"]);
  });

  it("Metadata lists only the topics a principal may describe; a super user sees every one", async () => {
    const list = async (user: string) => {
      const admin = client(A.kafka, user).admin();
      await admin.connect();
      try {
        return (await admin.listTopics()).sort();
      } finally {
        await admin.disconnect();
      }
    };
    expect(await list("carol")).toEqual(["public"]);
    expect(await list("alice")).toEqual(["orders", "orders-secret", "public"]);
    expect(await list("admin")).toEqual(expect.arrayContaining(["__consumer_offsets", "__tributary_security", "orders", "orders-secret", "other", "public"]));
  });

  it("topic admin needs CREATE, ALTER, ALTER_CONFIGS, DESCRIBE_CONFIGS and DELETE, each on its own topic or prefix", async () => {
    const alice = client(A.kafka, "alice").admin();
    const carol = client(A.kafka, "carol").admin();
    await alice.connect();
    await carol.connect();
    try {
      expect(await alice.createTopics({ topics: [{ topic: "alice.events" }] })).toBe(true);
      expect(await refusal(alice.createTopics({ topics: [{ topic: "events" }] }))).toMatch(/TOPIC_AUTHORIZATION_FAILED|authoriz/i);
      await alice.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: "alice.events", configEntries: [{ name: "retention.ms", value: "3600000" }] }] });
      const described = await alice.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: "alice.events", configNames: ["retention.ms"] }] });
      expect(described.resources[0]!.configEntries[0]!.configValue).toBe("3600000");
      expect(await refusal(carol.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: "orders", configNames: ["retention.ms"] }] }))).toMatch(/authoriz/i);
      expect(await refusal(carol.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: "orders", configEntries: [{ name: "retention.ms", value: "1" }] }] }))).toMatch(/authoriz/i);
      await alice.createPartitions({ topicPartitions: [{ topic: "alice.events", count: 2 }] });
      expect(await refusal(carol.createPartitions({ topicPartitions: [{ topic: "orders", count: 3 }] }))).toMatch(/authoriz/i);
      expect(await refusal(carol.deleteTopics({ topics: ["orders"] }))).toMatch(/authoriz/i);
      expect(await refusal(alice.deleteTopics({ topics: ["orders"] }))).toMatch(/authoriz/i);
      await alice.deleteTopics({ topics: ["alice.events"] });
      expect(await refusal(carol.deleteTopicRecords({ topic: "orders", partitions: [{ partition: 0, offset: "-1" }] }))).toMatch(/authoriz/i);
    } finally {
      await alice.disconnect();
      await carol.disconnect();
    }
    const admin = client(A.kafka, "admin").admin();
    await admin.connect();
    expect(await admin.listTopics()).toContain("orders");
    await admin.disconnect();
  });

  it("groups: describing, listing and deleting need rights on the group", async () => {
    await consume(client(A.kafka, "alice"), "orders", "alice-listed", 1);
    const alice = client(A.kafka, "alice").admin();
    const carol = client(A.kafka, "carol").admin();
    const admin = client(A.kafka, "admin").admin();
    for (const a of [alice, carol, admin]) await a.connect();
    try {
      expect((await alice.describeGroups(["alice-listed"])).groups[0]).toMatchObject({ groupId: "alice-listed", errorCode: 0 });
      expect((await carol.listGroups()).groups).toEqual([]);
      expect((await admin.listGroups()).groups.map((g) => g.groupId)).toContain("alice-listed");
      // carol's requests reach the broker directly (kafkajs would first look for a coordinator, and retry): GROUP_AUTHORIZATION_FAILED (30).
      const raw = await KafkaConnection.connect(A.kafka, "carol-raw", 5000, undefined, { mechanism: "PLAIN", user: "carol", password: PASSWORDS.carol });
      try {
        expect(await raw.request(15, 1, { groups: ["alice-listed"] }, 5000)).toMatchObject({ groups: [{ groupId: "alice-listed", errorCode: 30 }] });
        expect(await raw.request(42, 0, { groupsNames: ["alice-listed"] }, 5000)).toMatchObject({ results: [{ groupId: "alice-listed", errorCode: 30 }] });
        expect(await raw.request(9, 3, { groupId: "alice-listed", topics: [{ name: "orders", partitionIndexes: [0] }] }, 5000)).toMatchObject({ errorCode: 30 });
        expect(await raw.request(47, 0, { groupId: "alice-listed", topics: [{ name: "orders", partitions: [{ partitionIndex: 0 }] }] }, 5000)).toMatchObject({ errorCode: 30 });
      } finally {
        raw.close();
      }
      await admin.deleteGroups(["alice-listed"]);
    } finally {
      for (const a of [alice, carol, admin]) await a.disconnect();
    }
  });

  it("an idempotent producer needs IDEMPOTENT_WRITE on the cluster or WRITE on some topic", async () => {
    await produce(client(A.kafka, "alice"), "orders", "idempotent alice", true);
    expect(await refusal(produce(client(A.kafka, "carol"), "public", "x", true))).toMatch(/CLUSTER_AUTHORIZATION_FAILED|authoriz/i);
  });

  it("the ACL APIs and the SCRAM credential APIs need rights on the cluster; the CLI uses them on a running broker", async () => {
    const carol = client(A.kafka, "carol").admin();
    const admin = client(A.kafka, "admin").admin();
    await carol.connect();
    await admin.connect();
    try {
      const acl = { resourceType: 2, resourceName: "carol-topic", resourcePatternType: 3, principal: "User:carol", host: "*", operation: 4, permissionType: 3 };
      expect(await refusal(carol.createAcls({ acl: [acl as never] }))).toMatch(/CLUSTER_AUTHORIZATION_FAILED|authoriz/i);
      expect(await refusal(carol.describeAcls({ resourceType: 1, resourcePatternType: 1, operation: 1, permissionType: 1 } as never))).toMatch(/authoriz/i);
      await admin.createAcls({ acl: [acl as never] });
      const described = await admin.describeAcls({ resourceType: 2, resourceName: "carol-topic", resourcePatternType: 1, operation: 1, permissionType: 1 } as never);
      expect(described.resources).toEqual([expect.objectContaining({ resourceName: "carol-topic", acls: [expect.objectContaining({ principal: "User:carol", operation: 4, permissionType: 3 })] })]);
      await admin.createTopics({ topics: [{ topic: "carol-topic" }] });
      // The new ACL holds at once: carol may write (and, by WRITE, describe) carol-topic.
      await produce(client(A.kafka, "carol"), "carol-topic", "hello");
      const deleted = await admin.deleteAcls({ filters: [{ resourceType: 2, resourceName: "carol-topic", resourcePatternType: 1, principal: "User:carol", operation: 1, permissionType: 1 } as never] });
      expect(deleted.filterResponses[0]!.matchingAcls).toHaveLength(1);
      expect(await refusal(produce(client(A.kafka, "carol"), "carol-topic", "again"))).toMatch(/authoriz/i);
    } finally {
      await carol.disconnect();
      await admin.disconnect();
    }
    // Users over the Kafka protocol, through the CLI on the running broker's data dir.
    const asCarol = { TRIBUTARY_USER: "carol", TRIBUTARY_PASSWORD: PASSWORDS.carol };
    const asAdmin = { TRIBUTARY_USER: "admin", TRIBUTARY_PASSWORD: PASSWORDS.admin };
    const denied = await cli(["user", "list", "--data-dir", plainDir], asCarol);
    expect(denied.status).toBe(1);
    expect(denied.stderr).toMatch(/CLUSTER_AUTHORIZATION_FAILED: User:carol may not describe the cluster/);
    const created = await cli(["user", "create", "dave", "--password-stdin", "--data-dir", plainDir], asAdmin, "dave-secret");
    expect(created.status).toBe(0);
    const listed = await cli(["user", "list", "--json", "--data-dir", plainDir], asAdmin);
    expect(JSON.parse(listed.stdout)).toContainEqual({ user: "dave", mechanisms: "SCRAM-SHA-256,SCRAM-SHA-512", iterations: "8192,8192" });
    const added = await cli(["acl", "add", "--principal", "User:dave", "--operation", "write", "--topic", "dave-", "--prefixed", "--data-dir", plainDir], asAdmin);
    expect(added.stdout).toContain("User:dave from * ALLOW WRITE on TOPIC dave- (prefixed)");
    const adminClient = client(A.kafka, "admin").admin();
    await adminClient.connect();
    await adminClient.createTopics({ topics: [{ topic: "dave-inbox" }] });
    await adminClient.disconnect();
    const dave = new Kafka({ brokers: [A.kafka], logLevel: logLevel.NOTHING, retry: { retries: 0 }, sasl: { mechanism: "scram-sha-512", username: "dave", password: "dave-secret" } });
    await produce(dave, "dave-inbox", "made by the CLI");
    const aclList = await cli(["acl", "list", "--principal", "User:dave", "--json", "--data-dir", plainDir], asAdmin);
    expect(JSON.parse(aclList.stdout)).toEqual([{ principal: "User:dave", host: "*", permission: "allow", operation: "write", resource: "topic", name: "dave-", pattern: "prefixed" }]);
    const removed = await cli(["user", "delete", "dave", "--data-dir", plainDir], asAdmin);
    expect(removed.status).toBe(0);
    expect(await refusal(produce(dave, "dave-inbox", "x"))).toMatch(/SASLAuthentication/);
    expect(plain.output().stderr).toMatch(/action=user\.set_credential by=User:admin/);
  });

  it("HTTP: Basic and Bearer credentials, 401 and 403 with JSON bodies, the same ACLs, revoked and expired tokens", async () => {
    const publish = (headers: Record<string, string>, topic = "orders") => httpCall(A.http, "POST", `/topics/${topic}/records`, { value: { n: 1 } }, headers);
    const none = await publish({});
    expect(none.status).toBe(401);
    expect(none.json).toMatchObject({ error_code: 40101, message: expect.stringContaining("credentials required") });
    expect((await fetch(`${A.http}/topics`)).headers.get("www-authenticate")).toMatch(/^Basic/);
    expect((await publish(basic("alice", "wrong"))).status).toBe(401);
    expect((await publish(basic("alice"))).status).toBe(200);
    const denied = await publish(basic("carol"));
    expect(denied.status).toBe(403);
    expect(denied.json).toEqual({ error_code: 40301, message: "User:carol may not write topic orders" });
    expect((await httpCall(A.http, "GET", "/topics/orders/partitions/0/records?offset=0", undefined, basic("bob"))).status).toBe(200);
    expect((await httpCall(A.http, "GET", "/topics/orders-secret/partitions/0/records?offset=0", undefined, basic("alice"))).status).toBe(403);
    expect((await httpCall(A.http, "GET", "/topics", undefined, basic("carol"))).json).toEqual(["public"]);
    // Internal topics stay closed to every principal, super users included.
    expect((await httpCall(A.http, "GET", "/topics/__tributary_security/partitions/0/records?offset=0", undefined, basic("admin"))).status).toBe(403);
    // Open without credentials: health; closed by default: metrics.
    expect((await httpCall(A.http, "GET", "/healthz")).status).toBe(200);
    expect((await httpCall(A.http, "GET", "/readyz")).status).toBe(200);
    expect((await fetch(`${A.http}/metrics`)).status).toBe(401);
    // The registry: registering under orders-value needs WRITE on orders.
    const schema = { schema: JSON.stringify({ type: "object" }), schemaType: "JSON" };
    expect((await httpCall(A.http, "POST", "/subjects/orders-value/versions", schema, basic("carol"))).status).toBe(403);
    expect((await httpCall(A.http, "POST", "/subjects/orders-value/versions", schema, basic("alice"))).status).toBe(200);
    expect((await httpCall(A.http, "GET", "/subjects", undefined, basic("alice"))).json).toEqual(["orders-value"]);
    expect((await httpCall(A.http, "GET", "/subjects", undefined, basic("carol"))).json).toEqual([]);
    // Tokens: made by the CLI (over the running broker's HTTP API), used, revoked.
    const asAdmin = { TRIBUTARY_USER: "admin", TRIBUTARY_PASSWORD: PASSWORDS.admin };
    const made = await cli(["token", "create", "--user", "bob", "--json", "--data-dir", plainDir], asAdmin);
    expect(made.status).toBe(0);
    const { token, id } = JSON.parse(made.stdout) as { token: string; id: string };
    const bearer = { authorization: `Bearer ${token}` };
    expect((await httpCall(A.http, "GET", "/topics/orders/partitions/0/records?offset=0", undefined, bearer)).status).toBe(200);
    expect((await publish(bearer)).status).toBe(403);
    const tokens = await cli(["token", "list", "--json", "--data-dir", plainDir], asAdmin);
    expect(JSON.parse(tokens.stdout)).toContainEqual(expect.objectContaining({ id, user: "bob" }));
    expect(tokens.stdout).not.toContain(token.split("_")[2]);
    expect((await cli(["token", "revoke", id, "--data-dir", plainDir], asAdmin)).status).toBe(0);
    const revoked = await httpCall(A.http, "GET", "/topics", undefined, bearer);
    expect(revoked).toEqual({ status: 401, json: { error_code: 40101, message: "unknown or revoked token" } });
    // A user makes a short-lived token for itself; once past its time it is refused.
    const soon = new Date(Date.now() + 1500).toISOString();
    const own = await httpCall(A.http, "POST", "/tokens", { expires_at: soon }, basic("bob"));
    expect(own.status).toBe(201);
    expect(own.json).toMatchObject({ user: "bob", expires_at: soon });
    expect((await httpCall(A.http, "POST", "/tokens", { user: "alice" }, basic("bob"))).status).toBe(403);
    const shortLived = { authorization: `Bearer ${own.json.token as string}` };
    expect((await httpCall(A.http, "GET", "/topics", undefined, shortLived)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1600));
    expect(await httpCall(A.http, "GET", "/topics", undefined, shortLived)).toEqual({ status: 401, json: { error_code: 40101, message: "the token has expired" } });
    const metrics = await fetch(`${A.http}/metrics`, { headers: basic("admin") }).then((r) => r.text());
    expect(metrics).toMatch(/tributary_authentication_failures_total\{mechanism="BEARER"\} [1-9]/);
    expect(plain.output().stderr).toMatch(/action=token\.revoke by=User:admin/);
  });

  it("a user that fails too often from an address is refused unchecked for a minute there, over Kafka and HTTP; a connection that never authenticates is closed", async () => {
    const dir = tempDir();
    await createUser(dir, "alice");
    await createUser(dir, "bob");
    const server = await serve(["--data-dir", dir, "--kafka-port", "0", "--http-port", "0", ...SASL_ARGS],
      { TRIBUTARY_AUTH_FAILURES_PER_MINUTE_MAX: "3", TRIBUTARY_AUTHENTICATION_TIMEOUT_MS: "500" });
    try {
      const { kafka, http } = addresses(server);
      // Idle after ApiVersions, never authenticating: closed at its deadline.
      const { RawKafka } = await import("../helpers/raw-kafka.js");
      const idle = await RawKafka.connect(kafka);
      await idle.request(18, 0, {});
      await idle.closedPromise;
      expect(server.output().stderr).toMatch(/did not authenticate within 500 ms/);
      for (let i = 0; i < 3; i++) expect((await httpCall(http, "GET", "/topics", undefined, basic("alice", `guess-${i}`))).status).toBe(401);
      const locked = await httpCall(http, "GET", "/topics", undefined, basic("alice"));
      expect(locked).toEqual({ status: 429, json: { error_code: 42901, message: "too many failed authentications of alice from this address in the last minute; try again later" } });
      // The right password over Kafka is refused too, unchecked; another user from the same address is not.
      const refused = await refusal(produce(client(kafka, "alice", "scram-sha-256", { retry: { retries: 0 } }), "orders", "x"));
      expect(refused).toMatch(/too many failed authentications of alice from 127\.0\.0\.1/);
      expect((await httpCall(http, "GET", "/topics", undefined, basic("bob"))).status).toBe(200);
      // Without credentials the API still says 401, and health stays open.
      expect((await httpCall(http, "GET", "/topics")).status).toBe(401);
      expect((await httpCall(http, "GET", "/healthz")).status).toBe(200);
    } finally {
      server.process.kill("SIGTERM");
      await server.exited;
    }
  });

  it("client certificates: the principal is the certificate's subject, ACLs apply, a client without one is refused", async () => {
    const dir = tempDir();
    await addAcl(dir, ["--principal", "User:CN=writer,O=Acme", "--operation", "write,create", "--topic", "certified"]);
    const server = await serve(["--data-dir", dir, "--kafka-port", "0", "--http-port", "0", "--tls-cert", certs.serverCert, "--tls-key", certs.serverKey, "--tls-ca", certs.ca]);
    try {
      const { kafka } = addresses(server);
      const writer = certs.client("writer", "/O=Acme/CN=writer");
      const ssl = { ca: [fs.readFileSync(certs.ca, "utf8")], cert: fs.readFileSync(writer.cert, "utf8"), key: fs.readFileSync(writer.key, "utf8") };
      const certified = new Kafka({ brokers: [kafka], logLevel: logLevel.NOTHING, retry: { retries: 0 }, ssl });
      const admin = certified.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: "certified" }] });
      await admin.disconnect();
      await produce(certified, "certified", "signed");
      expect(await refusal(produce(certified, "elsewhere", "x"))).toMatch(/authoriz/i);
      const anonymous = new Kafka({ brokers: [kafka], logLevel: logLevel.NOTHING, retry: { retries: 0 }, ssl: { ca: [fs.readFileSync(certs.ca, "utf8")] }, connectionTimeout: 3000 });
      expect(await refusal(produce(anonymous, "certified", "x"))).toMatch(/Connection|socket|certificate|closed|ECONNRESET/i);
      while (!/authentication failed: \(no user\) from .* with TLS/.test(server.output().stderr)) await new Promise((r) => setTimeout(r, 50));
    } finally {
      server.process.kill("SIGTERM");
      await server.exited;
    }
  });

  it("re-authentication: a session lasts --sasl-reauth-ms; kafkajs re-authenticates in time, a client that does not is disconnected", async () => {
    const dir = tempDir();
    await createUser(dir, "admin");
    const server = await serve(["--data-dir", dir, "--kafka-port", "0", "--http-port", "0", ...SASL_ARGS, "--sasl-reauth-ms", "2000"]);
    try {
      const { kafka } = addresses(server);
      const producer = client(kafka, "admin", "scram-sha-512", { reauthenticationThreshold: 1000 } as never).producer();
      await producer.connect();
      await producer.send({ topic: "renewed", messages: [{ value: "1" }] });
      await new Promise((r) => setTimeout(r, 2500));
      await producer.send({ topic: "renewed", messages: [{ value: "2" }] });
      await producer.disconnect();
      // Our own client does not re-authenticate: past its session, its next request closes the connection.
      const connection = await KafkaConnection.connect(kafka, "stale", 5000, undefined, { mechanism: "SCRAM-SHA-256", user: "admin", password: PASSWORDS.admin });
      await connection.request(3, 1, { topics: null }, 5000);
      await new Promise((r) => setTimeout(r, 2200));
      await expect(connection.request(3, 1, { topics: null }, 5000)).rejects.toThrow(/closed/);
      expect(server.output().stderr).toMatch(/the session of User:admin expired without re-authentication/);
    } finally {
      server.process.kill("SIGTERM");
      await server.exited;
    }
  });
});
