// A TCP proxy between Kafka clients and a broker that can lose an answer: it
// relays whole frames both ways, and when armed it holds back the response to
// the next request of a given API key and runs a callback instead (a test
// kills the broker there: the request was served, its answer never arrives).
// The broker behind it can be swapped, so a restarted broker on another port
// stays reachable at the proxy's address.
import * as net from "node:net";

function frames(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let buffered = Buffer.alloc(0);
  return (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
      const size = 4 + buffered.readInt32BE(0);
      onFrame(buffered.subarray(0, size));
      buffered = buffered.subarray(size);
    }
  };
}

export class KafkaProxy {
  private target = 0;
  private armed: { apiKey: number; onHeldBack: () => void } | undefined;
  private readonly sockets = new Set<net.Socket>();

  private constructor(private readonly server: net.Server, readonly port: number) {}

  static async start(): Promise<KafkaProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const proxy = new KafkaProxy(server, (server.address() as net.AddressInfo).port);
    server.on("connection", (client) => proxy.relay(client));
    return proxy;
  }

  /** The broker port new connections go to. */
  retarget(port: number): void {
    this.target = port;
  }

  /** Holds back the response to the next request with `apiKey`, closes the client's connection and calls `onHeldBack`. */
  loseNextAnswer(apiKey: number, onHeldBack: () => void): void {
    this.armed = { apiKey, onHeldBack };
  }

  private relay(client: net.Socket): void {
    const broker = net.connect(this.target, "127.0.0.1");
    this.sockets.add(client).add(broker);
    const doomed = new Set<number>(); // correlation ids whose answers are lost
    client.on("data", frames((frame) => {
      const apiKey = frame.readInt16BE(4);
      if (this.armed && apiKey === this.armed.apiKey) doomed.add(frame.readInt32BE(8));
      broker.write(frame);
    }));
    broker.on("data", frames((frame) => {
      const correlationId = frame.readInt32BE(4);
      if (doomed.has(correlationId) && this.armed) {
        const { onHeldBack } = this.armed;
        this.armed = undefined;
        client.destroy();
        broker.destroy();
        onHeldBack();
        return;
      }
      client.write(frame);
    }));
    const close = () => {
      client.destroy();
      broker.destroy();
    };
    client.on("error", close).on("close", close);
    broker.on("error", close).on("close", close);
  }

  close(): void {
    for (const s of this.sockets) s.destroy();
    this.server.close();
  }
}
