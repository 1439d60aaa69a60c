// The Kafka protocol listener: accepts TCP connections, cuts the byte stream
// into size-prefixed frames (with limits), hands each request to its handler
// and writes responses back in request order. A client that misbehaves
// (oversize frame, garbage, unknown API, a request that does not arrive whole
// in time) loses its own connection, with a log line saying why; one that does
// not read its answers stops being read; the bytes of requests held across all
// connections are bounded. Everyone else keeps being served.

import * as net from "node:net";
import { decodeRequest, encodeResponse, encodeResponseChunks, peekRequestHeader, schemasFor, API_VERSIONS_KEY } from "../../protocol/kafka-frame.js";
import { KafkaErrorCode } from "../../protocol/kafka-error-codes.js";
import { inRange } from "../../protocol/message-schema.js";
import { API_TABLE, apiVersionsList } from "./api-table.js";
import type { KafkaContext } from "./kafka-context.js";
import { opsLog } from "../../ops/ops-log.js";

const FETCH_KEY = 1;

export interface KafkaListenerLimits {
  /** Largest request frame accepted (Kafka's socket.request.max.bytes). */
  frameBytesMax: number;
  connectionsMax: number;
  /** How long a request may take to arrive whole, from its first byte. */
  requestReadTimeoutMs: number;
  /** Requests one connection may have read and not yet answered before reading pauses. */
  inFlightRequestsMax: number;
  /** Bytes of requests read or being read, over all connections, before reading pauses (Kafka's queued.max.request.bytes). */
  queuedRequestBytesMax: number;
  /** Unsent response bytes of one connection before it starts no further request. */
  connectionResponseBytesMax: number;
}

export const DEFAULT_LIMITS: KafkaListenerLimits = {
  frameBytesMax: 100 * 1024 * 1024,
  connectionsMax: 20_000,
  requestReadTimeoutMs: 30_000,
  inFlightRequestsMax: 64,
  queuedRequestBytesMax: 512 * 1024 * 1024,
  connectionResponseBytesMax: 16 * 1024 * 1024,
};

/** A client's mistake or a refusal: one line, no stack. */
function log(message: string): void {
  opsLog("kafka").warn(message);
}

/** Requests served, by "ApiName vN": the seed of the broker's metrics. */
export type RequestCounts = Map<string, number>;

/**
 * The bytes of requests held in memory across all connections: a frame's size
 * is taken when its length prefix arrives and given back once it is answered.
 * A connection that cannot take its next frame stops reading until some
 * other request completes.
 */
class RequestMemory {
  private used = 0;
  private readonly blocked = new Set<() => void>();

  constructor(readonly bytesMax: number) {}

  tryTake(bytes: number): boolean {
    if (this.used > 0 && this.used + bytes > this.bytesMax) return false;
    this.used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.used -= bytes;
    for (const wake of [...this.blocked]) {
      this.blocked.delete(wake);
      wake();
    }
  }

  waitForRoom(wake: () => void): void {
    this.blocked.add(wake);
  }

  forget(wake: () => void): void {
    this.blocked.delete(wake);
  }
}

interface Request {
  frame: Buffer;
  apiKey: number;
  response?: Promise<Buffer[] | null>;
}

class Connection {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Requests in arrival order: started ones have a response promise; answers go out strictly in this order. */
  private requests: Request[] = [];
  private started = 0;
  private writing = false;
  private frameTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Size of the frame being read, once its 4-byte prefix has arrived (-1 before). */
  private expected = -1;
  /** Bytes taken from the shared request memory for frames read or being read. */
  private heldBytes = 0;
  private readonly resumeWhenRoom = () => this.onData(undefined);
  readonly client: string;

  constructor(private readonly socket: net.Socket, private readonly ctx: KafkaContext, private readonly limits: KafkaListenerLimits,
    private readonly counts: RequestCounts, private readonly memory: RequestMemory) {
    this.client = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay(true);
    socket.on("data", (data) => this.onData(data));
    socket.on("drain", () => this.startRequests());
    socket.on("error", () => this.close());
    socket.on("close", () => this.close());
  }

  close(reason?: string): void {
    if (reason) log(`closing ${this.client}: ${reason}`);
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.frameTimer);
    this.memory.forget(this.resumeWhenRoom);
    this.chunks = [];
    this.socket.destroy();
    this.requests = [];
    this.giveBack(this.heldBytes);
  }

  private giveBack(bytes: number): void {
    if (bytes <= 0) return;
    this.heldBytes -= bytes;
    this.memory.release(bytes);
  }

  private onData(data: Buffer | undefined): void {
    if (this.closed) return;
    if (data) {
      this.chunks.push(data);
      this.buffered += data.length;
    }
    while (!this.closed) {
      if (this.expected < 0) {
        if (this.buffered < 4) break;
        if (this.chunks[0]!.length < 4) this.chunks = [Buffer.concat(this.chunks)];
        const size = this.chunks[0]!.readInt32BE(0);
        if (size < 8 || size > this.limits.frameBytesMax) {
          this.close(`frame of ${size} bytes is outside [8, ${this.limits.frameBytesMax}]`);
          return;
        }
        if (this.requests.length >= this.limits.inFlightRequestsMax || !this.memory.tryTake(size)) {
          // No room: stop reading until a request of ours (or anyone's) completes.
          this.socket.pause();
          if (this.requests.length < this.limits.inFlightRequestsMax) this.memory.waitForRoom(this.resumeWhenRoom);
          return;
        }
        this.heldBytes += size;
        this.expected = size;
        // A deadline for the whole frame, not an idle timer: trickling bytes does not extend it.
        clearTimeout(this.frameTimer);
        this.frameTimer = setTimeout(() => this.close(`a request of ${size} bytes did not arrive whole within ${this.limits.requestReadTimeoutMs} ms`),
          this.limits.requestReadTimeoutMs);
      }
      if (this.buffered < 4 + this.expected) {
        this.socket.resume();
        return;
      }
      clearTimeout(this.frameTimer);
      // Concatenate only once the whole frame is here: a large frame in many chunks is copied once.
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
      const frame = all.subarray(4, 4 + this.expected);
      const rest = all.subarray(4 + this.expected);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
      this.expected = -1;
      this.requests.push({ frame, apiKey: frame.length >= 2 ? frame.readInt16BE(0) : -1 });
      this.startRequests();
    }
    if (!this.closed && this.buffered > 0 && this.expected < 0 && this.buffered < 4) {
      // Part of a length prefix: the frame's deadline starts with its first byte.
      clearTimeout(this.frameTimer);
      this.frameTimer = setTimeout(() => this.close(`sent ${this.buffered} bytes of a request, then nothing for ${this.limits.requestReadTimeoutMs} ms`),
        this.limits.requestReadTimeoutMs);
    }
    if (!this.closed) this.socket.resume();
  }

  /** Bytes answered but not yet taken by the client. */
  private unsentBytes(): number {
    return this.socket.writableLength;
  }

  /**
   * Starts handling requests in order while the client keeps up with its
   * answers. A Fetch may need a large answer, so it starts only once every
   * earlier request is answered: pipelined fetches that are never read cannot
   * pile up responses in memory. Produce and the small APIs run concurrently,
   * so pipelined produces share group commits.
   */
  private startRequests(): void {
    while (!this.closed && this.started < this.requests.length && this.unsentBytes() < this.limits.connectionResponseBytesMax) {
      const request = this.requests[this.started]!;
      if (request.apiKey === FETCH_KEY && this.started > 0) break;
      request.response = this.process(request.frame);
      this.started++;
    }
    void this.drain();
  }

  /** Writes responses strictly in request order. */
  private async drain(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    while (!this.closed && this.requests[0]?.response) {
      const request = this.requests[0];
      const response = await request.response;
      if (this.closed) break;
      this.requests.shift();
      this.started--;
      // No cork: a corked socket joins the chunks into one new buffer, copying
      // every record batch once more; the small pieces between batches are few.
      if (response) for (const chunk of response) this.socket.write(chunk);
      this.giveBack(request.frame.length);
      this.startRequests();
      this.onData(undefined);
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
    if (decoded.trailingBytes > 0) this.ctx.metrics.trailingBytes(counted, decoded.trailingBytes);
    try {
      const body = await entry.handle(this.ctx, decoded.body, { header: decoded.header, client: this.client });
      this.ctx.metrics.kafkaRequest(entry.name, peek.apiVersion, body);
      if (body === null) return null;
      return encodeResponseChunks(peek.apiKey, peek.apiVersion, peek.correlationId, body);
    } catch (err) {
      opsLog("kafka").error(`${entry.name} v${peek.apiVersion} from ${this.client} failed: ${(err as Error).stack ?? String(err)}`);
      this.close("the request could not be answered");
      return null;
    }
  }
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
    if (limits.frameBytesMax > limits.queuedRequestBytesMax) {
      throw new Error(`the largest request (${limits.frameBytesMax} bytes) must fit in the request memory (${limits.queuedRequestBytesMax} bytes)`);
    }
    const memory = new RequestMemory(limits.queuedRequestBytesMax);
    const server = net.createServer();
    let listener: KafkaListener | undefined;
    server.on("connection", (socket) => {
      if (!listener || listener.connections.size >= limits.connectionsMax) {
        log(`refusing ${socket.remoteAddress}:${socket.remotePort}: ${limits.connectionsMax} connections already open`);
        socket.destroy();
        return;
      }
      const connection = new Connection(socket, ctx, limits, listener.requestCounts, memory);
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
