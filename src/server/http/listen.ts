// Serving the HTTP app: Bun.serve inside the binary and under Bun, the Node
// adapter when the broker is embedded in a Node process.

import type { Hono } from "hono";

export interface HttpServerHandle {
  port: number;
  close(): Promise<void>;
}

interface BunLike {
  serve(options: { hostname: string; port: number; fetch: (req: Request) => Response | Promise<Response>; maxRequestBodySize?: number; idleTimeout?: number }): {
    port: number;
    stop(closeActive?: boolean): Promise<void> | void;
  };
}

export async function listenHttp(app: Hono, host: string, port: number, bodyBytesMax: number): Promise<HttpServerHandle> {
  const bun = (globalThis as { Bun?: BunLike }).Bun;
  if (bun) {
    // idleTimeout 0: long polls and event streams may stay quiet for a while.
    const server = bun.serve({ hostname: host, port, fetch: app.fetch, maxRequestBodySize: bodyBytesMax, idleTimeout: 0 });
    return { port: server.port, close: async () => void (await server.stop(true)) };
  }
  const { createAdaptorServer } = await import("@hono/node-server");
  const server = createAdaptorServer({ fetch: app.fetch });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as { port: number };
  return {
    port: address.port,
    close: () => new Promise<void>((resolve) => {
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}
