// Request and response framing: a 4-byte size, then a header, then the body.
// Request header v1 (non-flexible APIs) or v2 (flexible: adds tagged fields;
// its client id stays a classic nullable string). Response header v0, or v1
// (adds tagged fields) for flexible versions, except that ApiVersions
// responses always use v0 so a client can parse them before it knows our versions.

import { MESSAGES } from "./generated/messages.js";
import { inRange, type MessageSchema } from "./message-schema.js";
import { Reader, Writer, decodeMessage, encodeMessage, skipTaggedFields, type Message } from "./message-codec.js";

export const API_VERSIONS_KEY = 18;

const byKey = new Map<number, { request: MessageSchema; response: MessageSchema }>();
for (const schema of Object.values(MESSAGES)) {
  if (schema.apiKey < 0) continue;
  const entry = byKey.get(schema.apiKey) ?? ({} as { request: MessageSchema; response: MessageSchema });
  if (schema.name.endsWith("Request")) entry.request = schema;
  else entry.response = schema;
  byKey.set(schema.apiKey, entry);
}

export function schemasFor(apiKey: number): { request: MessageSchema; response: MessageSchema } | undefined {
  return byKey.get(apiKey);
}

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/** Reads the fixed start of every request header: key, version, correlation id (enough to answer an error). */
export function peekRequestHeader(frame: Buffer): { apiKey: number; apiVersion: number; correlationId: number } | undefined {
  if (frame.length < 8) return undefined;
  return { apiKey: frame.readInt16BE(0), apiVersion: frame.readInt16BE(2), correlationId: frame.readInt32BE(4) };
}

/** Whether the request (and its response) of this API and version use the flexible encoding. */
export function isFlexibleVersion(apiKey: number, apiVersion: number): boolean {
  const schemas = byKey.get(apiKey);
  return !!schemas && inRange(schemas.request.flexibleVersions, apiVersion);
}

/**
 * Decodes the header and body of one request frame (without its size prefix).
 * Bytes after a complete body are not an error, as in Kafka (current
 * librdkafka sends some after Metadata v12): they are returned as
 * `trailingBytes` for the caller to count.
 */
export function decodeRequest(frame: Buffer): { header: RequestHeader; body: Message; trailingBytes: number } {
  const r = new Reader(frame);
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const clientIdLength = r.int16();
  const clientId = clientIdLength < 0 ? null : r.raw(clientIdLength, "client id").toString("utf8");
  const schemas = byKey.get(apiKey)!;
  const flexible = inRange(schemas.request.flexibleVersions, apiVersion);
  // Header tagged fields: none are defined for requests we serve.
  if (flexible) skipTaggedFields(r);
  const body = decodeMessage(schemas.request, apiVersion, r);
  return { header: { apiKey, apiVersion, correlationId, clientId }, body, trailingBytes: r.remaining };
}

/**
 * Encodes a whole response frame, size prefix included, as chunks: record
 * bytes read from the log go out as they are, without another copy.
 */
export function encodeResponseChunks(apiKey: number, apiVersion: number, correlationId: number, body: Message): Buffer[] {
  const schemas = byKey.get(apiKey)!;
  const w = new Writer(1024);
  w.int32(0); // size, patched below
  w.int32(correlationId);
  const flexible = inRange(schemas.response.flexibleVersions, apiVersion);
  if (flexible && apiKey !== API_VERSIONS_KEY) w.uvarint(0);
  encodeMessage(schemas.response, apiVersion, body, w);
  const size = w.length - 4;
  const chunks = w.finishChunks();
  chunks[0]!.writeInt32BE(size, 0);
  return chunks;
}

/** Encodes a whole response frame, size prefix included, as one buffer. */
export function encodeResponse(apiKey: number, apiVersion: number, correlationId: number, body: Message): Buffer {
  const chunks = encodeResponseChunks(apiKey, apiVersion, correlationId, body);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** Encodes a request frame (for tests, fuzzing and benchmarks). */
export function encodeRequest(header: RequestHeader, body: Message): Buffer {
  const schemas = byKey.get(header.apiKey)!;
  const w = new Writer(1024);
  w.int32(0);
  w.int16(header.apiKey);
  w.int16(header.apiVersion);
  w.int32(header.correlationId);
  if (header.clientId === null) w.int16(-1);
  else {
    const id = Buffer.from(header.clientId, "utf8");
    w.int16(id.length);
    w.raw(id);
  }
  if (inRange(schemas.request.flexibleVersions, header.apiVersion)) w.uvarint(0);
  encodeMessage(schemas.request, header.apiVersion, body, w);
  const frame = Buffer.from(w.finish());
  frame.writeInt32BE(frame.length - 4, 0);
  return frame;
}

/** Decodes a response frame (without its size prefix) of a known API and version (for tests and benchmarks). */
export function decodeResponse(apiKey: number, apiVersion: number, frame: Buffer): { correlationId: number; body: Message } {
  const schemas = byKey.get(apiKey)!;
  const r = new Reader(frame);
  const correlationId = r.int32();
  if (inRange(schemas.response.flexibleVersions, apiVersion) && apiKey !== API_VERSIONS_KEY) skipTaggedFields(r);
  return { correlationId, body: decodeMessage(schemas.response, apiVersion, r) };
}
