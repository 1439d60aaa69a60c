// REST Proxy v3 produce: POST /v3/clusters/{c}/topics/{t}/records. One record
// per request, answered with its partition and offset; or the streamed form:
// many JSON records on one connection (concatenated or one per line), each
// answered in order with one line of its own, as soon as it is durable. Keys and
// values carry a type: BINARY (base64), JSON, STRING, AVRO or JSONSCHEMA (with
// a schema id, a subject and version, or the subject's latest).

import type { Context } from "hono";
import type { HttpDeps } from "./http-deps.js";
import { HttpError, toHttpError } from "./http-error.js";
import { ensureTopics } from "./auto-create.js";
import { publish, type IncomingRecord } from "./publish.js";
import { JsonSequenceSplitter } from "./json-sequence.js";
import { framed, isBase64 } from "./wire-values.js";
import { parseBoundedJson } from "../../schema/bounded-json.js";
import { avroFromJson } from "../../schema/avro.js";
import type { RecordHeader } from "../../protocol/record-batch-codec.js";
import { opsLog } from "../../ops/ops-log.js";
import { httpActor } from "./actor.js";

type DataType = "BINARY" | "JSON" | "STRING" | "AVRO" | "JSONSCHEMA";
/** Records of one stream in flight at once (httpStreamedRecordsInFlightMax): the reader waits for the oldest beyond this. */
const IN_FLIGHT_MAX = 1000;

interface EncodedData {
  bytes: Buffer | null;
  type: DataType;
}

interface ProduceResult {
  status: number;
  body: Record<string, unknown>;
}

/** The schema a key or value names: by id, by subject and version, or the subject's latest. */
function schemaFor(deps: HttpDeps, data: Record<string, unknown>, defaultSubject: string): { id: number; schemaType: "AVRO" | "JSON" } | undefined {
  if (typeof data.schema_id === "number") return deps.registry.getSchema(data.schema_id);
  const version = data.schema_version;
  if (typeof data.subject === "string" || version !== undefined) {
    return deps.registry.getVersion(typeof data.subject === "string" ? data.subject : defaultSubject, version === undefined ? "latest" : String(version));
  }
  return deps.registry.latest(defaultSubject);
}

function encodeData(deps: HttpDeps, raw: unknown, field: string, defaultSubject: string): EncodedData | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== "object" || Array.isArray(raw)) throw new HttpError(400, 400, `${field} must be an object with "type" and "data"`);
  const data = raw as Record<string, unknown>;
  const named = data.type === undefined ? undefined : String(data.type).toUpperCase();
  if (named === "PROTOBUF") throw new HttpError(400, 400, `${field}: PROTOBUF is not supported (BINARY, JSON, STRING, AVRO, JSONSCHEMA)`);
  if (named !== undefined && !["BINARY", "JSON", "STRING", "AVRO", "JSONSCHEMA"].includes(named)) throw new HttpError(400, 400, `${field}: unknown type ${named}`);
  const schemaNamed = named === "AVRO" || named === "JSONSCHEMA" || (named === undefined && (data.schema_id !== undefined || data.subject !== undefined));
  const schema = schemaNamed || named === undefined ? schemaFor(deps, data, defaultSubject) : undefined;
  if (schemaNamed && !schema) throw new HttpError(422, 42206, `${field}: no schema found under subject '${defaultSubject}'`);
  const type: DataType = (named as DataType | undefined) ?? (schema ? (schema.schemaType === "AVRO" ? "AVRO" : "JSONSCHEMA") : "JSON");
  if (data.data === undefined || data.data === null) return { bytes: null, type };
  switch (type) {
    case "BINARY":
      if (typeof data.data !== "string" || !isBase64(data.data)) throw new HttpError(400, 400, `${field}: BINARY data must be a base64 string`);
      return { bytes: Buffer.from(data.data, "base64"), type };
    case "STRING":
      if (typeof data.data !== "string") throw new HttpError(400, 400, `${field}: STRING data must be a string`);
      return { bytes: Buffer.from(data.data, "utf8"), type };
    case "JSON":
      return { bytes: Buffer.from(JSON.stringify(data.data), "utf8"), type };
    case "AVRO":
    case "JSONSCHEMA": {
      if (!schema || schema.schemaType !== (type === "AVRO" ? "AVRO" : "JSON")) throw new HttpError(422, 42206, `${field}: the schema named is not ${type}`);
      try {
        const bytes = type === "AVRO" ? avroFromJson(deps.registry.avroType(schema.id), data.data) : Buffer.from(JSON.stringify(data.data), "utf8");
        return { bytes: framed(schema.id, bytes), type };
      } catch (err) {
        throw new HttpError(422, 42203, `${field}: ${(err as Error).message}`);
      }
    }
  }
}

function headersOf(raw: unknown): RecordHeader[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new HttpError(400, 400, "headers must be a list of { name, value }");
  return raw.map((h: { name?: unknown; value?: unknown }, i) => {
    if (typeof h?.name !== "string") throw new HttpError(400, 400, `header ${i} needs a string name`);
    if (h.value === null || h.value === undefined) return { key: h.name, value: null };
    if (typeof h.value !== "string" || !isBase64(h.value)) throw new HttpError(400, 400, `header ${h.name}: value must be base64`);
    return { key: h.name, value: Buffer.from(h.value, "base64") };
  });
}

function timestampOf(raw: unknown): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  const ms = typeof raw === "number" ? raw : Date.parse(String(raw));
  if (!Number.isFinite(ms) || ms < 0) throw new HttpError(400, 400, `timestamp ${JSON.stringify(raw)} is not a date-time`);
  return ms;
}

/** Parses one v3 record and encodes its key and value. */
function prepare(deps: HttpDeps, topic: string, text: Buffer): { record: IncomingRecord; key: EncodedData | null; value: EncodedData | null } {
  const raw = parseBoundedJson(text, deps.jsonDepthMax) as Record<string, unknown>;
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new HttpError(400, 400, "a record must be a JSON object");
  const partition = raw.partition_id;
  if (partition !== undefined && partition !== null && (!Number.isInteger(partition) || (partition as number) < 0)) throw new HttpError(400, 400, "partition_id must be a non-negative integer");
  const key = encodeData(deps, raw.key, "key", `${topic}-key`);
  const value = encodeData(deps, raw.value, "value", `${topic}-value`);
  const record: IncomingRecord = {
    key: key?.bytes ?? null, value: value?.bytes ?? null, headers: headersOf(raw.headers),
    partition: (partition ?? undefined) as number | undefined, timestamp: timestampOf(raw.timestamp),
  };
  return { record, key, value };
}

function failure(err: unknown): ProduceResult {
  const http = toHttpError(err);
  if (http) {
    // v3 answers carry only a message: the first schema failure, if any, goes into it.
    const first = (http.extra?.errors as { errors?: { instancePath: string; message: string }[] }[] | undefined)?.[0]?.errors?.[0];
    const message = first ? `${http.message}: ${first.instancePath} ${first.message}` : http.message;
    return { status: http.status, body: { error_code: http.errorCode, message } };
  }
  opsLog("http").error(`v3 produce failed: ${(err as Error)?.stack ?? String(err)}`);
  return { status: 500, body: { error_code: 500, message: "internal error; the broker logged it" } };
}

/** Starts the append of one record (synchronously up to the append, so stream order is kept) and resolves with its answer. */
function produceOne(deps: HttpDeps, topic: string, text: Buffer, source: string): Promise<ProduceResult> {
  let prepared: ReturnType<typeof prepare>;
  try {
    prepared = prepare(deps, topic, text);
  } catch (err) {
    return Promise.resolve(failure(err));
  }
  const timestamp = prepared.record.timestamp ?? Date.now();
  prepared.record.timestamp = timestamp;
  return publish(deps, topic, [prepared.record], source).then((outcome) => {
    const placed = outcome.offsets[0] ?? outcome.deadLettered[0];
    const size = (d: EncodedData | null) => (d ? { type: d.type, size: d.bytes?.length ?? 0 } : null);
    return {
      status: 200,
      body: {
        error_code: 200, cluster_id: deps.logs.clusterId, topic_name: outcome.offsets[0] ? topic : `${topic}.dlq`,
        partition_id: placed!.partition, offset: placed!.offset, timestamp: new Date(timestamp).toISOString(),
        key: size(prepared.key), value: size(prepared.value),
      },
    };
  }, failure);
}

export async function produceV3(c: Context, deps: HttpDeps): Promise<Response> {
  const topic = c.req.param("topic")!;
  await ensureTopics(deps.logs, deps.autoCreate, [topic], httpActor(c));
  if (!deps.logs.hasTopic(topic)) throw new HttpError(404, 40403, "This server does not host this topic-partition.");
  const source = `REST v3 client ${c.req.header("user-agent") ?? ""}`;
  const body = c.req.raw.body;
  if (!body) throw new HttpError(400, 400, "the request has no body");
  const splitter = new JsonSequenceSplitter(deps.bodyBytesMax);
  const reader = body.getReader();
  // A request with a declared length holding one record gets one answer; anything else is a stream.
  const declared = c.req.header("content-length") !== undefined;
  const pending: Promise<ProduceResult>[] = [];
  let finished = false;
  let broken: ProduceResult | undefined;

  const readMore = async (): Promise<void> => {
    const { done, value } = await reader.read();
    try {
      if (done) {
        finished = true;
        splitter.finish();
        return;
      }
      for (const text of splitter.feed(value)) pending.push(produceOne(deps, topic, text, source));
      if (splitter.error) throw splitter.error;
    } catch (err) {
      // The stream cannot be split any further: answer what came before, then this.
      finished = true;
      broken = { status: 400, body: { error_code: 400, message: `the request body is not a sequence of JSON records: ${(err as Error).message}` } };
      void reader.cancel().catch(() => undefined);
    }
  };

  if (declared) {
    while (!finished && pending.length < 2) await readMore();
    if (finished && pending.length === 1 && !broken) {
      const result = await pending[0]!;
      return c.json(result.body, result.status as 200);
    }
    if (finished && pending.length === 0) {
      const result = broken ?? { status: 400, body: { error_code: 400, message: "the request holds no record" } };
      return c.json(result.body, result.status as 400);
    }
  }
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      while (pending.length === 0 && !finished) await readMore();
      if (pending.length === 0) {
        if (broken) controller.enqueue(encoder.encode(`${JSON.stringify(broken.body)}\n`));
        broken = undefined;
        controller.close();
        return;
      }
      // Keep reading ahead while the oldest record is being written, within the bound.
      while (!finished && pending.length < (deps.streamedRecordsInFlightMax ?? IN_FLIGHT_MAX)) {
        const next = readMore();
        const first = await Promise.race([pending[0]!.then(() => "done" as const), next.then(() => "read" as const)]);
        if (first === "done") {
          await next;
          break;
        }
      }
      const result = await pending.shift()!;
      controller.enqueue(encoder.encode(`${JSON.stringify(result.body)}\n`));
    },
    cancel() {
      void reader.cancel().catch(() => undefined);
    },
  });
  return new Response(stream, { status: 200, headers: { "content-type": "application/json" } });
}
