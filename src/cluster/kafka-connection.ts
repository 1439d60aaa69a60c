// One connection to one broker of a Kafka cluster, speaking the protocol with
// Tributary's own codec (the generated request and response definitions).
// Requests are pipelined; the broker answers in order. A request that gets no
// answer in time, or a connection that drops, fails every request in flight
// with ClusterUnavailableError (retriable), and the next request connects again.

import * as net from "node:net";
import * as tls from "node:tls";
import { decodeResponse, encodeRequest } from "../protocol/kafka-frame.js";
import type { Message } from "../protocol/message-codec.js";
import { KafkaErrorCode } from "../protocol/kafka-error-codes.js";
import { LogError } from "../log/errors.js";
import { ScramClient, isScramMechanism } from "../security/scram.js";
import type { SaslAuthenticateResponse, SaslHandshakeResponse } from "../protocol/generated/message-types.js";

/** SASL credentials for a broker that requires them. */
export interface SaslCredentials {
  mechanism: "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512";
  user: string;
  password: string;
}

/** The broker refused our credentials: not retriable, the operator must fix them. */
export class ClusterAuthenticationError extends LogError {
  constructor(message: string) {
    super("sasl_authentication_failed", KafkaErrorCode.SASL_AUTHENTICATION_FAILED, message);
  }
}

const SASL_HANDSHAKE = 17;
const SASL_AUTHENTICATE = 36;

/** Largest response frame taken from a broker (a Fetch answer is bounded by what we ask for). */
const RESPONSE_BYTES_MAX = 256 * 1024 * 1024;

export class ClusterUnavailableError extends LogError {
  constructor(message: string) {
    // NOT_LEADER_OR_FOLLOWER is retriable for Kafka clients: they refresh metadata and try again.
    super("cluster_unavailable", KafkaErrorCode.NOT_LEADER_OR_FOLLOWER, message);
  }
}

interface Pending {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  resolve(body: Message): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

export class KafkaConnection {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly pending: Pending[] = [];
  private correlationId = 0;
  private closedWith: Error | undefined;

  private constructor(private readonly socket: net.Socket, readonly address: string, private readonly clientId: string) {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("error", (err) => this.fail(new ClusterUnavailableError(`connection to ${address} failed: ${err.message}`)));
    socket.on("close", () => this.fail(new ClusterUnavailableError(`connection to ${address} closed`)));
  }

  /**
   * `tlsOptions`: connect over TLS (the cluster's certificate checked against `ca`, or the system's CAs).
   * `sasl`: authenticate before the connection is handed out (SaslHandshake v1, SaslAuthenticate v1).
   */
  static async connect(address: string, clientId: string, timeoutMs: number, tlsOptions?: { ca?: string }, sasl?: SaslCredentials): Promise<KafkaConnection> {
    const connection = await KafkaConnection.open(address, clientId, timeoutMs, tlsOptions);
    if (!sasl) return connection;
    try {
      await connection.authenticate(sasl, timeoutMs);
      return connection;
    } catch (err) {
      connection.close();
      throw err;
    }
  }

  private async authenticate(sasl: SaslCredentials, timeoutMs: number): Promise<void> {
    const handshake = await this.request(SASL_HANDSHAKE, 1, { mechanism: sasl.mechanism }, timeoutMs) as unknown as SaslHandshakeResponse;
    if (handshake.errorCode !== 0) {
      throw new ClusterAuthenticationError(`${this.address} does not take SASL ${sasl.mechanism} (it offers ${handshake.mechanisms.join(", ") || "none"})`);
    }
    const step = async (bytes: Buffer): Promise<Buffer> => {
      const answer = await this.request(SASL_AUTHENTICATE, 1, { authBytes: bytes }, timeoutMs) as unknown as SaslAuthenticateResponse;
      if (answer.errorCode !== 0) throw new ClusterAuthenticationError(`${this.address} refused ${sasl.user} (${sasl.mechanism}): ${answer.errorMessage ?? `error ${answer.errorCode}`}`);
      return answer.authBytes;
    };
    if (isScramMechanism(sasl.mechanism)) {
      const scram = new ScramClient(sasl.mechanism, sasl.user, sasl.password);
      const serverFirst = await step(scram.first());
      const serverFinal = await step(scram.final(serverFirst));
      try {
        scram.check(serverFinal);
      } catch (err) {
        throw new ClusterAuthenticationError(`${this.address}: ${(err as Error).message}`);
      }
    } else {
      await step(Buffer.from(`\0${sasl.user}\0${sasl.password}`, "utf8"));
    }
  }

  private static open(address: string, clientId: string, timeoutMs: number, tlsOptions?: { ca?: string }): Promise<KafkaConnection> {
    const cut = address.lastIndexOf(":");
    const host = address.slice(0, cut).replace(/^\[|\]$/g, "");
    const port = Number(address.slice(cut + 1));
    return new Promise((resolve, reject) => {
      const socket = tlsOptions
        ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, ca: tlsOptions.ca })
        : net.connect({ host, port });
      const ready = tlsOptions ? "secureConnect" : "connect";
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ClusterUnavailableError(`cannot reach ${address} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once(ready, () => {
        clearTimeout(timer);
        resolve(new KafkaConnection(socket, address, clientId));
      });
      socket.once("error", (err) => {
        clearTimeout(timer);
        reject(new ClusterUnavailableError(`cannot reach ${address}: ${err.message}`));
      });
    });
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Sends one request; resolves with the decoded response body. */
  request(apiKey: number, apiVersion: number, body: Message, timeoutMs: number): Promise<Message> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const correlationId = (this.correlationId = (this.correlationId + 1) & 0x7fffffff);
    const frame = encodeRequest({ apiKey, apiVersion, correlationId, clientId: this.clientId }, body);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new ClusterUnavailableError(`${this.address} did not answer within ${timeoutMs} ms`)), timeoutMs);
      this.pending.push({ apiKey, apiVersion, correlationId, resolve, reject, timer });
      this.socket.write(frame);
    });
  }

  close(): void {
    this.fail(new ClusterUnavailableError(`connection to ${this.address} closed`));
  }

  private receive(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0);
      if (size < 4 || size > RESPONSE_BYTES_MAX) {
        this.fail(new ClusterUnavailableError(`${this.address} sent a response frame of ${size} bytes`));
        return;
      }
      if (this.buffered.length < 4 + size) return;
      const frame = this.buffered.subarray(4, 4 + size);
      this.buffered = this.buffered.subarray(4 + size);
      const waiting = this.pending.shift();
      if (!waiting) {
        this.fail(new ClusterUnavailableError(`${this.address} answered a request never sent`));
        return;
      }
      clearTimeout(waiting.timer);
      try {
        const decoded = decodeResponse(waiting.apiKey, waiting.apiVersion, frame);
        if (decoded.correlationId !== waiting.correlationId) throw new Error(`correlation id ${decoded.correlationId}, expected ${waiting.correlationId}`);
        waiting.resolve(decoded.body);
      } catch (err) {
        waiting.reject(new ClusterUnavailableError(`undecodable answer from ${this.address}: ${(err as Error).message}`));
        this.fail(new ClusterUnavailableError(`undecodable answer from ${this.address}`));
        return;
      }
    }
  }

  private fail(err: Error): void {
    if (!this.closedWith) {
      this.closedWith = err;
      this.socket.destroy();
    }
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(err);
    }
  }
}
