// The HTTP API as the compiled binary serves it: Bun.serve, not the
// @hono/node-server the in-process suite (http.test.ts) runs on. The
// behaviours that depend on the server underneath: body limits (declared and
// chunked), streamed responses, long-lived SSE, REST Proxy consumers, REST v3
// streamed produce, health and metrics.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serve, type RunningServer } from "../helpers/cli.js";
import { readEvents } from "../helpers/sse.js";
import { httpCall } from "../helpers/http-call.js";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

let server: RunningServer;
let url: string;
// The server outlives each test: its data dir is removed after all of them, not by tempDir()'s afterEach.
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tributary-binary-http-"));

beforeAll(async () => {
  server = await serve(["--data-dir", dataDir, "--kafka-port", "0", "--http-port", "0"], { TRIBUTARY_HTTP_BODY_BYTES_MAX: String(64 * 1024) });
  url = /http (http:\/\/\S+),/.exec(server.readyLine)![1]!;
});

afterAll(async () => {
  server?.process.kill("SIGTERM");
  await server?.exited;
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  return httpCall(url, method, path, body, headers);
}

describe("HTTP on the compiled binary (Bun.serve)", () => {
  it("publishes, refuses schema breakers with the failing paths, and reads back", async () => {
    expect((await call("GET", "/healthz")).json).toEqual({ status: "ok" });
    expect((await call("GET", "/readyz")).status).toBe(200);
    expect((await call("POST", "/topics", { name: "orders", partitions: 2 })).status).toBe(201);
    const schema = { type: "object", required: ["id"], properties: { id: { type: "integer" } } };
    expect((await call("POST", "/subjects/orders-value/versions", { schemaType: "JSON", schema: JSON.stringify(schema) })).status).toBe(200);
    const refused = await call("POST", "/topics/orders/records", { records: [{ value: { id: 1 } }, { value: { id: "x" } }] });
    expect(refused).toMatchObject({ status: 422, json: { error_code: 42208, errors: [{ index: 1 }] } });
    const ok = await call("POST", "/topics/orders/records", { records: [{ key: "a", value: { id: 1 } }, { key: "a", value: { id: 2 } }] });
    expect(ok.status).toBe(200);
    const partition = ok.json.offsets[0].partition;
    const read = await call("GET", `/topics/orders/partitions/${partition}/records?offset=0`);
    expect(read.json.records.map((r: { value: unknown }) => r.value)).toEqual([{ id: 1 }, { id: 2 }]);
    const ndjson = await fetch(`${url}/topics/orders/records`, { method: "POST", headers: { "content-type": "application/x-ndjson" }, body: '{"value":{"id":3}}\n{"value":{"id":4}}\n' });
    expect(ndjson.status).toBe(200);
  });

  it("answers an oversized body with a JSON 413, declared or chunked, and stays up", async () => {
    await call("POST", "/topics", { name: "big" });
    const declared = await call("POST", "/topics/big/records", { value: "x".repeat(100 * 1024) });
    expect(declared.status).toBe(413);
    expect(declared.json.message).toMatch(/65536/);
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 40; i++) controller.enqueue(new TextEncoder().encode(i === 0 ? `{"value":"${"y".repeat(4000)}` : "y".repeat(4000)));
        controller.enqueue(new TextEncoder().encode('"}'));
        controller.close();
      },
    });
    const chunked = await fetch(`${url}/topics/big/records`, { method: "POST", headers: { "content-type": "application/json" }, body: chunks, duplex: "half" } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(await chunked.json()).toMatchObject({ error_code: expect.any(Number) });
    expect((await call("GET", "/healthz")).status).toBe(200);
  });

  it("streams SSE: headers at once, records as they come, resumable by Last-Event-ID", async () => {
    await call("POST", "/topics", { name: "live" });
    const res = await fetch(`${url}/topics/live/partitions/0/stream`, { headers: { accept: "text/event-stream" } });
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const reading = readEvents(res, 2, true);
    await call("POST", "/topics/live/records", { records: [{ value: "one" }, { value: "two" }] });
    expect((await reading).map((e) => [e.id, e.data.value])).toEqual([["0", "one"], ["1", "two"]]);
    const resumed = await fetch(`${url}/topics/live/partitions/0/stream`, { headers: { accept: "text/event-stream", "last-event-id": "0" } });
    expect((await readEvents(resumed, 1, true)).map((e) => e.data.value)).toEqual(["two"]);
  });

  it("runs a REST Proxy v2 consumer and a REST v3 streamed produce", async () => {
    const V2 = "application/vnd.kafka.v2+json";
    await call("POST", "/topics", { name: "rest" });
    const created = await call("POST", "/consumers/g", { name: "c1", format: "json", "auto.offset.reset": "earliest" }, { "content-type": V2 });
    expect(created.status).toBe(200);
    expect((await call("POST", "/consumers/g/instances/c1/subscription", { topics: ["rest"] }, { "content-type": V2 })).status).toBe(204);
    const produced = await call("POST", "/topics/rest", { records: [{ value: { n: 1 } }] }, { "content-type": "application/vnd.kafka.json.v2+json" });
    expect(produced.status).toBe(200);
    let records: { value: unknown }[] = [];
    for (let i = 0; i < 20 && records.length === 0; i++) {
      const polled = await call("GET", "/consumers/g/instances/c1/records?timeout=500", undefined, { accept: "application/vnd.kafka.json.v2+json" });
      expect(polled.status, JSON.stringify(polled.json)).toBe(200);
      records = polled.json;
    }
    expect(records.map((r) => r.value)).toEqual([{ n: 1 }]);
    expect((await call("DELETE", "/consumers/g/instances/c1", undefined, { "content-type": V2 })).status).toBe(204);

    const cluster = (await call("GET", "/v3/clusters")).json.data[0].cluster_id;
    const stream = await fetch(`${url}/v3/clusters/${cluster}/topics/rest/records`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: '{"value":{"type":"JSON","data":{"n":2}}}\n{"value":{"type":"JSON","data":{"n":3}}}',
    });
    expect(stream.status).toBe(200);
    const answers = (await stream.text()).trim().split("\n").map((l) => JSON.parse(l));
    expect(answers.map((a) => a.error_code)).toEqual([200, 200]);
  });

  it("counts HTTP bytes in and out in its metrics, with the process's own and each partition's under Bun", async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toMatch(/tributary_records_in_total\{topic="orders",source="http"\} 4/);
    expect(text).toMatch(/tributary_bytes_out_total\{topic="orders",source="http"\} [1-9]/);
    expect(Number(/^tributary_process_resident_memory_bytes (\d+)/m.exec(text)?.[1])).toBeGreaterThan(0);
    expect(Number(/^tributary_process_open_fds (\d+)/m.exec(text)?.[1])).toBeGreaterThan(0);
    expect(Number(/^tributary_http_requests_in_flight (\d+)/m.exec(text)?.[1])).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^tributary_partition_high_watermark\{topic="orders",partition="0"\} \d+$/m);
  });
});
