// The Kafka protocol listener: accepts TCP connections, cuts the byte stream
// into size-prefixed frames (with limits), hands each request to its handler
// and writes responses back in request order. A client that misbehaves
// (oversize frame, garbage, unknown API, a request that does not arrive whole
// in time) loses its own connection, with a log line saying why; one that does
// not read its answers stops being read; the bytes of requests held across all
// connections are bounded. Everyone else keeps being served.

import * as net from "node:net";
import * as tls from "node:tls";
import { X509Certificate } from "node:crypto";
import { decodeRequest, encodeResponse, encodeResponseChunks, peekRequestHeader, schemasFor, API_VERSIONS_KEY } from "../../protocol/kafka-frame.js";
import { KafkaErrorCode } from "../../protocol/kafka-error-codes.js";
import { inRange } from "../../protocol/message-schema.js";
import { API_TABLE, apiVersionsList } from "./api-table.js";
import type { ConnectionSession, KafkaContext } from "./kafka-context.js";
import { ANONYMOUS, hostOf } from "../../security/acl.js";
import { LockedOutError } from "../../security/authentication.js";
import { opsLog } from "../../ops/ops-log.js";

const FETCH_KEY = 1;
const SASL_HANDSHAKE_KEY = 17;
const SASL_AUTHENTICATE_KEY = 36;
/** What a connection may ask before it has authenticated. */
const BEFORE_AUTHENTICATION = new Set([API_VERSIONS_KEY, SASL_HANDSHAKE_KEY, SASL_AUTHENTICATE_KEY]);


/**
 * A client certificate's subject as Kafka names an SSL principal: the
 * distinguished name in RFC 2253 order (most specific first), "User:CN=…,O=…".
 */
export function certificatePrincipal(socket: tls.TLSSocket): string | undefined {
  const raw = socket.getPeerCertificate()?.raw;
  if (!raw) return undefined;
  const subject = new X509Certificate(raw).subject;
  return `User:${subject.split("\n").reverse().join(",")}`;
}

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

/** Largest request a connection may send before it has authenticated (SASL messages are small). */
const UNAUTHENTICATED_FRAME_BYTES_MAX = 64 * 1024;

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
  /** A bare SASL token (after SaslHandshake v0), not a Kafka request. */
  raw: boolean;
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
  readonly session: ConnectionSession;

  constructor(private readonly socket: net.Socket, private readonly ctx: KafkaContext, private readonly limits: KafkaListenerLimits,
    private readonly counts: RequestCounts, private readonly memory: RequestMemory) {
    this.client = `${socket.remoteAddress}:${socket.remotePort}`;
    const certified = socket instanceof tls.TLSSocket && ctx.auth.options.clientCertificates ? certificatePrincipal(socket) : undefined;
    this.session = {
      principal: certified ?? ANONYMOUS,
      host: hostOf(socket.remoteAddress ?? "", false),
      // With SASL on, every connection authenticates; with client certificates alone, the TLS handshake did.
      authenticated: !ctx.auth.saslEnabled,
      rawTokens: false,
      expiresAtMs: Infinity,
    };
    if (!this.session.authenticated) {
      // Unauthenticated connections must not pile up: each has a deadline to say who it is.
      const timeoutMs = ctx.auth.options.authenticationTimeoutMs ?? 10_000;
      const deadline = setTimeout(() => {
        if (this.session.authenticated) return;
        this.close(`did not authenticate within ${timeoutMs} ms`);
      }, timeoutMs);
      deadline.unref();
      socket.once("close", () => clearTimeout(deadline));
    }
    socket.setNoDelay(true);
    socket.on("data", (data) => this.onData(data));
    socket.on("drain", () => this.startRequests());
    socket.on("error", () => this.close());
    socket.on("close", () => this.close());
  }

  /** `afterWrites`: what was written still goes out before the socket closes. */
  close(reason?: string, afterWrites = false): void {
    if (reason) log(`closing ${this.client}: ${reason}`);
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.frameTimer);
    this.memory.forget(this.resumeWhenRoom);
    this.chunks = [];
    if (afterWrites) {
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 1000).unref();
    } else {
      this.socket.destroy();
    }
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
        // A bare SASL token may be short; a request has at least its header's fixed part.
        const sizeMin = this.session.rawTokens ? 0 : 8;
        const sizeMax = this.session.authenticated ? this.limits.frameBytesMax : Math.min(this.limits.frameBytesMax, UNAUTHENTICATED_FRAME_BYTES_MAX);
        if (size < sizeMin || size > sizeMax) {
          this.close(`frame of ${size} bytes is outside [${sizeMin}, ${sizeMax}]${this.session.authenticated ? "" : " before authentication"}`);
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
      const raw = this.session.rawTokens;
      this.requests.push({ frame, apiKey: !raw && frame.length >= 2 ? frame.readInt16BE(0) : -1, raw });
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
      request.response = request.raw ? this.rawToken(request.frame) : this.process(request.frame);
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
      if (this.session.closeAfterAnswer) {
        // The answer (a failed authentication) goes out, then the connection closes.
        this.close(this.session.closeAfterAnswer, true);
        break;
      }
      this.startRequests();
      this.onData(undefined);
    }
    this.writing = false;
  }
  /** A bare SASL token after SaslHandshake v0: the reply goes back size-prefixed; a refusal closes the connection, as Kafka does. */
  private async rawToken(frame: Buffer): Promise<Buffer[] | null> {
    const exchange = this.session.exchange;
    if (!exchange) {
      this.close("a SASL token arrived with no exchange under way");
      return null;
    }
    try {
      const { reply, principal } = await exchange.step(frame);
      if (principal) this.authenticated(principal);
      const size = Buffer.alloc(4);
      size.writeInt32BE(reply.length);
      return [size, reply];
    } catch (err) {
      if (!(err instanceof LockedOutError)) this.ctx.auth.failed(exchange.mechanism, this.client, exchange.userName, (err as Error).message);
      await this.ctx.auth.failureDelay();
      this.close(`authentication with ${exchange.mechanism} failed`);
      return null;
    }
  }

  private authenticated(principal: string): void {
    const reauthMs = this.ctx.auth.options.reauthMs;
    Object.assign(this.session, { principal, authenticated: true, exchange: undefined, rawTokens: false, expiresAtMs: reauthMs > 0 ? Date.now() + reauthMs : Infinity });
  }

  private async process(frame: Buffer): Promise<Buffer[] | null> {
    const peek = peekRequestHeader(frame)!;
    const entry = API_TABLE.get(peek.apiKey);
    if (!entry) {
      this.close(`unknown API key ${peek.apiKey}`);
      return null;
    }
    if (!this.session.authenticated && !BEFORE_AUTHENTICATION.has(peek.apiKey)) {
      this.ctx.auth.failed("SASL", this.client, "", `sent ${entry.name} before authenticating`);
      this.close(`${entry.name} before SASL authentication (the listener requires ${this.ctx.auth.options.mechanisms.join(", ")})`);
      return null;
    }
    if (this.session.expiresAtMs <= Date.now() && peek.apiKey !== SASL_HANDSHAKE_KEY && peek.apiKey !== SASL_AUTHENTICATE_KEY) {
      this.close(`the session of ${this.session.principal} expired without re-authentication`);
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
      const body = await entry.handle(this.ctx, decoded.body, { header: decoded.header, client: this.client, session: this.session });
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

  /** `tlsOptions`: serve TLS (with `requestCert`, client certificates) instead of plain TCP. */
  static async start(ctx: KafkaContext, host: string, port: number, limits: KafkaListenerLimits = DEFAULT_LIMITS,
    tlsOptions?: tls.TlsOptions): Promise<KafkaListener> {
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
    const server = tlsOptions ? tls.createServer(tlsOptions) : net.createServer();
    let listener: KafkaListener | undefined;
    if (tlsOptions) {
      server.on("tlsClientError", (err: Error, socket: tls.TLSSocket) => {
        ctx.auth.failed("TLS", `${socket.remoteAddress}:${socket.remotePort}`, "", err.message);
        socket.destroy();
      });
    }
    server.on(tlsOptions ? "secureConnection" : "connection", (socket: net.Socket) => {
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
