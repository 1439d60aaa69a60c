// /openapi.json and /docs: every route with a line on what it does. A test
// checks that each route the app registers is described here.

const ROUTES: [method: string, path: string, tag: string, summary: string][] = [
  ["get", "/healthz", "health", "liveness"],
  ["get", "/readyz", "health", "readiness (storage open)"],
  ["get", "/metrics", "health", "Prometheus metrics"],
  ["get", "/archive", "archive", "the S3 archive per partition: archived up to, pending segments and bytes, last error"],
  ["post", "/sql", "warehouse", "one read-only SQL statement against the warehouse: { sql, params? }; JSON, NDJSON or CSV by Accept"],
  ["get", "/warehouse", "warehouse", "the warehouse per topic: table, columns, rows, lag, loaded up to per partition, conflicts, last error"],
  ["get", "/openapi.json", "health", "this description"],
  ["get", "/docs", "health", "human-readable API page"],
  ["get", "/brokers", "REST Proxy v2", "broker ids"],
  ["get", "/topics", "topics", "topic names"],
  ["post", "/topics", "topics", "create a topic: { name, partitions?, configs? }"],
  ["get", "/topics/{topic}", "topics", "describe a topic: configs, partitions with offsets"],
  ["delete", "/topics/{topic}", "topics", "delete a topic and its data"],
  ["post", "/topics/{topic}", "REST Proxy v2", "produce (application/vnd.kafka.{json,binary,jsonschema}.v2+json)"],
  ["post", "/topics/{topic}/partitions/{partition}", "REST Proxy v2", "produce to one partition"],
  ["post", "/topics/{topic}/records", "records", "publish one record, { records: [...] }, or NDJSON; answered once durable"],
  ["get", "/topics/{topic}/partitions", "topics", "partitions with offsets"],
  ["get", "/topics/{topic}/partitions/{partition}", "topics", "one partition"],
  ["get", "/topics/{topic}/partitions/{partition}/offsets", "REST Proxy v2", "beginning and end offsets"],
  ["get", "/topics/{topic}/partitions/{partition}/records", "records", "read from ?offset= or ?timestamp= (limit, max_bytes, format)"],
  ["get", "/topics/{topic}/partitions/{partition}/stream", "records", "push new records: SSE (text/event-stream) or NDJSON; resume via Last-Event-ID, offset, group"],
  ["get", "/topics/{topic}/stream", "records", "push new records of every partition: SSE or NDJSON; resume via Last-Event-ID (a map of next offsets), group, from"],
  ["post", "/consumers/{group}", "REST Proxy v2", "create a consumer instance"],
  ["delete", "/consumers/{group}/instances/{instance}", "REST Proxy v2", "delete a consumer instance (leaves the group)"],
  ["post", "/consumers/{group}/instances/{instance}/subscription", "REST Proxy v2", "subscribe to topics or a topic_pattern"],
  ["get", "/consumers/{group}/instances/{instance}/subscription", "REST Proxy v2", "current subscription"],
  ["delete", "/consumers/{group}/instances/{instance}/subscription", "REST Proxy v2", "unsubscribe"],
  ["post", "/consumers/{group}/instances/{instance}/assignments", "REST Proxy v2", "assign partitions manually"],
  ["get", "/consumers/{group}/instances/{instance}/assignments", "REST Proxy v2", "assigned partitions"],
  ["post", "/consumers/{group}/instances/{instance}/positions", "REST Proxy v2", "seek to offsets"],
  ["post", "/consumers/{group}/instances/{instance}/positions/beginning", "REST Proxy v2", "seek to the beginning"],
  ["post", "/consumers/{group}/instances/{instance}/positions/end", "REST Proxy v2", "seek to the end"],
  ["post", "/consumers/{group}/instances/{instance}/offsets", "REST Proxy v2", "commit (empty body: everything fetched)"],
  ["get", "/consumers/{group}/instances/{instance}/offsets", "REST Proxy v2", "committed offsets"],
  ["get", "/consumers/{group}/instances/{instance}/records", "REST Proxy v2", "fetch records (long poll with ?timeout=)"],
  ["patch", "/topics/{topic}/configs", "topics", "change a topic's configs: { set?: { name: value }, remove?: [name] }; answers every config with its source"],
  ["post", "/topics/{topic}/partitions", "topics", "add partitions: { count: the new total }"],
  ["delete", "/groups/{group}", "groups", "delete a group and its committed offsets (409 while it has members)"],
  ["post", "/groups/{group}/reset-offsets", "groups", "move a group's offsets of a topic: { topic, to: earliest|latest|offset|datetime|shift, offset?, datetime?, by?, execute? }; a dry run unless execute (409 while it has members)"],
  ["get", "/groups", "groups", "consumer groups with state, members and total lag"],
  ["get", "/groups/{group}", "groups", "a group's members, committed offsets and lag per partition"],
  ["get", "/v3/clusters", "REST Proxy v3", "the cluster (one: this broker)"],
  ["get", "/v3/clusters/{cluster}", "REST Proxy v3", "the cluster with links to its resources"],
  ["get", "/v3/clusters/{cluster}/brokers", "REST Proxy v3", "brokers"],
  ["get", "/v3/clusters/{cluster}/brokers/{broker}", "REST Proxy v3", "a broker"],
  ["get", "/v3/clusters/{cluster}/topics", "REST Proxy v3", "topics"],
  ["post", "/v3/clusters/{cluster}/topics", "REST Proxy v3", "create a topic (topic_name, partitions_count, configs)"],
  ["get", "/v3/clusters/{cluster}/topics/{topic}", "REST Proxy v3", "a topic"],
  ["delete", "/v3/clusters/{cluster}/topics/{topic}", "REST Proxy v3", "delete a topic"],
  ["get", "/v3/clusters/{cluster}/topics/{topic}/partitions", "REST Proxy v3", "a topic's partitions"],
  ["get", "/v3/clusters/{cluster}/topics/{topic}/partitions/{partition}", "REST Proxy v3", "a partition"],
  ["get", "/v3/clusters/{cluster}/topics/{topic}/configs", "REST Proxy v3", "a topic's configs with sources and synonyms"],
  ["get", "/v3/clusters/{cluster}/topics/{topic}/configs/{name}", "REST Proxy v3", "one config"],
  ["put", "/v3/clusters/{cluster}/topics/{topic}/configs/{name}", "REST Proxy v3", "set one config ({ value })"],
  ["delete", "/v3/clusters/{cluster}/topics/{topic}/configs/{name}", "REST Proxy v3", "reset one config to its default"],
  ["post", "/v3/clusters/{cluster}/topics/{topic}/{action}", "REST Proxy v3", "action records: produce one record, or many streamed (one answer line each); action configs:alter: set and delete configs in one request"],
  ["get", "/v3/clusters/{cluster}/consumer-groups", "REST Proxy v3", "consumer groups"],
  ["get", "/v3/clusters/{cluster}/consumer-groups/{group}", "REST Proxy v3", "a consumer group"],
  ["get", "/v3/clusters/{cluster}/consumer-groups/{group}/consumers", "REST Proxy v3", "a group's consumers"],
  ["get", "/v3/clusters/{cluster}/consumer-groups/{group}/lags", "REST Proxy v3", "lag per partition, with the consumer holding it"],
  ["get", "/v3/clusters/{cluster}/consumer-groups/{group}/lag-summary", "REST Proxy v3", "total and largest lag"],
  ["get", "/schemas/types", "schema registry", "supported schema types"],
  ["get", "/schemas/ids/{id}", "schema registry", "schema by global id"],
  ["get", "/schemas/ids/{id}/schema", "schema registry", "raw schema by id"],
  ["get", "/schemas/ids/{id}/versions", "schema registry", "subjects and versions using a schema"],
  ["get", "/subjects", "schema registry", "subjects (?deleted=true)"],
  ["get", "/subjects/{subject}/versions", "schema registry", "versions of a subject"],
  ["post", "/subjects/{subject}/versions", "schema registry", "register a schema (in IMPORT mode with its id and version)"],
  ["post", "/subjects/{subject}", "schema registry", "is this schema registered under the subject?"],
  ["get", "/subjects/{subject}/versions/{version}", "schema registry", "a version (or latest)"],
  ["get", "/subjects/{subject}/versions/{version}/schema", "schema registry", "a version's raw schema"],
  ["get", "/subjects/{subject}/versions/{version}/referencedby", "schema registry", "ids of the schemas that refer to this version"],
  ["delete", "/subjects/{subject}", "schema registry", "soft delete (?permanent=true after)"],
  ["delete", "/subjects/{subject}/versions/{version}", "schema registry", "delete a version"],
  ["post", "/compatibility/subjects/{subject}/versions/{version}", "schema registry", "check against a version (?verbose=true)"],
  ["post", "/compatibility/subjects/{subject}/versions", "schema registry", "check against the subject's versions per its level"],
  ["get", "/config", "schema registry", "global compatibility level"],
  ["put", "/config", "schema registry", "set the global level"],
  ["delete", "/config", "schema registry", "reset the global level"],
  ["get", "/config/{subject}", "schema registry", "a subject's level (?defaultToGlobal=true)"],
  ["put", "/config/{subject}", "schema registry", "set a subject's level"],
  ["delete", "/config/{subject}", "schema registry", "remove a subject's level"],
  ["get", "/mode", "schema registry", "global mode (READWRITE, READONLY, IMPORT)"],
  ["put", "/mode", "schema registry", "set the global mode (?force=true to import into a non-empty registry)"],
  ["get", "/mode/{subject}", "schema registry", "a subject's mode (?defaultToGlobal=true); subjects from --schemas files are READONLY"],
  ["put", "/mode/{subject}", "schema registry", "set a subject's mode"],
  ["delete", "/mode/{subject}", "schema registry", "remove a subject's mode"],
];

export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [method, path, tag, summary] of ROUTES) {
    const parameters = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } }));
    (paths[path] ??= {})[method] = {
      tags: [tag], summary, parameters,
      responses: {
        200: { description: "success" },
        "4XX": { description: "{ error_code, message } naming the problem", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } },
      },
    };
  }
  return {
    openapi: "3.1.0",
    info: { title: "Tributary HTTP API", version, description: "Publish, read and stream records; Confluent REST Proxy v2 and Schema Registry compatible." },
    paths,
    components: { schemas: { Error: { type: "object", required: ["error_code", "message"], properties: { error_code: { type: "integer" }, message: { type: "string" } } } } },
  };
}

export function docsPage(): string {
  const rows = ROUTES.map(([m, p, t, s]) => `<tr><td>${t}</td><td><code>${m.toUpperCase()}</code></td><td><code>${p}</code></td><td>${s}</td></tr>`).join("\n");
  return `<!doctype html><html><head><meta charset="utf-8"><title>Tributary HTTP API</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}td{padding:.25rem .75rem;border-bottom:1px solid #ddd;vertical-align:top}</style></head>
<body><h1>Tributary HTTP API</h1><p>Machine-readable: <a href="/openapi.json">/openapi.json</a>. Errors are JSON: <code>{ "error_code", "message" }</code>.</p>
<table><tr><th>area</th><th>method</th><th>path</th><th>what it does</th></tr>
${rows}
</table></body></html>`;
}

/** Routes as hono registers them (":param"), for the coverage check; registry routes also under /schema-registry. */
export function describedRoutes(): string[] {
  return ROUTES.flatMap(([m, p, tag]) => {
    const route = `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ":$1")}`;
    return tag === "schema registry" ? [route, route.replace(" /", " /schema-registry/")] : [route];
  });
}
