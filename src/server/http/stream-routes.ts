// Streaming a partition to a subscriber: Server-Sent Events (Accept:
// text/event-stream) or NDJSON. New records are pushed as soon as they are
// durable (the log wakes the stream; nothing polls). A subscriber resumes from
// Last-Event-ID (the last offset it saw), from ?offset=, or from a consumer
// group's committed offset (?group=).

import type { Context, Hono } from "hono";
import { decodeRecordBatch, splitBatches } from "../../protocol/record-batch-codec.js";
import type { HttpDeps } from "./app.js";
import { HttpError } from "./http-error.js";

const KEEPALIVE_MS = 15_000;
const READ_BYTES = 1024 * 1024;

function decodeValue(value: Buffer | null): unknown {
  if (value === null) return null;
  const payload = value.length >= 5 && value[0] === 0 ? value.subarray(5) : value;
  const text = payload.toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function startOffset(c: Context, deps: HttpDeps, topic: string, partition: number, logStart: number, end: number): number {
  const lastEventId = c.req.header("last-event-id");
  if (lastEventId !== undefined) {
    if (!/^\d+$/.test(lastEventId)) throw new HttpError(400, 40005, `Last-Event-ID '${lastEventId}' is not an offset`);
    return Number(lastEventId) + 1;
  }
  const offset = c.req.query("offset");
  if (offset !== undefined) {
    if (!/^\d+$/.test(offset)) throw new HttpError(400, 40002, `offset must be a non-negative integer, not '${offset}'`);
    return Number(offset);
  }
  const group = c.req.query("group");
  if (group !== undefined) return deps.logs.offsets.get(group, topic, partition)?.offset ?? logStart;
  return c.req.query("from") === "beginning" ? logStart : end;
}

export function registerStreamRoutes(app: Hono, deps: HttpDeps): void {
  app.get("/topics/:topic/partitions/:partition/stream", (c) => {
    const topic = c.req.param("topic");
    const partition = Number(c.req.param("partition"));
    if (!Number.isInteger(partition)) throw new HttpError(400, 40002, "partition must be an integer");
    const log = deps.logs.partition(topic, partition);
    let next = Math.max(startOffset(c, deps, topic, partition, log.logStartOffset, log.highWatermark), log.logStartOffset);
    if (next > log.highWatermark) throw new HttpError(416, 41601, `offset ${next} is past the end of the log (${log.highWatermark})`);
    const sse = !(c.req.header("accept") ?? "").includes("ndjson");
    const abort = new AbortController();
    c.req.raw.signal.addEventListener("abort", () => abort.abort());
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        for (;;) {
          if (abort.signal.aborted) {
            controller.close();
            return;
          }
          if (next < log.highWatermark) {
            let text = "";
            const { records } = log.read(next, READ_BYTES);
            for (const batch of splitBatches(records)) {
              for (const r of (await decodeRecordBatch(batch)).records) {
                if (r.offset < next) continue;
                const event = {
                  topic, partition, offset: r.offset, timestamp: r.timestamp,
                  key: r.key?.toString("utf8") ?? null, value: decodeValue(r.value),
                  headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value?.toString("utf8") ?? null])),
                };
                text += sse ? `id: ${r.offset}\nevent: record\ndata: ${JSON.stringify(event)}\n\n` : `${JSON.stringify(event)}\n`;
                next = r.offset + 1;
              }
            }
            if (text) {
              deps.metrics.served(topic, "http", 0, text.split(sse ? "\n\n" : "\n").length - 1);
              controller.enqueue(encoder.encode(text));
              return;
            }
          }
          const ready = await log.waitForData(next, KEEPALIVE_MS, abort.signal);
          if (!ready && !abort.signal.aborted) {
            controller.enqueue(encoder.encode(sse ? ": keepalive\n\n" : "\n"));
            return;
          }
        }
      },
      cancel() {
        abort.abort();
      },
    });
    return new Response(body, {
      headers: {
        "content-type": sse ? "text/event-stream" : "application/x-ndjson",
        "cache-control": "no-cache",
        "x-accel-buffering": "no",
      },
    });
  });
}
