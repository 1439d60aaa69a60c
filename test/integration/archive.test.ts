// Archiving closed segments to a real S3-compatible server (s3rver, started
// here), checked with the SDK and with Debian's awscli as an independent client.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import S3rver from "s3rver";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { startBroker, type Broker } from "../../src/server/broker.js";
import { tempDir } from "../helpers/temp-dir.js";
import { httpCall } from "../helpers/http-call.js";
import { serve, tributaryAsync as tributary } from "../helpers/cli.js";
import { TRIBUTARY_BINARY } from "../helpers/binaries.js";
import { Kafka, logLevel } from "kafkajs";
import { RangeAssigner } from "../helpers/kafkajs-range-assigner.js";
import { parquetReadObjects } from "hyparquet";
import { LogManager } from "../../src/log/log-manager.js";
import { seededRandom } from "../sim/simulated-disk.js";

const AWS_CLI = "/usr/bin/aws";
const credentials = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_REGION: "us-east-1" };
Object.assign(process.env, credentials);

let s3: S3rver;
let s3Directory: string;
let endpoint: string;
let port: number;

async function startS3(listenPort = 0): Promise<void> {
  s3 = new S3rver({ port: listenPort, address: "127.0.0.1", directory: s3Directory, silent: true, configureBuckets: [{ name: "archive", configs: [] }] });
  const address = await s3.run();
  port = address.port;
  endpoint = `http://127.0.0.1:${port}`;
}

beforeAll(async () => {
  s3Directory = fs.mkdtempSync(path.join(process.env.TMPDIR ?? "/tmp", "tributary-s3rver-"));
  await startS3();
});

afterAll(async () => {
  await s3?.close().catch(() => undefined);
  fs.rmSync(s3Directory, { recursive: true, force: true });
});

function client(): S3Client {
  return new S3Client({ endpoint, forcePathStyle: true, region: "us-east-1", credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED" });
}

async function objectBytes(key: string): Promise<Buffer> {
  const answer = await client().send(new GetObjectCommand({ Bucket: "archive", Key: key }));
  return Buffer.from(await answer.Body!.transformToByteArray());
}

/** A manifest as the store holds it now; undefined while s3rver is still writing it (its files are not replaced atomically). */
async function manifest(key: string): Promise<any> {
  try {
    return JSON.parse((await objectBytes(key)).toString());
  } catch {
    return undefined;
  }
}

async function keys(prefix: string): Promise<string[]> {
  const answer = await client().send(new ListObjectsV2Command({ Bucket: "archive", Prefix: prefix }));
  return (answer.Contents ?? []).map((o) => o.Key!).sort();
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function awsCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => execFile(AWS_CLI, ["--endpoint-url", endpoint, ...args], { env: { ...process.env, ...credentials } }, (err, stdout, stderr) => {
    if (err) reject(new Error(`aws ${args.join(" ")}: ${stderr}`));
    else resolve(stdout);
  }));
}

interface ArchiveAnswer {
  archive: string;
  error: string | null;
  partitions: { topic: string; partition: number; archived_up_to: number; pending_segments: number; pending_bytes: number; last_error: string | null }[];
}

describe("archive to S3", () => {
  let broker: Broker;
  let dataDir: string;
  const call = (method: string, route: string, body?: unknown) => httpCall(broker.httpUrl, method, route, body);
  const status = async (topic: string) => ((await call("GET", "/archive")).json as ArchiveAnswer).partitions.find((p) => p.topic === topic);
  const publish = async (topic: string, n: number, tag: string) => {
    const res = await call("POST", `/topics/${topic}/records`, { records: Array.from({ length: n }, (_, i) => ({ value: { tag, i, pad: "x".repeat(200) } })) });
    expect(res.status).toBe(200);
  };

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? "/tmp", "tributary-archive-"));
    broker = await startBroker({ dataDir, kafkaPort: 0, httpPort: 0, archive: "s3://archive/prod", s3Endpoint: endpoint, archiveScanIntervalMs: 50, archiveRetryMaxMs: 200, maintenanceIntervalMs: 3_600_000 });
  });

  afterAll(async () => {
    await broker?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("uploads every closed segment with its indexes, then a manifest naming them; the catalog and schemas too", async () => {
    await call("POST", "/topics", { name: "events", configs: { "segment.bytes": "2048" } });
    await call("POST", "/topics", { name: "private", configs: { "segment.bytes": "2048", "remote.storage.enable": "false" } });
    await call("POST", "/topics", { name: "latest", configs: { "segment.bytes": "2048", "cleanup.policy": "compact" } });
    await call("POST", "/subjects/events-value/versions", { schemaType: "JSON", schema: JSON.stringify({ type: "object" }) });
    for (let i = 0; i < 10; i++) await publish("events", 5, `a${i}`);
    for (let i = 0; i < 5; i++) await publish("private", 5, `p${i}`);
    for (let i = 0; i < 8; i++) {
      const res = await call("POST", "/topics/latest/records", { records: Array.from({ length: 5 }, (_, j) => ({ key: `k${j}`, value: { round: i, pad: "y".repeat(200) } })) });
      expect(res.status).toBe(200);
    }
    const segments = () => fs.readdirSync(path.join(dataDir, "events-0")).filter((f) => f.endsWith(".log")).sort();
    const closed = segments().slice(0, -1);
    expect(closed.length).toBeGreaterThan(3);
    const activeBase = Number(segments().at(-1)!.slice(0, 20));
    await until(async () => (await status("events"))?.archived_up_to === activeBase, "the closed segments of events to be archived");
    expect(await status("events")).toMatchObject({ pending_segments: 0, pending_bytes: 0, last_error: null });

    const manifest = JSON.parse((await objectBytes("prod/events/0/manifest.json")).toString()) as { topicId: string; segments: { baseOffset: number; nextOffset: number; md5: string }[] };
    expect(manifest.topicId).toBe(broker.logs.describeTopicId("events"));
    expect(manifest.segments.map((s) => String(s.baseOffset).padStart(20, "0") + ".log")).toEqual(closed);
    manifest.segments.slice(1).forEach((s, i) => expect(s.baseOffset).toBe(manifest.segments[i]!.nextOffset)); // no gap between archived segments
    for (const name of closed) {
      const local = fs.readFileSync(path.join(dataDir, "events-0", name));
      const archived = await objectBytes(`prod/events/0/${name}`);
      expect(archived.equals(local)).toBe(true);
      expect(manifest.segments.find((s) => String(s.baseOffset).padStart(20, "0") + ".log" === name)!.md5).toBe(createHash("md5").update(local).digest("base64"));
    }
    // An independent S3 client sees the same layout.
    const listed = await awsCli(["s3", "ls", "s3://archive/prod/events/0/"]);
    for (const name of closed) {
      for (const extension of [".log", ".index", ".timeindex"]) expect(listed).toContain(name.replace(".log", extension));
    }
    expect(listed).toContain("manifest.json");
    expect(await keys("prod/private/")).toEqual([]);
    await until(async () => (await keys("prod/_tributary/")).length === 2, "the catalog and the schemas");
    const catalog = JSON.parse((await objectBytes("prod/_tributary/topics.json")).toString()) as { topics: { name: string }[] };
    expect(catalog.topics.map((t) => t.name)).toEqual(expect.arrayContaining(["events", "private", "latest"]));
    const schemas = JSON.parse((await objectBytes("prod/_tributary/schemas.json")).toString()) as { entries: [string, unknown][] };
    expect(JSON.stringify(schemas.entries)).toContain("events-value");
    // A compacted topic is archived as its segments were when uploaded; compaction later changes only the local copies.
    const latestSegments = fs.readdirSync(path.join(dataDir, "latest-0")).filter((f) => f.endsWith(".log")).sort();
    const latestActive = Number(latestSegments.at(-1)!.slice(0, 20));
    await until(async () => (await status("latest"))?.archived_up_to === latestActive, "the compacted topic's closed segments to be archived");
    const archivedLatest = await objectBytes(`prod/latest/0/${latestSegments[0]}`);
    await broker.logs.alterTopicConfig("latest", { set: { "min.cleanable.dirty.ratio": "0" } });
    await broker.logs.runMaintenance();
    const compactedLocal = path.join(dataDir, "latest-0", latestSegments[0]!);
    expect(fs.existsSync(compactedLocal) ? fs.readFileSync(compactedLocal).length : 0).toBeLessThan(archivedLatest.length); // compacted (or emptied) locally
    expect((await objectBytes(`prod/latest/0/${latestSegments[0]}`)).equals(archivedLatest)).toBe(true); // the archive keeps what it took
  });

  it("keeps segments on disk while S3 is down, shows the backlog, and drains it when S3 is back", async () => {
    await s3.close();
    for (let i = 0; i < 10; i++) await publish("events", 5, `b${i}`); // produce goes on
    await until(async () => ((await status("events"))?.last_error ?? null) !== null && (await status("events"))!.pending_segments > 0, "the backlog to show");
    const waiting = await status("events");
    expect(waiting!.pending_bytes).toBeGreaterThan(0);
    const metrics = await (await fetch(`${broker.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/tributary_archive_pending_bytes\{topic="events",partition="0"\} [1-9]/);
    expect(metrics).toMatch(/tributary_archive_failing\{topic="events",partition="0"\} 1/);
    // Local retention would delete everything; an unarchived segment stays.
    await broker.logs.alterTopicConfig("events", { set: { "local.retention.ms": "1" } });
    await broker.logs.runMaintenance(Date.now() + 60_000);
    const kept = fs.readdirSync(path.join(dataDir, "events-0")).filter((f) => f.endsWith(".log")).sort();
    const archivedUpTo = waiting!.archived_up_to;
    expect(kept.some((f) => Number(f.slice(0, 20)) === archivedUpTo)).toBe(true);

    await startS3(port);
    const activeBase = () => Number(fs.readdirSync(path.join(dataDir, "events-0")).filter((f) => f.endsWith(".log")).sort().at(-1)!.slice(0, 20));
    await until(async () => (await status("events"))?.pending_segments === 0 && (await status("events"))?.last_error === null, "the backlog to drain");
    expect((await status("events"))!.archived_up_to).toBe(activeBase());
    const manifest = JSON.parse((await objectBytes("prod/events/0/manifest.json")).toString()) as { segments: { baseOffset: number; nextOffset: number }[] };
    manifest.segments.slice(1).forEach((s, i) => expect(s.baseOffset).toBe(manifest.segments[i]!.nextOffset));
    // Archived now: local retention may delete them at last (the archive keeps them: retention.ms is a week).
    await broker.logs.runMaintenance(Date.now() + 60_000);
    expect(fs.readdirSync(path.join(dataDir, "events-0")).filter((f) => f.endsWith(".log"))).toHaveLength(1);
  });

  it("lists, verifies and restores: a new data directory served from the archive alone holds every archived record", async () => {
    const flags = ["--archive", "s3://archive/prod", "--s3-endpoint", endpoint];
    const listed = await tributary(["archive", "list", "--json", ...flags], credentials);
    expect(listed.status, listed.stderr).toBe(0);
    const events = (JSON.parse(listed.stdout) as { topic: string; partition: number; fromOffset: number; toOffset: number }[]).find((r) => r.topic === "events")!;
    const archivedUpTo = (await status("events"))!.archived_up_to;
    expect(events).toMatchObject({ fromOffset: 0, toOffset: archivedUpTo });
    const verified = await tributary(["archive", "verify", ...flags], credentials);
    expect(verified.status, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/; 0 problems/);
    // On a terminal, a progress bar (run under script(1), which gives it one).
    const onTerminal = await new Promise<string>((resolve, reject) => execFile("script", ["-qec", `${TRIBUTARY_BINARY} archive verify ${flags.join(" ")}`, "/dev/null"],
      { env: { ...process.env, ...credentials } }, (err, stdout) => (err ? reject(err) : resolve(stdout))));
    expect(onTerminal).toMatch(/verify \[[^\]]*\] \d+\/\d+ 100%/);

    // The local copies of old segments are gone (retention, once archived): only the archive has them.
    const restoredDir = path.join(tempDir(), "restored");
    const restored = await tributary(["archive", "restore", ...flags, "--data-dir", restoredDir, "--topic", "events"], credentials);
    expect(restored.status, restored.stderr).toBe(0);
    expect(restored.stdout).toMatch(/restored 1 topics/);
    const server = await serve(["--data-dir", restoredDir, "--kafka-port", "0", "--http-port", "0"]);
    try {
      const url = /http (http:\/\/\S+),/.exec(server.readyLine)![1]!;
      const tags: string[] = [];
      for (let offset = 0; ;) {
        const read = await httpCall(url, "GET", `/topics/events/partitions/0/records?offset=${offset}&limit=1000&max_bytes=10000000`);
        for (const r of read.json.records as { offset: number; value: { tag: string; i: number } }[]) tags.push(`${r.offset}:${r.value.tag}/${r.value.i}`);
        if (read.json.next_offset >= read.json.high_watermark || read.json.records.length === 0) break;
        offset = read.json.next_offset;
      }
      const published = [...Array.from({ length: 10 }, (_, w) => `a${w}`), ...Array.from({ length: 10 }, (_, w) => `b${w}`)]
        .flatMap((tag) => Array.from({ length: 5 }, (_, i) => `${tag}/${i}`));
      expect(tags).toEqual(published.slice(0, archivedUpTo).map((t, offset) => `${offset}:${t}`));
      // The schema came along: the restored broker still refuses what the schema refuses.
      expect((await httpCall(url, "GET", "/subjects")).json).toContain("events-value");
    } finally {
      server.process.kill("SIGTERM");
      await server.exited;
    }
    expect((await tributary(["archive", "restore", ...flags, "--data-dir", restoredDir], credentials)).stderr).toMatch(/is not empty/);

    // Up to a time: the log as it was when the last record of the first ten publishes was written.
    const lastOfA = (await call("GET", "/topics/events/partitions/0/records?offset=49&limit=1")).json.records[0] as { offset: number; timestamp: number };
    expect(lastOfA.offset).toBe(49);
    const earlierDir = path.join(tempDir(), "earlier");
    const earlier = await tributary(["archive", "restore", ...flags, "--data-dir", earlierDir, "--topic", "events", "--to-time", new Date(lastOfA.timestamp).toISOString()], credentials);
    expect(earlier.status, earlier.stderr).toBe(0);
    const opened = await LogManager.open({ dataDir: earlierDir, maintenanceIntervalMs: 3_600_000 });
    try {
      expect((await opened.partition("events", 0).offsets()).highWatermark).toBe(50);
    } finally {
      await opened.close();
    }

    // A damaged object: verify names it and exits 1.
    const name = String(JSON.parse((await objectBytes("prod/events/0/manifest.json")).toString()).segments[1].baseOffset).padStart(20, "0");
    const original = await objectBytes(`prod/events/0/${name}.log`);
    const damaged = Buffer.from(original);
    damaged.writeUInt8(damaged[damaged.length - 5]! ^ 0xff, damaged.length - 5);
    await client().send(new PutObjectCommand({ Bucket: "archive", Key: `prod/events/0/${name}.log`, Body: damaged }));
    const bad = await tributary(["archive", "verify", ...flags], credentials);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(new RegExp(`PROBLEM events/0/${name}\\.log: (MD5|the batch)`));
    await client().send(new PutObjectCommand({ Bucket: "archive", Key: `prod/events/0/${name}.log`, Body: original }));
  });

  it("archive.interval.ms closes an active segment that old, so the archive lags by about that, not by segment size", async () => {
    await call("POST", "/topics", { name: "interval", configs: { "archive.interval.ms": "100" } });
    await publish("interval", 3, "i0");
    await until(async () => (await status("interval"))?.archived_up_to === 3, "the young segment to be closed and archived");
    await publish("interval", 2, "i1");
    await until(async () => (await status("interval"))?.archived_up_to === 5, "the next one too");
    expect((await manifest("prod/interval/0/manifest.json"))?.segments.map((s: { baseOffset: number }) => s.baseOffset)).toEqual([0, 3]);
  });

  it("exports a topic from the archive alone as NDJSON and as Parquet with columns from its schema, read back with a Parquet reader", async () => {
    const flags = ["--archive", "s3://archive/prod", "--s3-endpoint", endpoint];
    const schema = { type: "object", properties: { tag: { type: "string" }, i: { type: "integer" }, pad: { type: "string" } } };
    // The earlier schema took any object: typing its properties narrows it, which BACKWARD would refuse.
    expect((await call("PUT", "/config/events-value", { compatibility: "NONE" })).status).toBe(200);
    expect((await call("POST", "/subjects/events-value/versions", { schemaType: "JSON", schema: JSON.stringify(schema) })).status).toBe(200);
    await until(async () => (await objectBytes("prod/_tributary/schemas.json").catch(() => Buffer.alloc(0))).toString().includes("integer"), "the new schema in the archive");
    const archivedUpTo = (await status("events"))!.archived_up_to;
    const out = path.join(tempDir(), "events.ndjson");
    const ndjson = await tributary(["archive", "export", ...flags, "--topic", "events", "--out", out], credentials);
    expect(ndjson.status, ndjson.stderr).toBe(0);
    const lines = fs.readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { partition: number; offset: number; value: { tag: string; i: number }; timestamp: string });
    expect(lines.map((l) => l.offset)).toEqual(Array.from({ length: archivedUpTo }, (_, i) => i));
    expect(lines[0]).toMatchObject({ partition: 0, offset: 0, value: { tag: "a0", i: 0 } });
    expect(Date.parse(lines[0]!.timestamp)).toBeGreaterThan(0);

    const parquet = path.join(tempDir(), "events.parquet");
    const exported = await tributary(["archive", "export", ...flags, "--topic", "events", "--format", "parquet", "--out", parquet], credentials);
    expect(exported.status, exported.stderr).toBe(0);
    const bytes = fs.readFileSync(parquet);
    const rows = await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) });
    expect(rows).toHaveLength(archivedUpTo);
    expect(rows[7]).toMatchObject({ _partition: 0, _offset: 7n, tag: "a1", i: 2n });
    expect(JSON.parse(String(rows[7]!._value))).toMatchObject({ tag: "a1", i: 2 });
    // A time range narrows it; bad input is a clear error.
    const none = await tributary(["archive", "export", ...flags, "--topic", "events", "--to", "2000-01-01T00:00:00Z"], credentials);
    expect(none.stdout).toBe("");
    expect(none.stderr).toMatch(/exported 0 records/);
    expect((await tributary(["archive", "export", ...flags, "--topic", "nope"], credentials)).stderr).toMatch(/no topic 'nope'/);
    expect((await tributary(["archive", "export", ...flags, "--topic", "events", "--format", "parquet"], credentials)).status).toBe(2);
  });

  it("serves offsets no longer on local disk from the archive: a Kafka consumer from offset 0 gets every record as produced", async () => {
    const local = fs.readdirSync(path.join(dataDir, "events-0")).filter((f) => f.endsWith(".log"));
    expect(local).toHaveLength(1); // only the active segment is local
    const { highWatermark, logStartOffset } = await broker.logs.partition("events", 0).offsets();
    expect(logStartOffset).toBe(0); // the earliest offset is the archive's
    const kafka = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    expect(await admin.fetchTopicOffsets("events")).toEqual([expect.objectContaining({ partition: 0, low: "0", high: String(highWatermark) })]);
    expect((await admin.fetchTopicOffsetsByTimestamp("events", 0))[0]?.offset).toBe("0");
    await admin.disconnect();
    const consumer = kafka.consumer({ groupId: "from-the-archive", partitionAssigners: [RangeAssigner] });
    await consumer.connect();
    await consumer.subscribe({ topic: "events", fromBeginning: true });
    const seen: string[] = [];
    await new Promise<void>((resolve) => void consumer.run({ eachMessage: async ({ message }) => {
      const v = JSON.parse(message.value!.toString()) as { tag: string; i: number };
      seen.push(`${message.offset}:${v.tag}/${v.i}`);
      if (seen.length === highWatermark) resolve();
    } }));
    await consumer.disconnect();
    const published = [...Array.from({ length: 10 }, (_, w) => `a${w}`), ...Array.from({ length: 10 }, (_, w) => `b${w}`)]
      .flatMap((tag) => Array.from({ length: 5 }, (_, i) => `${tag}/${i}`));
    expect(seen).toEqual(published.map((t, offset) => `${offset}:${t}`));
    // HTTP reads too.
    const first = await call("GET", "/topics/events/partitions/0/records?offset=0&limit=5");
    expect(first.json.records.map((r: { value: { tag: string } }) => r.value.tag)).toEqual(["a0", "a0", "a0", "a0", "a0"]);
  });

  it("read_committed readers of offsets only the archive holds still never see an aborted transaction's records", async () => {
    await call("POST", "/topics", { name: "txarch", configs: { "segment.bytes": "2048", "local.retention.ms": "1" } });
    const kafka = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ transactionalId: "archived-tx", maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    const pad = "p".repeat(300);
    const aborted = await producer.transaction();
    await aborted.send({ topic: "txarch", messages: Array.from({ length: 8 }, (_, i) => ({ value: JSON.stringify({ tag: "aborted", i, pad }) })) });
    await aborted.abort();
    const committed = await producer.transaction();
    await committed.send({ topic: "txarch", messages: Array.from({ length: 8 }, (_, i) => ({ value: JSON.stringify({ tag: "committed", i, pad }) })) });
    await committed.commit();
    await producer.disconnect();
    for (let i = 0; i < 4; i++) await publish("txarch", 5, `plain${i}`);
    const activeBase = Number(fs.readdirSync(path.join(dataDir, "txarch-0")).filter((f) => f.endsWith(".log")).sort().at(-1)!.slice(0, 20));
    await until(async () => (await status("txarch"))?.archived_up_to === activeBase, "txarch to be archived");
    await broker.logs.runMaintenance(Date.now() + 60_000);
    expect(fs.readdirSync(path.join(dataDir, "txarch-0")).filter((f) => f.endsWith(".log"))).toHaveLength(1);
    const { highWatermark } = await broker.logs.partition("txarch", 0).offsets();
    const consumer = kafka.consumer({ groupId: "archive-readers", partitionAssigners: [RangeAssigner] });
    await consumer.connect();
    await consumer.subscribe({ topic: "txarch", fromBeginning: true });
    const tags: string[] = [];
    let last = -1;
    await new Promise<void>((resolve) => void consumer.run({ eachMessage: async ({ message }) => {
      tags.push((JSON.parse(message.value!.toString()) as { tag: string }).tag);
      last = Number(message.offset);
      if (last >= highWatermark - 1) resolve();
    } }));
    await consumer.disconnect();
    expect(tags.filter((t) => t === "aborted")).toEqual([]);
    expect(tags.filter((t) => t === "committed")).toHaveLength(8);
    expect(tags.filter((t) => t.startsWith("plain"))).toHaveLength(20);
    // HTTP reads from the archive read committed too.
    const first = await call("GET", "/topics/txarch/partitions/0/records?offset=0&limit=3");
    expect(first.json.records.map((r: { value: { tag: string } }) => r.value.tag)).toEqual(["committed", "committed", "committed"]);
  });

  it("DeleteRecords below the local log start holds for the archive too: deleted offsets are never served again", async () => {
    await call("POST", "/topics", { name: "floored", configs: { "segment.bytes": "2048", "local.retention.ms": "1" } });
    for (let i = 0; i < 6; i++) await publish("floored", 5, `f${i}`);
    const activeBase = Number(fs.readdirSync(path.join(dataDir, "floored-0")).filter((f) => f.endsWith(".log")).sort().at(-1)!.slice(0, 20));
    await until(async () => (await status("floored"))?.archived_up_to === activeBase, "floored to be archived");
    await broker.logs.runMaintenance(Date.now() + 60_000);
    expect((await broker.logs.partition("floored", 0).offsets()).logStartOffset).toBe(0);
    expect(await broker.logs.deleteRecords("floored", 0, 3)).toBe(3);
    expect((await broker.logs.partition("floored", 0).offsets()).logStartOffset).toBe(3);
    expect((await call("GET", "/topics/floored/partitions/0/records?offset=2")).status).toBe(416);
    expect((await call("GET", "/topics/floored/partitions/0/records?offset=3&limit=1")).json.records[0].offset).toBe(3);
    await until(async () => (await manifest("prod/floored/0/manifest.json"))?.logStartOffset === 3, "the floor in the manifest");
  });

  it("applies retention.ms to the archive: expired segments leave the manifest, then the store, and the earliest offset moves", async () => {
    const before = (await manifest("prod/events/0/manifest.json")).segments;
    expect(before.length).toBeGreaterThan(0);
    await broker.logs.alterTopicConfig("events", { set: { "retention.ms": "1" } });
    await until(async () => (await manifest("prod/events/0/manifest.json"))?.segments.length === 0, "the archive's segments to expire");
    await until(async () => (await keys("prod/events/0/")).every((k) => /manifest(\.previous)?\.json$/.test(k)), "the expired objects to be deleted");
    const { logStartOffset, highWatermark } = await broker.logs.partition("events", 0).offsets();
    expect(logStartOffset).toBeGreaterThan(0);
    const gone = await call("GET", "/topics/events/partitions/0/records?offset=0");
    expect(gone.status).toBe(416);
    expect(gone.json.message).toMatch(/outside the log/);
    expect(highWatermark).toBeGreaterThanOrEqual(logStartOffset);
  });
});

describe("archive across SIGKILLs", () => {
  it("keeps archive and manifest consistent and complete when the broker is killed during uploads, again and again", async () => {
    const seed = Number(process.env.TRIBUTARY_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const random = seededRandom(seed);
    const dataDir = tempDir();
    const args = ["--data-dir", dataDir, "--kafka-port", "0", "--http-port", "0", "--archive", "s3://archive/killed", "--s3-endpoint", endpoint, "--topic-default", "segment.bytes=4096"];
    const env = { ...credentials, TRIBUTARY_ARCHIVE_SCAN_INTERVAL_MS: "20" };
    for (let run = 0; run < 4; run++) {
      const server = await serve(args, env);
      const url = /http (http:\/\/\S+),/.exec(server.readyLine)![1]!;
      if (run === 0) expect((await httpCall(url, "POST", "/topics", { name: "k", partitions: 2 })).status).toBe(201);
      let dead = false;
      const writer = (async () => {
        for (let i = 0; !dead; i++) {
          await httpCall(url, "POST", "/topics/k/records", { records: Array.from({ length: 10 }, (_, j) => ({ key: `${run}-${i}-${j}`, value: "v".repeat(100) })) }).catch(() => undefined);
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 200 + Math.floor(random() * 600)));
      server.process.kill("SIGKILL");
      await server.exited;
      dead = true;
      await writer;
    }
    // A last run lets the backlog drain, then everything closed is archived exactly as it lies on disk.
    const server = await serve(args, env);
    try {
      const url = /http (http:\/\/\S+),/.exec(server.readyLine)![1]!;
      for (const partition of [0, 1]) {
        const segments = () => fs.readdirSync(path.join(dataDir, `k-${partition}`)).filter((f) => f.endsWith(".log")).sort();
        const activeBase = Number(segments().at(-1)!.slice(0, 20));
        let last: unknown;
        await until(async () => {
          const answer = (await httpCall(url, "GET", "/archive")).json as ArchiveAnswer;
          const p = answer.partitions.find((x) => x.topic === "k" && x.partition === partition);
          last = p;
          return p?.pending_segments === 0 && p.archived_up_to === activeBase;
        }, `partition ${partition} to be archived (seed ${seed}); last status ${JSON.stringify(last)}; broker said: ${server.output().stderr.slice(-2000)}`).catch((err: Error) => {
          throw new Error(`${err.message}; last status ${JSON.stringify(last)}; broker said: ${server.output().stderr.slice(-2000)}`);
        });
        const manifest = JSON.parse((await objectBytes(`killed/k/${partition}/manifest.json`)).toString()) as { segments: { baseOffset: number; nextOffset: number; md5: string }[] };
        expect(manifest.segments.map((s) => String(s.baseOffset).padStart(20, "0") + ".log"), `seed ${seed}`).toEqual(segments().slice(0, -1));
        manifest.segments.slice(1).forEach((s, i) => expect(s.baseOffset, `seed ${seed}`).toBe(manifest.segments[i]!.nextOffset));
        for (const s of manifest.segments) {
          const name = String(s.baseOffset).padStart(20, "0");
          const archived = await objectBytes(`killed/k/${partition}/${name}.log`);
          expect(createHash("md5").update(archived).digest("base64"), `seed ${seed}`).toBe(s.md5);
          expect(archived.equals(fs.readFileSync(path.join(dataDir, `k-${partition}`, `${name}.log`))), `seed ${seed}`).toBe(true);
          expect((await keys(`killed/k/${partition}/${name}.`)).length).toBe(3);
        }
      }
    } finally {
      server.process.kill("SIGTERM");
      await server.exited;
    }
    // A manifest torn by a crash in its upload (s3rver keeps the part it got, as some stores do):
    // the next start takes the whole one before it, loudly, and the archive becomes whole again.
    const whole = await objectBytes("killed/k/0/manifest.json");
    await client().send(new PutObjectCommand({ Bucket: "archive", Key: "killed/k/0/manifest.json", Body: whole.subarray(0, Math.floor(whole.length / 2)) }));
    const again = await serve(args, env);
    try {
      const url = /http (http:\/\/\S+),/.exec(again.readyLine)![1]!;
      const activeBase = Number(fs.readdirSync(path.join(dataDir, "k-0")).filter((f) => f.endsWith(".log")).sort().at(-1)!.slice(0, 20));
      await until(async () => {
        const p = ((await httpCall(url, "GET", "/archive")).json as ArchiveAnswer).partitions.find((x) => x.topic === "k" && x.partition === 0);
        return p?.pending_segments === 0 && p.archived_up_to === activeBase && (await manifest("killed/k/0/manifest.json")) !== undefined;
      }, "the archive to be whole again after a torn manifest");
      expect(again.output().stderr).toMatch(/manifest of k\/0 is damaged .*using the one before it/);
      expect((await manifest("killed/k/0/manifest.json")).segments.at(-1).nextOffset).toBe(activeBase);
      const verified = await tributary(["archive", "verify", "--archive", "s3://archive/killed", "--s3-endpoint", endpoint], credentials);
      expect(verified.status, verified.stdout + verified.stderr).toBe(0);
    } finally {
      again.process.kill("SIGTERM");
      await again.exited;
    }
  });
});

describe("archive misconfigured", () => {
  it("names an unknown bucket in GET /archive and keeps serving", async () => {
    const broker = await startBroker({ dataDir: tempDir(), kafkaPort: 0, httpPort: 0, archive: "s3://no-such-bucket/x", s3Endpoint: endpoint, archiveScanIntervalMs: 50, archiveRetryMaxMs: 200 });
    try {
      const answer = (await httpCall(broker.httpUrl, "GET", "/archive")).json as ArchiveAnswer;
      expect(answer.archive).toContain("s3://no-such-bucket/x");
      expect(answer.error).toMatch(/bucket.*no-such-bucket.*|no-such-bucket.*bucket does not exist/);
      expect((await httpCall(broker.httpUrl, "POST", "/topics", { name: "still-works" })).status).toBe(201);
    } finally {
      await broker.stop();
    }
  });

  it("names refused credentials and an unreachable endpoint in GET /archive, and keeps serving", async () => {
    // s3rver checks the access key (not SigV4 signatures): an unknown key is refused credentials.
    const wrongSecret = { ...process.env };
    process.env.AWS_ACCESS_KEY_ID = "NOBODY";
    try {
      const refused = await startBroker({ dataDir: tempDir(), kafkaPort: 0, httpPort: 0, archive: "s3://archive/x", s3Endpoint: endpoint, archiveScanIntervalMs: 50, archiveRetryMaxMs: 200 });
      try {
        expect(((await httpCall(refused.httpUrl, "GET", "/archive")).json as ArchiveAnswer).error).toMatch(/access denied|InvalidAccessKeyId|403/i);
      } finally {
        await refused.stop();
      }
    } finally {
      process.env.AWS_ACCESS_KEY_ID = wrongSecret.AWS_ACCESS_KEY_ID;
    }
    const unreachable = await startBroker({ dataDir: tempDir(), kafkaPort: 0, httpPort: 0, archive: "s3://archive/x", s3Endpoint: "http://127.0.0.1:9", archiveScanIntervalMs: 50, archiveRetryMaxMs: 200 });
    try {
      expect(((await httpCall(unreachable.httpUrl, "GET", "/archive")).json as ArchiveAnswer).error).toMatch(/ECONNREFUSED|connect/);
      expect((await httpCall(unreachable.httpUrl, "POST", "/topics", { name: "works" })).status).toBe(201);
    } finally {
      await unreachable.stop();
    }
  });

  it("refuses to start on an archive that is no s3:// URL, saying why", async () => {
    await expect(startBroker({ dataDir: tempDir(), kafkaPort: 0, httpPort: 0, archive: "https://bucket/x" })).rejects.toThrow(/is not s3:\/\/BUCKET\/PREFIX/);
  });
});
