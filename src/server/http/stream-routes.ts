// Streaming a partition, or a whole topic, to a subscriber: Server-Sent Events
// (Accept: text/event-stream) or NDJSON. New records are pushed as soon as they are
// durable (the log wakes the stream; nothing polls). A subscriber resumes from
// Last-Event-ID (the last offset it saw), from ?offset=, or from a consumer
// group's committed offset (?group=).

import type { Context, Hono } from "hono";
import type { HttpDeps } from "./http-deps.js";
import { readRecordsFrom, recordToJson } from "./record-json.js";
import { waitForCommitted } from "../../log/store.js";
import { keepOpen } from "./listen.js";
import { HttpError } from "./http-error.js";
import { doc, queryOf } from "./api-doc.js";
import * as api from "./api-schemas.js";
import * as v from "valibot";

const KEEPALIVE_MS = 15_000;
const READ_BYTES = 1024 * 1024;

/** ?from=beginning|end (default end); anything else is a mistake the client should hear about. */
function fromBeginning(c: Context): boolean {
  const from = c.req.query("from");
  if (from === undefined || from === "end") return false;
  if (from === "beginning") return true;
  throw new HttpError(400, 40006, `from must be 'beginning' or 'end', not '${from}'`);
}

async function startOffset(c: Context, deps: HttpDeps, topic: string, partition: number, logStart: number, end: number): Promise<number> {
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
  if (group !== undefined) return (await deps.logs.offsets.get(group, topic, partition))?.offset ?? logStart;
  return fromBeginning(c) ? logStart : end;
}

/**
 * A live response over the given partitions of a topic, each from its next
 * offset. `eventId` names each record's SSE id: a subscriber that reconnects
 * with it as Last-Event-ID resumes right after that record.
 */
function streamResponse(c: Context, deps: HttpDeps, topic: string, positions: Map<number, number>,
  eventId: (partition: number, offset: number) => string): Response {
  const sse = !(c.req.header("accept") ?? "").includes("ndjson");
  keepOpen(c.env, c.req.raw);
  const abort = new AbortController();
  c.req.raw.signal.addEventListener("abort", () => abort.abort());
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      // Something at once, so the response headers go out now: a stream that starts
      // at the end would otherwise hold clients that wait for headers until a record comes.
      controller.enqueue(encoder.encode(sse ? ": open\n\n" : "\n"));
    },
    async pull(controller) {
      for (;;) {
        if (abort.signal.aborted) {
          controller.close();
          return;
        }
        let text = "";
        let count = 0;
        let bytes = 0;
        for (const [partition, next] of positions) {
          if (text.length >= READ_BYTES) continue;
          const log = deps.logs.partition(topic, partition);
          const offsets = await log.offsets();
          if (next >= offsets.lastStableOffset) continue;
          const read = await readRecordsFrom(log, Math.max(next, offsets.logStartOffset), READ_BYTES);
          bytes += read.bytes;
          positions.set(partition, read.nextOffset);
          for (const r of read.records) {
            const event = recordToJson(topic, partition, r, "json");
            text += sse ? `id: ${eventId(partition, r.offset)}\nevent: record\ndata: ${JSON.stringify(event)}\n\n` : `${JSON.stringify(event)}\n`;
            count++;
          }
        }
        if (text) {
          deps.metrics.served(topic, "http", bytes, count);
          controller.enqueue(encoder.encode(text));
          return;
        }
        const ready = await waitForCommitted(deps.logs, [...positions].map(([partition, offset]) => ({ topic, partition, offset })), KEEPALIVE_MS, abort.signal);
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
    headers: { "content-type": sse ? "text/event-stream" : "application/x-ndjson", "cache-control": "no-cache", "x-accel-buffering": "no" },
  });
}

/** Where a whole-topic stream starts: Last-Event-ID ({"partition": next offset}), ?group=, or ?from=beginning|end. */
async function topicPositions(c: Context, deps: HttpDeps, topic: string): Promise<Map<number, number>> {
  const count = deps.logs.partitionCount(topic);
  const positions = new Map<number, number>();
  let resume: Record<string, number> = {};
  const lastEventId = c.req.header("last-event-id");
  if (lastEventId !== undefined) {
    try {
      resume = JSON.parse(lastEventId) as Record<string, number>;
    } catch {
      throw new HttpError(400, 40005, "Last-Event-ID of a topic stream is the JSON map of next offsets it was given");
    }
  }
  const group = c.req.query("group");
  const beginning = fromBeginning(c);
  for (let p = 0; p < count; p++) {
    const log = await deps.logs.partition(topic, p).offsets();
    const fromGroup = group !== undefined ? (await deps.logs.offsets.get(group, topic, p))?.offset ?? log.logStartOffset : undefined;
    const start = resume[String(p)] ?? fromGroup ?? (beginning ? log.logStartOffset : log.highWatermark);
    if (!Number.isInteger(start) || start < 0) throw new HttpError(400, 40005, `bad resume offset for partition ${p}`);
    positions.set(p, Math.min(Math.max(start, log.logStartOffset), log.highWatermark));
  }
  return positions;
}

export function registerStreamRoutes(app: Hono, deps: HttpDeps): void {
  const streamed = {
    description: "SSE (Accept: text/event-stream; each event's id is its offset) or NDJSON (Accept: application/x-ndjson): records as they arrive, until the client leaves",
    media: ["text/event-stream", "application/x-ndjson"], schema: api.RecordOut,
  };
  app.get("/topics/:topic/partitions/:partition/stream", doc({
    tags: ["records"], summary: "push a partition's records as they arrive; resume with Last-Event-ID, offset, group or from", query: api.StreamQuery, responses: { 200: streamed },
  }), async (c) => {
    queryOf(c, api.StreamQuery, 40002, { from: 40006 });
    const topic = c.req.param("topic");
    const partition = Number(c.req.param("partition"));
    if (!Number.isInteger(partition)) throw new HttpError(400, 40002, "partition must be an integer");
    const log = await deps.logs.partition(topic, partition).offsets();
    const next = Math.max(await startOffset(c, deps, topic, partition, log.logStartOffset, log.highWatermark), log.logStartOffset);
    if (next > log.highWatermark) throw new HttpError(416, 41601, `offset ${next} is past the end of the log (${log.highWatermark})`);
    return streamResponse(c, deps, topic, new Map([[partition, next]]), (_, offset) => String(offset));
  });

  app.get("/topics/:topic/stream", doc({
    tags: ["records"], summary: "push every partition's records as they arrive; Last-Event-ID is a map of next offsets", query: v.omit(api.StreamQuery, ["offset"]), responses: { 200: streamed },
  }), async (c) => {
    queryOf(c, v.omit(api.StreamQuery, ["offset"]), 40002, { from: 40006 });
    const topic = c.req.param("topic");
    if (!deps.logs.hasTopic(topic)) throw new HttpError(404, 40401, `topic '${topic}' not found`);
    const positions = await topicPositions(c, deps, topic);
    return streamResponse(c, deps, topic, positions, () => JSON.stringify(Object.fromEntries(positions)));
  });
}
