// Serving the HTTP app: Bun.serve inside the binary and under Bun, the Node
// adapter when the broker is embedded in a Node process. Both get the same
// limits: body size, a deadline for a request's headers and body, and a
// connection limit.

import type { Hono } from "hono";

export interface HttpServerHandle {
  port: number;
  /** Requests being answered now, long-lived responses included. */
  requestsInFlight(): number;
  close(): Promise<void>;
}

export interface HttpListenLimits {
  bodyBytesMax: number;
  connectionsMax: number;
  requestTimeoutMs: number;
}

interface BunServer {
  port: number;
  pendingRequests: number;
  stop(closeActive?: boolean): Promise<void> | void;
  timeout(request: Request, seconds: number): void;
}

/** TLS for the HTTP listener: PEM certificate and key, and a CA when clients must present certificates. */
export interface HttpTls {
  cert: string;
  key: string;
  ca?: string;
  requestCert?: boolean;
  rejectUnauthorized?: boolean;
}

interface BunLike {
  serve(options: {
    hostname: string; port: number; maxRequestBodySize?: number; idleTimeout?: number; tls?: HttpTls;
    fetch: (req: Request, server: BunServer) => Response | Promise<Response>;
  }): BunServer;
}

const tooBusy = () => new Response(JSON.stringify({ error_code: 50302, message: "too many requests in progress; try again" }),
  { status: 503, headers: { "content-type": "application/json", "retry-after": "1" } });

export async function listenHttp(app: Hono, host: string, port: number, limits: HttpListenLimits, tls?: HttpTls): Promise<HttpServerHandle> {
  const tlsOptions = tls ? { cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: tls.requestCert ?? false, rejectUnauthorized: tls.rejectUnauthorized ?? false } : undefined;
  const bun = (globalThis as { Bun?: BunLike }).Bun;
  if (bun) {
    // Bun closes a connection whose headers take longer than about 10 s by itself;
    // idleTimeout bounds a body that trickles in. Event streams and long polls lift
    // it for their own request (keepOpen below). Bun.serve has no connection
    // count: requests in progress are bounded instead.
    const server = bun.serve({
      // The body limit is ours to enforce (request-body.ts), so that a refusal is a JSON 413;
      // Bun's own would answer an empty one.
      hostname: host, port, maxRequestBodySize: 2 ** 40, ...(tlsOptions ? { tls: tlsOptions } : {}), idleTimeout: Math.min(255, Math.max(1, Math.ceil(limits.requestTimeoutMs / 1000))),
      fetch: (req, srv) => (srv.pendingRequests > limits.connectionsMax ? tooBusy() : app.fetch(req, srv)),
    });
    return { port: server.port, requestsInFlight: () => server.pendingRequests, close: async () => void (await server.stop(true)) };
  }
  const { createAdaptorServer } = await import("@hono/node-server");
  const server = (tlsOptions
    ? createAdaptorServer({ fetch: app.fetch, createServer: (await import("node:https")).createServer, serverOptions: { ...tlsOptions, minVersion: "TLSv1.2" } })
    : createAdaptorServer({ fetch: app.fetch })) as import("node:http").Server;
  server.maxConnections = limits.connectionsMax;
  let inFlight = 0;
  // Counted before the app sees the request: a handler may run to its end within the event.
  server.prependListener("request", (_req, res: import("node:http").ServerResponse) => {
    inFlight++;
    res.once("close", () => inFlight--);
  });
  server.headersTimeout = limits.requestTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as { port: number };
  return {
    port: address.port,
    requestsInFlight: () => inFlight,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/**
 * Lifts the idle timeout for one long-lived response (an event stream, a long
 * poll) under Bun.serve; the Node adapter times only the request's arrival,
 * so there is nothing to lift.
 */
export function keepOpen(env: unknown, request: Request): void {
  (env as Partial<BunServer> | undefined)?.timeout?.(request, 0);
}

interface NodeEnv {
  incoming?: { socket?: { remoteAddress?: string; remotePort?: number } };
}

/** "ip:port" of the client that sent `request`, under Bun.serve or the Node adapter. */
export function peerAddress(env: unknown, request: Request): string {
  const bunPeer = (env as { requestIP?: (r: Request) => { address: string; port: number } | null } | undefined)?.requestIP?.(request);
  if (bunPeer) return `${bunPeer.address}:${bunPeer.port}`;
  const socket = (env as NodeEnv | undefined)?.incoming?.socket;
  return socket?.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort}` : "unknown";
}
