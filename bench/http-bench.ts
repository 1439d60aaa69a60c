// npm run bench:http: HTTP publishing measured from a separate load generator
// (wrk) against the broker process, with a hello-world hono POST endpoint on
// the same runtime as the reference (and the same publish acknowledged before
// fdatasync, to show what durability costs), and publish -> SSE latency at 1k records/s.
// Ends with one JSON line.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFile, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);
const BUN = process.execPath;
const DURATION = process.env.BENCH_SECONDS ?? "10";
const results: Record<string, number> = {};

function report(name: string, value: number, unit: string): void {
  results[name] = Number(value.toFixed(3));
  console.log(`${name.padEnd(56)} ${value.toLocaleString("en-US", { maximumFractionDigits: 2 }).padStart(14)} ${unit}`);
}

function waitLine(child: ChildProcess, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = pattern.exec(out);
      if (m) resolve(m);
    });
    child.on("exit", (code) => reject(new Error(`exited ${code}`)));
  });
}

async function wrk(url: string, body: string, connections = 50): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wrk-"));
  const script = path.join(dir, "post.lua");
  fs.writeFileSync(script, `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = ${JSON.stringify(body)}\n`);
  const { stdout } = await run("wrk", ["-t", "1", "-c", String(connections), "-d", `${DURATION}s`, "-s", script, url], { maxBuffer: 1 << 20 });
  fs.rmSync(dir, { recursive: true, force: true });
  const m = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(stdout);
  if (errors) throw new Error(`wrk saw ${errors[1]} error responses:\n${stdout}`);
  return Number(m![1]);
}

async function post(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
}

// wrk drives the load: say how to get it rather than fail on a missing binary.
if (spawnSync("wrk", ["--version"]).error) {
  console.error("bench:http needs wrk (an HTTP load generator): apt-get install -y wrk");
  process.exit(2);
}

const hello = spawn(BUN, [path.join(import.meta.dirname, "hello-hono.ts")], { stdio: ["ignore", "pipe", "inherit"] });
const helloPort = (await waitLine(hello, /(\d+)\n/))[1];
const broker = spawn(BUN, [path.join(import.meta.dirname, "../src/main.ts"), "serve", "--ephemeral", "--kafka-port", "0", "--http-port", "0", "--host", "127.0.0.1"], { stdio: ["ignore", "pipe", "ignore"] });
const http = (await waitLine(broker, /http (\S+),/))[1]!;
console.log(`http benchmark: ${os.cpus().length} cpus, bun ${process.versions.bun}, wrk -t1 -c50 -d${DURATION}s`);
try {
  const order = { type: "object", properties: { id: { type: "integer" }, total: { type: "number", minimum: 0 } }, required: ["id", "total"] };
  await post(`${http}/topics`, { name: "bench", partitions: 1 });
  await post(`${http}/subjects/bench-value/versions`, { schemaType: "JSON", schema: JSON.stringify(order) });
  const helloRps = await wrk(`http://127.0.0.1:${helloPort}/hello`, JSON.stringify({ value: { id: 1, total: 2.5 } }));
  report("reference: hello-world hono POST", helloRps, "req/s");
  const single = await wrk(`${http}/topics/bench/records`, JSON.stringify({ key: "k", value: { id: 1, total: 2.5 } }));
  report("single-record durable validated publish", single, "req/s");
  results.ratio_single_to_hello = Number((single / helloRps).toFixed(3));
  console.log(`${"  ratio to hello-world".padEnd(56)} ${(single / helloRps).toFixed(3).padStart(14)}`);
  // The same request on a topic with the same schema whose appends are acknowledged
  // before fdatasync (flush=1000): what everything but durability costs.
  await post(`${http}/topics`, { name: "bench-flush-interval", partitions: 1, configs: { flush: "1000" } });
  await post(`${http}/subjects/bench-flush-interval-value/versions`, { schemaType: "JSON", schema: JSON.stringify(order) });
  const undurable = await wrk(`${http}/topics/bench-flush-interval/records`, JSON.stringify({ key: "k", value: { id: 1, total: 2.5 } }));
  report("same, flush=1000 (acknowledged before fdatasync)", undurable, "req/s");
  results.ratio_flush_interval_to_hello = Number((undurable / helloRps).toFixed(3));
  console.log(`${"  ratio to hello-world".padEnd(56)} ${(undurable / helloRps).toFixed(3).padStart(14)}`);
  const batch = { records: Array.from({ length: 1000 }, (_, i) => ({ value: { id: i, total: i / 10 } })) };
  const batchRps = await wrk(`${http}/topics/bench/records`, JSON.stringify(batch), 8);
  report("batched publish, 1000 records per request", batchRps * 1000, "records/s");

  // Publish -> SSE subscriber latency at 1,000 records/s, from each record's intended send time.
  await post(`${http}/topics`, { name: "latency", partitions: 1 });
  const stream = await fetch(`${http}/topics/latency/partitions/0/stream`, { headers: { accept: "text/event-stream" } });
  const reader = stream.body!.getReader();
  const intended: number[] = [];
  const latencies: number[] = [];
  const total = 5000;
  const reading = (async () => {
    const decoder = new TextDecoder();
    let buffered = "";
    while (latencies.length < total) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      let at;
      while ((at = buffered.indexOf("\n\n")) >= 0) {
        const chunk = buffered.slice(0, at);
        buffered = buffered.slice(at + 2);
        const data = /^data: (.*)$/m.exec(chunk)?.[1];
        if (data) latencies.push(performance.now() - intended[JSON.parse(data).value.seq]!);
      }
    }
  })();
  const start = performance.now();
  const sends: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const at = start + i; // one per millisecond
    const wait = at - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    intended[i] = Math.min(at, performance.now()); // sent early: counts from the send, never negative
    sends.push(post(`${http}/topics/latency/records`, { value: { seq: i } }));
  }
  await Promise.all(sends);
  await reading;
  await reader.cancel();
  latencies.sort((a, b) => a - b);
  report("publish -> SSE subscriber latency p50 at 1k/s", latencies[Math.floor(latencies.length * 0.5)]!, "ms");
  report("publish -> SSE subscriber latency p99 at 1k/s", latencies[Math.floor(latencies.length * 0.99)]!, "ms");
  console.log(`targets: single >= 0.60 of hello-world (${results.ratio_single_to_hello}); batched >= 300k records/s; p99 <= 10 ms`);
} finally {
  broker.kill("SIGTERM");
  hello.kill();
}
console.log(JSON.stringify({ bench: "http", machine: { nproc: os.cpus().length, memGiB: Number((os.totalmem() / 1024 ** 3).toFixed(1)) }, ...results }));
process.exit(0);
