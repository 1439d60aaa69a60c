// Reading a request body from an untrusted client: a size limit checked
// before and after reading, a deadline for the whole body, gzip/deflate/br
// content encodings inflated with a hard output limit, valid UTF-8 only, and
// JSON nested no deeper than a limit. Every refusal is an HttpError (4xx).

import { brotliDecompress, gunzip, inflate, type InputType, type ZlibOptions } from "node:zlib";
import type { Context } from "hono";
import { JsonInputError, decodeUtf8, parseBoundedJson } from "../../schema/bounded-json.js";
import { HttpError } from "./http-error.js";

export interface BodyLimits {
  bodyBytesMax: number;
  jsonDepthMax: number;
  requestTimeoutMs: number;
}

type Inflate = (data: InputType, options: ZlibOptions, callback: (err: Error | null, out: Buffer) => void) => void;

const DECODERS: Record<string, Inflate> = {
  gzip: gunzip,
  "x-gzip": gunzip,
  deflate: inflate,
  br: brotliDecompress as unknown as Inflate,
};

function tooLarge(limit: number): HttpError {
  return new HttpError(413, 41300, `request body exceeds the limit of ${limit} bytes`);
}

async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HttpError(408, 40800, `request body did not arrive within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function decode(encoding: string, raw: Buffer, limit: number): Promise<Buffer> {
  const inflateWith = DECODERS[encoding];
  if (!inflateWith) throw new HttpError(415, 41502, `content-encoding '${encoding}' is not supported (gzip, deflate, br or identity)`);
  return new Promise<Buffer>((resolve, reject) => inflateWith(raw, { maxOutputLength: limit }, (err, out) => {
    if (!err) return resolve(out);
    if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE" || err instanceof RangeError) return reject(tooLarge(limit));
    reject(new HttpError(400, 40005, `request body does not decode as ${encoding}: ${err.message}`));
  }));
}

async function readUpTo(request: Request, limit: number): Promise<Buffer> {
  if (!request.body) return Buffer.alloc(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks, length);
    length += value.length;
    if (length > limit) {
      void reader.cancel().catch(() => undefined);
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
}

/** The request body's bytes, inflated when it declares a content encoding. */
export async function bodyBytes(c: Context, limits: BodyLimits): Promise<Buffer> {
  const limit = limits.bodyBytesMax;
  const declared = Number(c.req.header("content-length") ?? 0);
  if (declared > limit) throw new HttpError(413, 41300, `request body of ${declared} bytes exceeds the limit of ${limit}`);
  // A declared length is exact (the server holds the client to it); a body without
  // one (chunked) is read piece by piece and refused the moment it passes the limit.
  const read = c.req.header("content-length") !== undefined ? c.req.arrayBuffer().then((b) => Buffer.from(b)) : readUpTo(c.req.raw, limit);
  const raw = await withDeadline(read, limits.requestTimeoutMs);
  if (raw.length > limit) throw tooLarge(limit);
  const encoding = (c.req.header("content-encoding") ?? "identity").trim().toLowerCase();
  return encoding === "identity" || encoding === "" ? raw : decode(encoding, raw, limit);
}

/** The body as text: invalid UTF-8 is refused (400), never turned into U+FFFD. */
export async function bodyText(c: Context, limits: BodyLimits): Promise<string> {
  const bytes = await bodyBytes(c, limits);
  try {
    return decodeUtf8(bytes);
  } catch {
    throw new HttpError(400, 40001, "request body is not valid UTF-8");
  }
}

/** Parses JSON text from a client, with the depth limit; `what` names it in the error. */
export function parseJsonInput(input: Uint8Array | string, limits: BodyLimits, what = "request body"): unknown {
  try {
    return parseBoundedJson(input, limits.jsonDepthMax);
  } catch (err) {
    if (err instanceof JsonInputError) throw new HttpError(400, 40001, `${what} is ${err.message}`);
    throw err;
  }
}

export async function bodyJson(c: Context, limits: BodyLimits): Promise<unknown> {
  const body = await optionalBodyJson(c, limits);
  if (body === undefined) throw new HttpError(400, 40001, "request body is empty; JSON expected");
  return body;
}

/** Like bodyJson, but an empty body is `undefined` (routes where the body is optional). */
export async function optionalBodyJson(c: Context, limits: BodyLimits): Promise<unknown> {
  const bytes = await bodyBytes(c, limits);
  if (bytes.every((b) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09)) return undefined;
  return parseJsonInput(bytes, limits);
}
