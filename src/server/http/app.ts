// The HTTP API (hono): publish and read records, topic admin, Confluent REST
// Proxy v2 produce, the schema registry, health. Errors are JSON with a
// Confluent-style error_code, produced in one place.

import { Hono } from "hono";
import { VERSION } from "../../config/version.js";
import type { HttpDeps } from "./http-deps.js";
import { cors } from "hono/cors";
import { registerConsumerRoutes } from "./consumer-routes.js";
import { docsPage, openApiDocument } from "./openapi.js";
import { HttpError, toHttpError } from "./http-error.js";
import { registerTopicRoutes } from "./topic-routes.js";
import { registerRegistryRoutes } from "./registry-routes.js";
import { registerStreamRoutes } from "./stream-routes.js";
import { registerGroupRoutes } from "./group-routes.js";
import { registerV3Routes } from "./v3-routes.js";
import { registerSqlRoutes } from "./sql-routes.js";
import { registerAdminRoutes } from "./admin-routes.js";
import { opsLog } from "../../ops/ops-log.js";
import { doc } from "./api-doc.js";
import { peerAddress } from "./listen.js";
import * as api from "./api-schemas.js";
import { needOf } from "./http-auth.js";
import { registerTokenRoutes } from "./token-routes.js";

export type { HttpDeps } from "./http-deps.js";

const STATE_CHANGING = new Set(["POST", "PUT", "PATCH"]);
const TOPIC_PATH = /^(?:\/v3\/clusters\/[^/]+)?\/topics\/([^/]+)/;
const JSON_CONTENT_TYPE = /^\s*application\/(json|x-ndjson|ndjson|jsonl|x-jsonlines|vnd\.kafka\.[a-z.0-9]*\+json|vnd\.schemaregistry\.[a-z.0-9]*\+json|[a-z.0-9-]+\+json)\s*(;|$)/i;

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

export function buildHttpApp(deps: HttpDeps): Hono {
  const app = new Hono();
  app.onError((err, c) => {
    const http = toHttpError(err);
    if (http) {
      // A client's mistake or a refusal: one line, no stack.
      opsLog("http")[http.status >= 500 ? "warn" : "info"]({ status: http.status, error_code: http.errorCode, from: peerAddress(c.env, c.req.raw) }, `refused ${c.req.method} ${c.req.path}: ${http.message}`);
      // A 401 names the schemes it takes, so that browsers and clients know to send credentials.
      if (http.status === 401) c.header("www-authenticate", 'Basic realm="tributary", Bearer realm="tributary"');
      return c.json({ error_code: http.errorCode, message: http.message, ...http.extra }, http.status as 400);
    }
    opsLog("http").error(`${c.req.method} ${c.req.path} failed: ${(err as Error)?.stack ?? String(err)}`);
    return c.json({ error_code: 50001, message: "internal error; the broker logged it" }, 500);
  });
  app.notFound((c) => c.json({ error_code: 40400, message: `no route for ${c.req.method} ${c.req.path}` }, 404));
  if (deps.corsOrigins?.length) app.use("*", cors({ origin: deps.corsOrigins }));
  // One guard for every request (one middleware layer costs less than several):
  app.use("*", async (c, next) => {
    // A web page can send a "simple" cross-origin POST (text/plain, forms) without
    // asking first; a JSON content type cannot be sent that way, so requiring one
    // keeps any page a browser opens from changing state here. DELETE always
    // needs the browser to ask first, and CORS answers no unless configured.
    if (STATE_CHANGING.has(c.req.method) && !JSON_CONTENT_TYPE.test(c.req.header("content-type") ?? "")) {
      throw new HttpError(415, 41501, `${c.req.method} needs a JSON content type (application/json, application/x-ndjson, application/vnd.kafka.*+json or application/vnd.schemaregistry.*+json), not '${c.req.header("content-type") ?? "none"}'`);
    }
    // The internal topics hold the broker's own state: HTTP neither reads nor writes them.
    const topic = TOPIC_PATH.exec(c.req.path)?.[1];
    if (topic !== undefined && deps.logs.isInternalTopic(safeDecode(topic))) throw new HttpError(403, 40301, `'${safeDecode(topic)}' is an internal topic`);
    // A topic another client created may not be known here yet (cluster mode): ask once before anything answers 404.
    if (topic !== undefined && deps.logs.lookUpTopic && !deps.logs.hasTopic(safeDecode(topic))) await deps.logs.lookUpTopic(safeDecode(topic));
    await next();
  });
  app.use("*", (c, next) => deps.access.middleware(deps.registry)(c, next));
  app.get("/healthz", doc({ tags: ["health"], summary: "liveness", responses: { 200: api.Health } }), (c) => c.json({ status: "ok" }));
  app.get("/readyz", doc({ tags: ["health"], summary: "readiness: 503 while any partition refuses writes", responses: { 200: api.Ready } }), (c) => {
    const refusing = deps.writesRefused?.() ?? [];
    if (refusing.length) return c.json({ status: "not ready", partitions_refusing_writes: refusing }, 503);
    return c.json({ status: "ready", topics: deps.logs.listTopics().length });
  });
  app.get("/brokers", doc({ tags: ["REST Proxy v2"], summary: "broker ids", responses: { 200: api.Brokers } }), (c) => c.json({ brokers: [0] }));
  app.get("/archive", doc({ tags: ["archive"], summary: "the S3 archive per partition: archived up to, pending segments and bytes, last error", responses: { 200: api.ArchiveStatus } }), (c) => {
    const archive = deps.archive;
    if (!archive) return c.json({ archive: null, message: "no archive is configured (serve --archive s3://BUCKET/PREFIX)" });
    return c.json({
      archive: archive.store.description,
      error: archive.storeError,
      partitions: archive.status().map((s) => ({
        topic: s.topic, partition: s.partition, archived_up_to: s.archivedUpTo, archived_segments: s.archivedSegments,
        pending_segments: s.pendingSegments, pending_bytes: s.pendingBytes, last_error: s.lastError,
        last_upload: s.lastUploadMs === null ? null : new Date(s.lastUploadMs).toISOString(),
      })),
    });
  });
  // Generated once, on first use: every route is registered by then.
  let document: ReturnType<typeof openApiDocument> | undefined;
  const described = () => (document ??= openApiDocument(app, VERSION, deps));
  app.get("/openapi.json", doc({ tags: ["health"], summary: "this API as an OpenAPI 3.1 document", responses: { 200: { description: "the document", media: "application/json" } } }),
    async (c) => c.json(await described()));
  app.get("/docs", doc({ tags: ["health"], summary: "this API as a page to read", responses: { 200: { description: "HTML", media: "text/html" } } }),
    async (c) => c.html(docsPage(await described())));
  app.get("/metrics", doc({ tags: ["health"], summary: "Prometheus metrics", responses: { 200: { description: "the text exposition format", media: "text/plain" } } }), async (c) => c.text(await deps.metrics.text(), 200, { "content-type": deps.metrics.registry.contentType }));
  registerTopicRoutes(app, deps);
  registerStreamRoutes(app, deps);
  registerConsumerRoutes(app, deps);
  registerGroupRoutes(app, deps);
  registerV3Routes(app, deps);
  registerSqlRoutes(app, deps);
  registerAdminRoutes(app, deps);
  registerTokenRoutes(app, deps);
  // The registry answers at the root (as Confluent's does) and under /schema-registry,
  // for clients configured with a prefixed URL behind one port.
  const registry = new Hono();
  registerRegistryRoutes(registry, deps);
  app.route("/", registry);
  app.route("/schema-registry", registry);
  // Every route has an access rule (http-auth.ts): a route added without one would be open to anyone.
  for (const route of app.routes) {
    if (route.method === "ALL") continue;
    const path = route.path.replace(/:([a-z]+)/gi, (_, name: string) => (name === "id" ? "1" : name));
    if (!needOf(route.method, path, false)) throw new Error(`no access rule for ${route.method} ${route.path} (src/server/http/http-auth.ts)`);
  }
  return app;
}
