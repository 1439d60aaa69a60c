// What a hostile or careless client sends, against the compiled binary:
// compression bombs, deep and malformed JSON, catastrophic patterns, recursive
// schemas, slow senders and pipelined floods. After each, another client is
// still answered and the broker's memory is back near where it was.
import * as fs from "node:fs";
import * as net from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serve, type RunningServer } from "../helpers/cli.js";
import { RawKafka } from "../helpers/raw-kafka.js";
import { encodeRecordBatch } from "../../src/protocol/record-batch-codec.js";
import { Compression } from "../../src/protocol/compression.js";
import { encodeRequest } from "../../src/protocol/kafka-frame.js";
import { KafkaErrorCode } from "../../src/protocol/kafka-error-codes.js";
import type { Message } from "../../src/protocol/message-codec.js";

const MiB = 1024 * 1024;

let server: RunningServer;
let kafka: string;
let http: string;

function rssBytes(pid: number): number {
  const line = fs.readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"))!;
  return Number(line.split(/\s+/)[1]) * 1024;
}

/** Another client gets answers over both protocols (a hang shows as a failed test, not a slow one). */
async function stillServes(): Promise<void> {
  const client = await RawKafka.connect(kafka);
  try {
    const versions = await client.request(18, 3, { clientSoftwareName: "probe", clientSoftwareVersion: "1" });
    expect(versions.errorCode).toBe(0);
  } finally {
    client.close();
  }
  const health = await fetch(`${http}/healthz`, { signal: AbortSignal.timeout(10_000) });
  expect(health.status).toBe(200);
}

/** Waits until the broker's RSS is within `slack` bytes of `baseline` (memory given back). */
async function memorySettles(baseline: number, slack: number): Promise<number> {
  let rss = rssBytes(server.process.pid!);
  for (let i = 0; i < 50 && rss > baseline + slack; i++) {
    await new Promise((r) => setTimeout(r, 200));
    rss = rssBytes(server.process.pid!);
  }
  return rss;
}

async function produce(client: RawKafka, topic: string, batch: Buffer): Promise<Message> {
  const response = await client.request(0, 8, {
    transactionalId: null, acks: -1, timeoutMs: 30_000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
  });
  return ((response.responses as Message[])[0]!.partitionResponses as Message[])[0]!;
}

async function post(path: string, body: string | Buffer, headers: Record<string, string> = { "content-type": "application/json" }) {
  const response = await fetch(`${http}${path}`, { method: "POST", body: typeof body === "string" ? body : new Uint8Array(body), headers, signal: AbortSignal.timeout(60_000) });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text);
  } catch {
    // some answers have no JSON body; the status says enough
  }
  return { status: response.status, json };
}

beforeAll(async () => {
  server = await serve(["--ephemeral", "--kafka-port", "0", "--http-port", "0"], {
    TRIBUTARY_KAFKA_REQUEST_READ_TIMEOUT_MS: "1500",
    // Above undici's 4 s keep-alive, so the test client never reuses a connection the server just closed.
    TRIBUTARY_HTTP_REQUEST_TIMEOUT_MS: "5000",
    TRIBUTARY_KAFKA_CONNECTION_RESPONSE_BYTES_MAX: String(4 * MiB),
    TRIBUTARY_SCHEMA_COMPATIBILITY_STEPS_MAX: "5000",
  });
  const match = /kafka (\S+), http (\S+),/.exec(server.readyLine)!;
  kafka = match[1]!;
  http = match[2]!;
  await post("/topics", JSON.stringify({ name: "target" }));
  // Bombs must pass the compressed size check to reach the decompressor.
  await post("/topics", JSON.stringify({ name: "bombs", configs: { "max.message.bytes": String(16 * MiB) } }));
});

afterAll(async () => {
  server?.process.kill("SIGTERM");
  await server?.exited;
});

describe("compression bombs", () => {
  it.each([
    ["gzip", Compression.Gzip],
    ["snappy", Compression.Snappy],
    ["lz4", Compression.Lz4],
    ["zstd", Compression.Zstd],
  ])("a %s batch that inflates to 256 MiB is refused with MESSAGE_TOO_LARGE, and memory stays put", async (_name, codec) => {
    const baseline = rssBytes(server.process.pid!);
    const bomb = await encodeRecordBatch([{ key: null, value: Buffer.alloc(256 * MiB) }], { compression: codec });
    expect(bomb.length).toBeLessThan(16 * MiB - 1024);
    const client = await RawKafka.connect(kafka);
    const answer = await produce(client, "bombs", bomb);
    client.close();
    expect(answer.errorCode).toBe(KafkaErrorCode.MESSAGE_TOO_LARGE);
    expect(String(answer.errorMessage)).toMatch(/decompressed size exceeds 16777216 bytes/);
    expect(await memorySettles(baseline, 64 * MiB)).toBeLessThan(baseline + 64 * MiB);
    await stillServes();
  });

  it("a raw snappy block that declares 4 GiB is refused before any decoding", async () => {
    const client = await RawKafka.connect(kafka);
    const honest = await encodeRecordBatch([{ key: null, value: Buffer.from("x") }], { compression: Compression.None });
    // Rebuild the batch with a snappy payload whose length varint says 0xFFFFFFFF.
    const payload = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
    const bomb = Buffer.concat([honest.subarray(0, 61), payload]);
    bomb.writeInt32BE(bomb.length - 12, 8);
    bomb.writeInt16BE(Compression.Snappy, 21);
    const { rewriteBatchCrc } = await import("../../src/protocol/record-batch-header.js");
    rewriteBatchCrc(bomb, 0, bomb.length);
    const answer = await produce(client, "target", bomb);
    client.close();
    expect(answer.errorCode).toBe(KafkaErrorCode.MESSAGE_TOO_LARGE);
    await stillServes();
  });

  it("an HTTP body with content-encoding gzip that inflates past the body limit is 413", async () => {
    const bomb = gzipSync(Buffer.alloc(64 * MiB, 0x20));
    const answer = await post("/topics/target/records", bomb, { "content-type": "application/json", "content-encoding": "gzip" });
    expect(answer.status).toBe(413);
    expect(answer.json.message).toMatch(/exceeds the limit/);
    const small = await post("/topics/target/records", gzipSync(JSON.stringify({ value: { ok: true } })), { "content-type": "application/json", "content-encoding": "gzip" });
    expect(small.status).toBe(200);
    await stillServes();
  });
});

describe("oversized bodies", () => {
  it("the binary answers a body past the limit with a JSON 413, declared or chunked, and memory stays put", async () => {
    const baseline = rssBytes(server.process.pid!);
    const declared = await post("/topics/target/records", Buffer.alloc(64 * MiB, 0x20), { "content-type": "application/json" });
    expect(declared.status).toBe(413);
    expect(declared.json).toMatchObject({ error_code: 41300, message: expect.stringMatching(/exceeds the limit/) });
    // No content-length: a stream of unknown length.
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 64; i++) controller.enqueue(new Uint8Array(MiB).fill(0x20));
        controller.close();
      },
    });
    const response = await fetch(`${http}/topics/target/records`, { method: "POST", body: chunks, headers: { "content-type": "application/json" }, duplex: "half" } as RequestInit);
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error_code: 41300 });
    expect(await memorySettles(baseline, 64 * MiB)).toBeLessThan(baseline + 64 * MiB);
    await stillServes();
  });
});

describe("hostile JSON", () => {
  it("refuses a body nested millions of levels deep at once with 400", async () => {
    const depth = 4 * MiB;
    const answer = await post("/topics/target/records", "[".repeat(depth) + "]".repeat(depth));
    expect(answer.status).toBe(400);
    expect(answer.json.message).toMatch(/nested deeper than 64 levels/);
    await stillServes();
  });

  it("refuses invalid UTF-8 with 400 and stores nothing", async () => {
    const before = (await (await fetch(`${http}/topics/target/partitions/0/offsets`)).json()) as { end_offset: number };
    const bytes = Buffer.concat([Buffer.from('{"value":"caf'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const answer = await post("/topics/target/records", bytes);
    expect(answer.status).toBe(400);
    expect(answer.json.message).toMatch(/not valid UTF-8/);
    const after = (await (await fetch(`${http}/topics/target/partitions/0/offsets`)).json()) as { end_offset: number };
    expect(after.end_offset).toBe(before.end_offset);
  });

  it("wide JSON (a million-element array) is answered and does not stop other clients", async () => {
    const answer = await post("/topics/target/records", JSON.stringify({ records: [{ value: Array.from({ length: 1_000_000 }, (_, i) => i) }] }));
    expect([200, 413]).toContain(answer.status);
    await stillServes();
  });
});

describe("hostile schemas", () => {
  const schemaBody = (schema: unknown) => JSON.stringify({ schema: JSON.stringify(schema), schemaType: "JSON" });
  const registry = { "content-type": "application/vnd.schemaregistry.v1+json" };

  it("a catastrophic pattern runs in linear time: 20 records that would take seconds each are refused at once", async () => {
    await post("/topics", JSON.stringify({ name: "redos" }));
    const registered = await post("/subjects/redos-value/versions", schemaBody({ type: "object", properties: { name: { type: "string", pattern: "^(a+)+$" } } }), registry);
    expect(registered.status).toBe(200);
    const records = Array.from({ length: 20 }, () => ({ value: { name: "a".repeat(40) + "!" } }));
    const answer = await post("/topics/redos/records", JSON.stringify({ records }));
    expect(answer.status).toBe(422);
    const good = await post("/topics/redos/records", JSON.stringify({ value: { name: "aaaa" } }));
    expect(good.status).toBe(200);
    await stillServes();
  });

  it("a pattern a linear-time engine cannot run (a backreference) is refused at registration", async () => {
    const answer = await post("/subjects/backref-value/versions", schemaBody({ type: "string", pattern: "^(a)\\1$" }), registry);
    expect(answer.status).toBe(422);
    expect(answer.json.message).toMatch(/cannot run in linear time/);
  });

  it("a second version of a schema that refers to itself twice is decided, and the broker keeps serving", async () => {
    const v1 = { properties: { a: { $ref: "#" }, b: { $ref: "#" } } };
    const v2 = { properties: { a: { $ref: "#" }, b: { $ref: "#" }, c: { type: "string" } } };
    expect((await post("/subjects/recursive-value/versions", schemaBody(v1), registry)).status).toBe(200);
    const second = await post("/subjects/recursive-value/versions", schemaBody(v2), registry);
    expect([200, 409]).toContain(second.status);
    await stillServes();
  });

  it("a schema too large to compare within the step budget is refused with 422", async () => {
    // anyOf branches that each nest anyOf again: comparing them grows exponentially without a budget.
    // The new version differs at every leaf, so no branch is the same text as an old one.
    const nest = (leaf: Record<string, unknown>) => {
      let schema = leaf;
      for (let i = 0; i < 6; i++) schema = { anyOf: [schema, { ...schema, title: `t${i}` }, { type: "object", properties: { [`p${i}`]: schema } }] };
      return schema;
    };
    const schema = nest({ type: "string" });
    expect((await post("/subjects/budget-value/versions", schemaBody(schema), registry)).status).toBe(200);
    const next = nest({ type: "string", minLength: 0 });
    (next.anyOf as unknown[]).push({ type: "number" });
    const answer = await post("/subjects/budget-value/versions", schemaBody(next), registry);
    expect(answer.status).toBe(422);
    expect(answer.json.message).toMatch(/more than \d+ steps/);
    await stillServes();
  });

  it("an Avro value that claims a hundred million items in a few bytes is refused at once", async () => {
    const baseline = rssBytes(server.process.pid!);
    const schema = JSON.stringify({ type: "array", items: "null" });
    const { id } = (await post("/subjects/avro-bomb-value/versions", JSON.stringify({ schema }), registry)).json as { id: number };
    // A block count of 100,000,000 (zigzag varint) of items that take no bytes, then the end of the array.
    let count = 200_000_000;
    const varint: number[] = [];
    while (count >= 0x80) {
      varint.push((count & 0x7f) | 0x80);
      count = Math.floor(count / 128);
    }
    varint.push(count);
    const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), Buffer.from(varint), Buffer.from([0])]);
    framed.writeInt32BE(id, 1);
    const clusters = await (await fetch(`${http}/v3/clusters`)).json() as { data: { cluster_id: string }[] };
    const answer = await post(`/v3/clusters/${clusters.data[0]!.cluster_id}/topics/avro-bomb/records`, JSON.stringify({ value: { type: "BINARY", data: framed.toString("base64") } }));
    expect(answer.status).toBe(422);
    expect(String(answer.json.message)).toMatch(/claims more items than its \d+ bytes allow/);
    expect(await memorySettles(baseline, 64 * MiB)).toBeLessThan(baseline + 64 * MiB);
    await stillServes();
  });

  it("a huge enum is registered, checked for compatibility and used without stopping other clients", async () => {
    const values = Array.from({ length: 50_000 }, (_, i) => `v${i}`);
    expect((await post("/subjects/enum-value/versions", schemaBody({ enum: values }), registry)).status).toBe(200);
    const narrowed = await post("/subjects/enum-value/versions", schemaBody({ enum: values.slice(1) }), registry);
    expect(narrowed.status).toBe(409);
    expect((await post("/subjects/dup-value/versions", schemaBody({ enum: [...values, "v1"] }), registry)).status).toBe(422);
    await stillServes();
  });

  it("a schema with more objects than the limit is refused with 422 instead of stalling the compiler", async () => {
    const properties = Object.fromEntries(Array.from({ length: 6000 }, (_, i) => [`p${i}`, { type: "string" }]));
    const answer = await post("/subjects/wide-value/versions", schemaBody({ type: "object", properties }), registry);
    expect(answer.status).toBe(422);
    expect(answer.json.message).toMatch(/more than 5000 objects/);
    await stillServes();
  });
});

describe("slow senders and floods", () => {
  it("a Kafka client that trickles a large frame is cut off at the frame deadline", async () => {
    const socket = net.connect(Number(kafka.split(":")[1]), "127.0.0.1");
    await new Promise((r) => socket.once("connect", r));
    const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    socket.on("error", () => undefined);
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(50 * MiB);
    socket.write(prefix);
    const trickle = setInterval(() => socket.write(Buffer.from([0])), 300);
    await closed;
    clearInterval(trickle);
    expect(server.output().stderr).toMatch(/did not arrive whole within 1500 ms/);
    await stillServes();
  });

  it("the binary closes an HTTP connection that trickles its body, while an event stream may stay quiet for longer", async () => {
    const port = Number(http.split(":").pop());
    const stream = await fetch(`${http}/topics/target/partitions/0/stream?offset=0`, { headers: { accept: "application/x-ndjson" } });
    const reader = stream.body!.getReader();
    const opened = Date.now();
    const socket = net.connect(port, "127.0.0.1");
    await new Promise((r) => socket.once("connect", r));
    socket.on("error", () => undefined);
    const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    socket.write("POST /topics/target/records HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{");
    const trickle = setInterval(() => socket.write(" "), 300);
    await closed;
    clearInterval(trickle);
    // Let the stream stay quiet past the 5 s idle limit; it still delivers.
    await new Promise((r) => setTimeout(r, Math.max(0, 6000 - (Date.now() - opened))));
    expect((await post("/topics/target/records", JSON.stringify({ value: "after a quiet spell" }))).status).toBe(200);
    let text = "";
    while (!text.includes("after a quiet spell")) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
  });

  it("an embedded broker (the Node adapter) answers 408 and closes a connection that trickles its body", async () => {
    const { startBroker } = await import("../../src/server/broker.js");
    const embedded = await startBroker({ ephemeral: true, kafkaPort: 0, httpPort: 0, httpRequestTimeoutMs: 1000 });
    try {
      const socket = net.connect(Number(embedded.httpUrl.split(":").pop()), "127.0.0.1");
      await new Promise((r) => socket.once("connect", r));
      let answer = "";
      socket.on("data", (d) => (answer += d.toString()));
      socket.on("error", () => undefined);
      const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
      socket.write("POST /topics/target/records HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{");
      const trickle = setInterval(() => socket.write(" "), 200);
      await closed;
      clearInterval(trickle);
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      await embedded.stop();
    }
  });

  it("600k pipelined requests never read do not grow memory without bound", async () => {
    const baseline = rssBytes(server.process.pid!);
    const socket = net.connect(Number(kafka.split(":")[1]), "127.0.0.1");
    await new Promise((r) => socket.once("connect", r));
    socket.on("error", () => undefined);
    socket.pause(); // never read a response
    const one = encodeRequest({ apiKey: 3, apiVersion: 1, correlationId: 1, clientId: "flood" }, { topics: null });
    const chunk = Buffer.concat(Array.from({ length: 10_000 }, () => one));
    for (let i = 0; i < 60; i++) {
      if (!socket.write(chunk)) await Promise.race([new Promise((r) => socket.once("drain", r)), new Promise((r) => setTimeout(r, 500))]);
    }
    await new Promise((r) => setTimeout(r, 1000));
    const during = rssBytes(server.process.pid!);
    expect(during).toBeLessThan(baseline + 200 * MiB);
    await stillServes();
    socket.destroy();
  });

  it("pipelined large Fetches never read keep at most one answer in memory", async () => {
    await post("/topics", JSON.stringify({ name: "big" }));
    const client = await RawKafka.connect(kafka);
    for (let i = 0; i < 12; i++) {
      const values = Array.from({ length: 4 }, () => ({ key: null, value: Buffer.alloc(250_000, 0x61 + i) }));
      expect((await produce(client, "big", await encodeRecordBatch(values))).errorCode).toBe(0);
    }
    client.close();
    const baseline = rssBytes(server.process.pid!);
    const socket = net.connect(Number(kafka.split(":")[1]), "127.0.0.1");
    await new Promise((r) => socket.once("connect", r));
    socket.on("error", () => undefined);
    socket.pause();
    const fetch = encodeRequest({ apiKey: 1, apiVersion: 11, correlationId: 1, clientId: "flood" }, {
      replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 50 * MiB, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: "big", partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, logStartOffset: -1n, partitionMaxBytes: 50 * MiB }] }],
      forgottenTopicsData: [], rackId: "",
    });
    socket.write(Buffer.concat(Array.from({ length: 40 }, () => fetch)));
    await new Promise((r) => setTimeout(r, 2000));
    // 40 answers of 12 MB each would be 480 MB; the broker holds about one.
    expect(rssBytes(server.process.pid!)).toBeLessThan(baseline + 150 * MiB);
    await stillServes();
    socket.destroy();
  });
});

describe("fetch errors and safe HTTP defaults", () => {
  it("a Fetch for a partition in error carries an empty record set, not null", async () => {
    const client = await RawKafka.connect(kafka);
    const response = await client.request(1, 11, {
      replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: MiB, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: "target", partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 999_999n, logStartOffset: -1n, partitionMaxBytes: MiB }] }],
      forgottenTopicsData: [], rackId: "",
    });
    client.close();
    const partition = ((response.responses as Message[])[0]!.partitions as Message[])[0]!;
    expect(partition.errorCode).toBe(KafkaErrorCode.OFFSET_OUT_OF_RANGE);
    expect(partition.records).toEqual(Buffer.alloc(0));
  });

  it("a state-changing request without a JSON content type is 415 and changes nothing; no CORS headers by default", async () => {
    const plain = await post("/topics", JSON.stringify({ name: "from-a-web-page" }), { "content-type": "text/plain" });
    expect(plain.status).toBe(415);
    expect((await fetch(`${http}/topics/from-a-web-page`)).status).toBe(404);
    const preflight = await fetch(`${http}/topics`, { method: "OPTIONS", headers: { origin: "http://evil.example", "access-control-request-method": "POST" } });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("listens on loopback unless told otherwise", () => {
    expect(server.readyLine).toMatch(/^tributary ready: kafka 127\.0\.0\.1:\d+, http http:\/\/127\.0\.0\.1:\d+,/);
  });
});

describe("CORS and a non-loopback bind, when configured", () => {
  it("answers a preflight from a configured origin, and warns when bound beyond loopback without authentication", async () => {
    const wide = await serve(["--data-dir", fs.mkdtempSync("/tmp/tributary-cors-"), "--host", "0.0.0.0", "--kafka-port", "0", "--http-port", "0",
      "--http-cors-origin", "http://console.example"]);
    try {
      expect(wide.readyLine).toMatch(/kafka 0\.0\.0\.0:\d+/);
      expect(wide.output().stderr).toMatch(/WARNING: listening on 0\.0\.0\.0/);
      const url = /http (\S+),/.exec(wide.readyLine)![1]!.replace("0.0.0.0", "127.0.0.1");
      const preflight = await fetch(`${url}/topics`, { method: "OPTIONS", headers: { origin: "http://console.example", "access-control-request-method": "POST" } });
      expect(preflight.headers.get("access-control-allow-origin")).toBe("http://console.example");
    } finally {
      wide.process.kill("SIGTERM");
      await wide.exited;
    }
  });
});
