// The HTTP API (hono): publish and read records, topic admin, Confluent REST
// Proxy v2 produce, the schema registry, health. Errors are JSON with a
// Confluent-style error_code, produced in one place.

import { Hono, type Context } from "hono";
import type { LogManager } from "../../log/log-manager.js";
import type { SchemaRegistry } from "../../schema/schema-registry.js";
import type { RecordValidation } from "../../schema/record-validation.js";
import type { BrokerMetrics } from "../metrics.js";
import type { HttpConsumers } from "./http-consumer.js";
import type { RecordAccumulator } from "./record-accumulator.js";
import type { GroupCoordinator } from "../groups/group-coordinator.js";
import { registerConsumerRoutes } from "./consumer-routes.js";
import { docsPage, openApiDocument } from "./openapi.js";

const VERSION = "0.1.0";
import { HttpError, toHttpError } from "./http-error.js";
import { registerTopicRoutes } from "./topic-routes.js";
import { registerRegistryRoutes } from "./registry-routes.js";
import { registerStreamRoutes } from "./stream-routes.js";
import { registerGroupRoutes } from "./group-routes.js";

export interface HttpDeps {
  logs: LogManager;
  registry: SchemaRegistry;
  validation: RecordValidation;
  metrics: BrokerMetrics;
  consumers: HttpConsumers;
  groups: GroupCoordinator;
  accumulator: RecordAccumulator;
  bodyBytesMax: number;
}

/** Reads a request body as text within the size limit. */
export async function bodyText(c: Context, limit: number): Promise<string> {
  const declared = Number(c.req.header("content-length") ?? 0);
  if (declared > limit) throw new HttpError(413, 41300, `request body of ${declared} bytes exceeds the limit of ${limit}`);
  const text = await c.req.text();
  if (Buffer.byteLength(text) > limit) throw new HttpError(413, 41300, `request body exceeds the limit of ${limit} bytes`);
  return text;
}

export async function bodyJson(c: Context, limit: number): Promise<unknown> {
  const text = await bodyText(c, limit);
  if (text.trim() === "") throw new HttpError(400, 40001, "request body is empty; JSON expected");
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, 40001, `request body is not valid JSON: ${(err as Error).message}`);
  }
}

export function buildHttpApp(deps: HttpDeps): Hono {
  const app = new Hono();
  app.onError((err, c) => {
    const http = toHttpError(err);
    if (http) return c.json({ error_code: http.errorCode, message: http.message, ...http.extra }, http.status as 400);
    process.stderr.write(`tributary http: ${c.req.method} ${c.req.path} failed: ${(err as Error)?.stack ?? String(err)}\n`);
    return c.json({ error_code: 50001, message: "internal error; the broker logged it" }, 500);
  });
  app.notFound((c) => c.json({ error_code: 40400, message: `no route for ${c.req.method} ${c.req.path}` }, 404));
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", (c) => c.json({ status: "ready", topics: deps.logs.listTopics().length }));
  app.get("/brokers", (c) => c.json({ brokers: [0] }));
  app.get("/openapi.json", (c) => c.json(openApiDocument(VERSION)));
  app.get("/docs", (c) => c.html(docsPage()));
  app.get("/metrics", async (c) => c.text(await deps.metrics.registry.metrics(), 200, { "content-type": deps.metrics.registry.contentType }));
  registerTopicRoutes(app, deps);
  registerStreamRoutes(app, deps);
  registerConsumerRoutes(app, deps);
  registerGroupRoutes(app, deps);
  // The registry answers at the root (as Confluent's does) and under /schema-registry,
  // for clients configured with a prefixed URL behind one port.
  const registry = new Hono();
  registerRegistryRoutes(registry, deps);
  app.route("/", registry);
  app.route("/schema-registry", registry);
  return app;
}
