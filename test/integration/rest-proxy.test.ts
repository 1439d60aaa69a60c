// REST Proxy v2 as Confluent's clients expect it: topics created on first use,
// strict base64, errors that are JSON with a code, streams that answer at once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, type Broker } from "../../src/server/broker.js";

const V2 = "application/vnd.kafka.v2+json";
const JSON_V2 = "application/vnd.kafka.json.v2+json";
const BINARY_V2 = "application/vnd.kafka.binary.v2+json";

let broker: Broker;
let strict: Broker;

beforeAll(async () => {
  broker = await startBroker({ ephemeral: true, kafkaPort: 0, httpPort: 0, groupInitialRebalanceDelayMs: 0, defaultPartitions: 3, httpBodyBytesMax: 16 * 1024 });
  strict = await startBroker({ ephemeral: true, kafkaPort: 0, httpPort: 0, autoCreateTopics: false });
});

afterAll(async () => {
  await broker?.stop();
  await strict?.stop();
});

async function call(method: string, route: string, body?: unknown, contentType = "application/json", headers: Record<string, string> = {}, base = broker.httpUrl): Promise<{ status: number; json: any; contentType: string | null }> {
  const res = await fetch(`${base}${route}`, {
    method,
    headers: { ...(body === undefined ? {} : { "content-type": contentType }), ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null, contentType: res.headers.get("content-type") };
}

describe("topics created on first use", () => {
  it("a produce to an unknown topic creates it with the default partitions, unless auto-creation is off", async () => {
    const produced = await call("POST", "/topics/born-on-produce", { records: [{ value: { a: 1 } }] }, JSON_V2);
    expect(produced.status).toBe(200);
    expect(produced.json.offsets[0]).toMatchObject({ offset: 0, error_code: null });
    expect(broker.logs.partitionCount("born-on-produce")).toBe(3);
    const refused = await call("POST", "/topics/not-born", { records: [{ value: 1 }] }, JSON_V2, {}, strict.httpUrl);
    expect(refused).toMatchObject({ status: 404, json: { error_code: 40401 } });
    expect(strict.logs.hasTopic("not-born")).toBe(false);
  });

  it("a subscription to an unknown topic creates it, and its records reach the consumer", async () => {
    await call("POST", "/consumers/born", { name: "c", format: "json", "auto.offset.reset": "earliest" }, V2);
    expect((await call("POST", "/consumers/born/instances/c/subscription", { topics: ["born-on-subscribe"] }, V2)).status).toBe(204);
    expect(broker.logs.hasTopic("born-on-subscribe")).toBe(true);
    await call("POST", "/topics/born-on-subscribe", { records: [{ value: "hello", partition: 0 }] }, JSON_V2);
    let values: unknown[] = [];
    for (let i = 0; i < 20 && values.length === 0; i++) values = (await call("GET", "/consumers/born/instances/c/records?timeout=500", undefined, undefined, { accept: JSON_V2 })).json.map((r: { value: unknown }) => r.value);
    expect(values).toEqual(["hello"]);
  });
});

describe("bad input", () => {
  it("refuses invalid base64 in a binary produce with 422 and writes nothing", async () => {
    await call("POST", "/topics", { name: "b64", partitions: 1 });
    for (const value of ["not base64!!", "abc=d", "a", "YWJj===", "YW Jj"]) {
      const refused = await call("POST", "/topics/b64", { records: [{ value }] }, BINARY_V2);
      expect(refused.status, value).toBe(422);
      expect(refused.json.message).toMatch(/not valid base64/);
    }
    expect((await broker.logs.partition("b64", 0).offsets()).logEndOffset).toBe(0);
    const accepted = await call("POST", "/topics/b64", { records: [{ value: Buffer.from("ok").toString("base64"), key: "" }] }, BINARY_V2);
    expect(accepted.status).toBe(200);
    expect((await broker.logs.partition("b64", 0).offsets()).logEndOffset).toBe(1);
  });

  it("answers a body that is not JSON, an oversized body and an Accept for another format with JSON errors", async () => {
    for (const route of ["/consumers/garbage", "/topics/b64", "/topics", "/subjects/x-value/versions"]) {
      const answer = await call("POST", route, "garbage{", route === "/topics/b64" ? JSON_V2 : "application/json");
      expect(answer.status, route).toBeGreaterThanOrEqual(400);
      expect(answer.status, route).toBeLessThan(500);
      expect(answer.json, route).toMatchObject({ error_code: expect.any(Number), message: expect.any(String) });
    }
    const big = await call("POST", "/topics/b64", { records: [{ value: "x".repeat(32 * 1024) }] }, JSON_V2);
    expect(big.status).toBe(413);
    expect(big.json).toMatchObject({ error_code: expect.any(Number), message: expect.stringMatching(/limit/) });
    await call("POST", "/consumers/formats", { name: "bin", format: "binary" }, V2);
    await call("POST", "/consumers/formats/instances/bin/assignments", { partitions: [{ topic: "b64", partition: 0 }] }, V2);
    const mismatch = await call("GET", "/consumers/formats/instances/bin/records?timeout=0", undefined, undefined, { accept: JSON_V2 });
    expect(mismatch).toMatchObject({ status: 406, json: { error_code: 40601 } });
    const matching = await call("GET", "/consumers/formats/instances/bin/records?timeout=0", undefined, undefined, { accept: BINARY_V2 });
    expect(matching.status).toBe(200);
    expect(matching.contentType).toBe(BINARY_V2);
  });

  it("refuses a ?from= it does not understand with 400", async () => {
    for (const route of ["/topics/b64/partitions/0/stream?from=start", "/topics/b64/stream?from=latest"]) {
      expect(await call("GET", route), route).toMatchObject({ status: 400, json: { error_code: 40006 } });
    }
  });
});

describe("streams", () => {
  it("send their headers at once, even when they start at the end with nothing to send", async () => {
    await call("POST", "/topics", { name: "quiet", partitions: 2 });
    for (const [route, accept, type] of [
      ["/topics/quiet/partitions/0/stream", "text/event-stream", "text/event-stream"],
      ["/topics/quiet/stream", "application/x-ndjson", "application/x-ndjson"],
    ]) {
      const abort = new AbortController();
      const res = await fetch(`${broker.httpUrl}${route}`, { headers: { accept: accept! }, signal: abort.signal });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe(type);
      abort.abort();
    }
  });
});
