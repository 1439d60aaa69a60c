// Reference for bench/http-bench.ts: a hello-world hono POST endpoint on the same runtime.
import { Hono } from "hono";

const app = new Hono();
app.post("/hello", async (c) => {
  await c.req.text();
  return c.json({ hello: "world" });
});
const server = (globalThis as unknown as { Bun: { serve(o: object): { port: number } } }).Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: app.fetch });
process.stdout.write(`${server.port}\n`);
