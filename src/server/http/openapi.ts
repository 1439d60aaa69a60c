// /openapi.json and /docs. The document is generated (hono-openapi) from the
// `doc({...})` each route carries: its query parameters, body and answers as
// the valibot schemas the route checks requests with (api-doc.ts,
// api-schemas.ts). /docs renders the same document as one HTML page, with no
// script and nothing fetched from elsewhere.

import { Hono } from "hono";
import type { generateSpecs } from "hono-openapi";
import { describedRoutes, describeOptions } from "./api-doc.js";

export interface ApiLimits {
  bodyBytesMax: number;
  jsonDepthMax: number;
  requestTimeoutMs: number;
}

type Document = Awaited<ReturnType<typeof generateSpecs>>;

/** The OpenAPI 3.1 document of `app` (routes mounted again under /schema-registry are described once, at the root). */
export async function openApiDocument(app: Hono, version: string, limits: ApiLimits): Promise<Document> {
  const { describeRoute, resolver, generateSpecs } = await import("hono-openapi");
  const { toJsonSchema } = await import("@valibot/to-json-schema");
  // A twin of the app holding only the descriptions, as hono-openapi reads them.
  const described = new Hono();
  for (const { method, path, spec } of describedRoutes(app)) described.on(method, path, describeRoute(describeOptions(spec, resolver, toJsonSchema)), (c) => c.body(null));
  return generateSpecs(described, {
    documentation: {
      openapi: "3.1.0",
      info: {
        title: "Tributary HTTP API",
        version,
        description: "Publish, read and stream records, manage topics and groups, query the warehouse; Confluent REST Proxy v2/v3 and Schema Registry compatible " +
          "(the registry also answers under /schema-registry). Limits on every request: a body of at most " +
          `${limits.bodyBytesMax} bytes after content-encoding is undone (httpBodyBytesMax; 413 past it), JSON nested at most ${limits.jsonDepthMax} deep ` +
          `(jsonDepthMax), headers and body within ${limits.requestTimeoutMs} ms (httpRequestTimeoutMs). A POST, PUT or PATCH needs a JSON content type (415). ` +
          "Errors are JSON { error_code, message } naming the problem.",
      },
    },
    exclude: [/^\/schema-registry\//],
    excludeStaticFile: false,
    defaultValidationErrorResponse: false,
  });
}

function escape(text: unknown): string {
  return String(text).replace(/[&<>"]/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[ch]!);
}

function schemaBlock(schema: unknown): string {
  return schema === undefined ? "" : `<details><summary>schema</summary><pre>${escape(JSON.stringify(schema, null, 2))}</pre></details>`;
}

type Operation = {
  tags?: string[]; summary?: string; description?: string;
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: unknown }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
};

/** The document as one readable page: each operation with its parameters, body and answers, by tag. */
export function docsPage(document: Document): string {
  const byTag = new Map<string, string[]>();
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const [method, raw] of Object.entries(item ?? {})) {
      const op = raw as Operation;
      const params = (op.parameters ?? []).map((p) =>
        `<tr><td><code>${escape(p.name)}</code></td><td>${escape(p.in)}${p.required ? ", required" : ""}</td><td>${escape(p.description ?? "")} <code>${escape(JSON.stringify(p.schema ?? {}))}</code></td></tr>`).join("");
      const body = Object.entries(op.requestBody?.content ?? {}).map(([media, m]) => `<p>Body (<code>${escape(media)}</code>)</p>${schemaBlock(m.schema)}`).join("");
      const answers = Object.entries(op.responses ?? {}).map(([status, r]) =>
        `<li><b>${escape(status)}</b> ${escape(r.description ?? "")} ${Object.keys(r.content ?? {}).map((m) => `<code>${escape(m)}</code>`).join(" ")}` +
        `${schemaBlock(Object.values(r.content ?? {})[0]?.schema)}</li>`).join("");
      const html = `<section><h3><code>${escape(method.toUpperCase())} ${escape(path)}</code></h3><p>${escape(op.summary ?? "")}</p>` +
        `${op.description ? `<p>${escape(op.description)}</p>` : ""}${params ? `<table>${params}</table>` : ""}${body}<ul>${answers}</ul></section>`;
      const tag = op.tags?.[0] ?? "other";
      byTag.set(tag, [...(byTag.get(tag) ?? []), html]);
    }
  }
  const sections = [...byTag].map(([tag, ops]) => `<h2 id="${escape(tag)}">${escape(tag)}</h2>${ops.join("\n")}`).join("\n");
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escape(document.info?.title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}section{border-top:1px solid #ddd;padding:.5rem 0}td{padding:.1rem .6rem;vertical-align:top}pre{background:#f6f6f6;padding:.5rem;overflow:auto}</style></head>
<body><h1>${escape(document.info?.title)} ${escape(document.info?.version)}</h1><p>${escape(document.info?.description ?? "")}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Areas: ${[...byTag.keys()].map((t) => `<a href="#${escape(t)}">${escape(t)}</a>`).join(", ")}.</p>
${sections}
</body></html>`;
}
