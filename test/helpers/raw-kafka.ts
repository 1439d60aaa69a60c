// A minimal Kafka client over a raw socket, built on Tributary's own codec:
// for tests that need exact versions, bad frames, or to hold a connection idle.
import * as net from "node:net";
import { decodeResponse, encodeRequest } from "../../src/protocol/kafka-frame.js";
import type { Message } from "../../src/protocol/message-codec.js";

export class RawKafka {
  private buffered = Buffer.alloc(0);
  private waiters: ((frame: Buffer) => void)[] = [];
  private correlationId = 1;
  closed = false;
  readonly closedPromise: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on("data", (d) => {
      this.buffered = Buffer.concat([this.buffered, d]);
      while (this.buffered.length >= 4 && this.buffered.length >= 4 + this.buffered.readInt32BE(0)) {
        const frame = this.buffered.subarray(4, 4 + this.buffered.readInt32BE(0));
        this.buffered = this.buffered.subarray(4 + frame.length);
        this.waiters.shift()?.(frame);
      }
    });
    this.closedPromise = new Promise((resolve) => socket.on("close", () => {
      this.closed = true;
      resolve();
    }));
    socket.on("error", () => undefined);
  }

  static connect(address: string): Promise<RawKafka> {
    const [host, port] = address.split(":");
    return new Promise((resolve, reject) => {
      const socket = net.connect(Number(port), host!, () => resolve(new RawKafka(socket)));
      socket.once("error", reject);
    });
  }

  /** Sends a request and resolves with the decoded response body. */
  async request(apiKey: number, apiVersion: number, body: Message): Promise<Message> {
    const correlationId = this.correlationId++;
    const frame = await this.send(encodeRequest({ apiKey, apiVersion, correlationId, clientId: "raw-test" }, body));
    const decoded = decodeResponse(apiKey, apiVersion, frame);
    if (decoded.correlationId !== correlationId) throw new Error(`correlation id ${decoded.correlationId}, expected ${correlationId}`);
    return decoded.body;
  }

  /** Sends raw bytes (a whole frame, size included) and resolves with the next response frame. */
  send(bytes: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.waiters.push(resolve);
      this.socket.write(bytes);
      void this.closedPromise.then(() => reject(new Error("connection closed by the broker")));
    });
  }

  /** Sends several whole frames in one write and resolves with their `count` response frames, in order. */
  sendPipelined(bytes: Buffer, count: number): Promise<Buffer[]> {
    const responses = Array.from({ length: count }, () => new Promise<Buffer>((resolve, reject) => {
      this.waiters.push(resolve);
      void this.closedPromise.then(() => reject(new Error("connection closed by the broker")));
    }));
    this.socket.write(bytes);
    return Promise.all(responses);
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
  }
}
