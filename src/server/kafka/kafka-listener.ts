// The Kafka protocol listener: accepts TCP connections, cuts the byte stream
// into size-prefixed frames (with limits), hands each request to its handler
// and writes responses back in request order. A client that misbehaves
// (oversize frame, garbage, unknown API, a request left half-sent) loses its
// own connection, with a log line saying why; everyone else keeps being served.

import * as net from "node:net";
import { decodeRequest, encodeResponse, encodeResponseChunks, peekRequestHeader, schemasFor, API_VERSIONS_KEY } from "../../protocol/kafka-frame.js";
import { KafkaErrorCode } from "../../protocol/kafka-error-codes.js";
import { inRange } from "../../protocol/message-schema.js";
import { API_TABLE } from "./api-table.js";
import type { KafkaContext } from "./kafka-context.js";

export interface KafkaListenerLimits {
  /** Largest request frame accepted (Kafka's socket.request.max.bytes). */
  frameBytesMax: number;
  connectionsMax: number;
  /** How long the rest of a started request may take to arrive. */
  requestReadTimeoutMs: number;
  /** Requests one connection may have in flight before reading pauses. */
  inFlightRequestsMax: number;
}

export const DEFAULT_LIMITS: KafkaListenerLimits = {
  frameBytesMax: 100 * 1024 * 1024,
  connectionsMax: 20_000,
  requestReadTimeoutMs: 30_000,
  inFlightRequestsMax: 64,
};

function log(message: string): void {
  process.stderr.write(`tributary kafka: ${message}\n`);
}

/** Requests served, by "ApiName vN": the seed of the broker's metrics. */
export type RequestCounts = Map<string, number>;

class Connection {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private pending: Promise<Buffer[] | null>[] = [];
  private writing = false;
  private stallTimer: NodeJS.Timeout | undefined;
  private closed = false;
  readonly client: string;

  constructor(private readonly socket: net.Socket, private readonly ctx: KafkaContext, private readonly limits: KafkaListenerLimits,
    private readonly counts: RequestCounts) {
    this.client = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay(true);
    socket.on("data", (data) => this.onData(data));
    socket.on("error", () => this.close());
    socket.on("close", () => this.close());
  }

  close(reason?: string): void {
    if (reason) log(`closing ${this.client}: ${reason}`);
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.stallTimer);
    this.socket.destroy();
  }

  /** Size of the frame being read, once its 4-byte prefix has arrived (-1 before). */
  private expected = -1;

  private onData(data: Buffer): void {
    this.chunks.push(data);
    this.buffered += data.length;
    while (!this.closed) {
      if (this.expected < 0) {
        if (this.buffered < 4) break;
        if (this.chunks[0]!.length < 4) this.chunks = [Buffer.concat(this.chunks)];
        const size = this.chunks[0]!.readInt32BE(0);
        if (size < 8 || size > this.limits.frameBytesMax) {
          this.close(`frame of ${size} bytes is outside [8, ${this.limits.frameBytesMax}]`);
          return;
        }
        this.expected = size;
      }
      if (this.buffered < 4 + this.expected) break;
      // Concatenate only once the whole frame is here: a large frame in many chunks is copied once.
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
      const frame = all.subarray(4, 4 + this.expected);
      const rest = all.subarray(4 + this.expected);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
      this.expected = -1;
      this.enqueue(frame);
    }
    clearTimeout(this.stallTimer);
    if (this.buffered > 0 && !this.closed) {
      this.stallTimer = setTimeout(() => this.close(`sent ${this.buffered} bytes of a request, then nothing for ${this.limits.requestReadTimeoutMs} ms`),
        this.limits.requestReadTimeoutMs);
    }
  }

  private enqueue(frame: Buffer): void {
    this.pending.push(this.process(frame));
    if (this.pending.length >= this.limits.inFlightRequestsMax) this.socket.pause();
    void this.drain();
  }

  /** Writes responses strictly in request order. */
  private async drain(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    while (this.pending.length && !this.closed) {
      const response = await this.pending[0]!;
      this.pending.shift();
      if (response && !this.closed) {
        // No cork: a corked socket joins the chunks into one new buffer, copying
        // every record batch once more; the small pieces between batches are few.
        for (const chunk of response) this.socket.write(chunk);
      }
      if (this.pending.length < this.limits.inFlightRequestsMax) this.socket.resume();
    }
    this.writing = false;
  }

  private async process(frame: Buffer): Promise<Buffer[] | null> {
    const peek = peekRequestHeader(frame)!;
    const entry = API_TABLE.get(peek.apiKey);
    if (!entry) {
      this.close(`unknown API key ${peek.apiKey}`);
      return null;
    }
    if (peek.apiVersion < entry.minVersion || peek.apiVersion > entry.maxVersion) {
      if (peek.apiKey === API_VERSIONS_KEY) {
        // Answer in v0 with our list, so the client can retry with a version we speak.
        return [encodeResponse(API_VERSIONS_KEY, 0, peek.correlationId, {
          errorCode: KafkaErrorCode.UNSUPPORTED_VERSION,
          apiKeys: apiVersionsList(),
        })];
      }
      this.close(`${entry.name} v${peek.apiVersion} is not supported (${entry.minVersion}-${entry.maxVersion})`);
      return null;
    }
    let decoded;
    try {
      decoded = decodeRequest(frame);
    } catch (err) {
      this.close(`undecodable ${entry.name} v${peek.apiVersion} request: ${(err as Error).message}`);
      return null;
    }
    const counted = `${entry.name} v${peek.apiVersion}`;
    this.counts.set(counted, (this.counts.get(counted) ?? 0) + 1);
    try {
      const body = await entry.handler(this.ctx, decoded.body, { header: decoded.header, client: this.client });
      if (body === null) return null;
      return encodeResponseChunks(peek.apiKey, peek.apiVersion, peek.correlationId, body);
    } catch (err) {
      log(`${entry.name} v${peek.apiVersion} from ${this.client} failed: ${(err as Error).stack ?? String(err)}`);
      this.close("the request could not be answered");
      return null;
    }
  }
}

export function apiVersionsList(): { apiKey: number; minVersion: number; maxVersion: number }[] {
  return [...API_TABLE.entries()]
    .sort(([a], [b]) => a - b)
    .map(([apiKey, e]) => ({ apiKey, minVersion: e.minVersion, maxVersion: e.maxVersion }));
}

export class KafkaListener {
  private readonly connections = new Set<Connection>();
  readonly requestCounts: RequestCounts = new Map();

  private constructor(private readonly server: net.Server, readonly port: number) {}

  static async start(ctx: KafkaContext, host: string, port: number, limits: KafkaListenerLimits = DEFAULT_LIMITS): Promise<KafkaListener> {
    for (const [key, entry] of API_TABLE) {
      const schema = schemasFor(key);
      if (!schema || !inRange(schema.request.validVersions, entry.minVersion) || !inRange(schema.request.validVersions, entry.maxVersion)) {
        throw new Error(`API table advertises ${entry.name} ${entry.minVersion}-${entry.maxVersion} beyond its schema`);
      }
    }
    const server = net.createServer();
    let listener: KafkaListener | undefined;
    server.on("connection", (socket) => {
      if (!listener || listener.connections.size >= limits.connectionsMax) {
        log(`refusing ${socket.remoteAddress}:${socket.remotePort}: ${limits.connectionsMax} connections already open`);
        socket.destroy();
        return;
      }
      const connection = new Connection(socket, ctx, limits, listener.requestCounts);
      listener.connections.add(connection);
      socket.on("close", () => listener?.connections.delete(connection));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address() as net.AddressInfo;
    listener = new KafkaListener(server, address.port);
    return listener;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.connections) c.close();
    await closed;
  }
}
