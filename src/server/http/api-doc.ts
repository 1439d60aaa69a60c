// The HTTP API described from the schemas that check its requests. Each route
// carries a `doc({...})` middleware naming its request body, query parameters
// and responses as valibot schemas; the handlers check bodies and query
// parameters with the same schemas (`checked`, `queryOf`), so /openapi.json
// cannot drift from what is accepted. The description stays data until the
// document is first asked for: then `describedRoutes` turns each into
// hono-openapi's describeRoute (openapi.ts), which is loaded only then, as is
// the JSON Schema converter. A route without `doc` is missing from the
// document, which the test of the document catches.

import type { Context, Hono, MiddlewareHandler } from "hono";
import type { DescribeRouteOptions, resolver as Resolver } from "hono-openapi";
import * as v from "valibot";
import { HttpError } from "./http-error.js";

type AnySchema = v.GenericSchema;

export const ErrorBody = v.object({
  error_code: v.pipe(v.number(), v.integer(), v.description("HTTP status and a digit or two more, as Confluent's APIs number their errors (e.g. 40401: topic not found)")),
  message: v.pipe(v.string(), v.description("what was wrong, naming the field, limit or resource")),
});

export interface ResponseDoc {
  description: string;
  media?: string | string[];
  schema?: AnySchema;
}

export interface RouteDoc {
  tags: string[];
  summary: string;
  description?: string;
  /** The JSON body and the media types it is taken as (default application/json). */
  body?: AnySchema;
  bodyMedia?: string[];
  bodyRequired?: boolean;
  /** Query parameters: an object schema, one entry per parameter. */
  query?: v.ObjectSchema<v.ObjectEntries, undefined>;
  /** Success responses by status: a JSON schema, or a description with media types (the schema applies to the JSON ones). */
  responses: Record<number, AnySchema | ResponseDoc>;
}

type ToJsonSchema = typeof import("@valibot/to-json-schema").toJsonSchema;

function queryParameters(query: RouteDoc["query"], toJsonSchema: ToJsonSchema): DescribeRouteOptions["parameters"] {
  if (!query) return [];
  return Object.entries(query.entries).map(([name, schema]) => {
    const optional = schema.type === "optional";
    const inner = (optional ? (schema as unknown as { wrapped: AnySchema }).wrapped : schema) as AnySchema;
    const json = toJsonSchema(inner, { errorMode: "ignore" }) as Record<string, unknown>;
    const { description, ...rest } = json;
    delete rest.$schema;
    // On the wire every query parameter is text; described as the value it stands for.
    if (rest.pattern === INTEGER_TEXT.source) {
      delete rest.pattern;
      rest.type = "integer";
    }
    if (JSON.stringify(rest.enum) === '["true","false"]') {
      delete rest.enum;
      rest.type = "boolean";
    }
    return { name, in: "query" as const, required: !optional, ...(description ? { description: String(description) } : {}), schema: rest };
  });
}

const ROUTE_DOC = Symbol("route doc");

/** The description of one route: a middleware that does nothing but carry it. */
export function doc(spec: RouteDoc): MiddlewareHandler {
  const carrier: MiddlewareHandler = (_c, next) => next();
  return Object.assign(carrier, { [ROUTE_DOC]: spec });
}

/** Each described route of `app` (as hono registered it, ":param") with its description, once. */
export function describedRoutes(app: Hono): { method: string; path: string; spec: RouteDoc }[] {
  const seen = new Set<string>();
  const out = [];
  for (const route of app.routes) {
    const spec = (route.handler as { [ROUTE_DOC]?: RouteDoc })[ROUTE_DOC];
    const key = `${route.method} ${route.path}`;
    if (!spec || seen.has(key)) continue;
    seen.add(key);
    out.push({ method: route.method, path: route.path, spec });
  }
  return out;
}

/** A route's description in hono-openapi's terms (`resolver` and `toJsonSchema` passed in: they load with the document). */
export function describeOptions(spec: RouteDoc, resolver: typeof Resolver, toJsonSchema: ToJsonSchema): DescribeRouteOptions {
  const responses: NonNullable<DescribeRouteOptions["responses"]> = {};
  for (const [status, answer] of Object.entries(spec.responses)) {
    if (!("~standard" in answer)) {
      const a = answer as ResponseDoc;
      const media = a.media === undefined ? [] : Array.isArray(a.media) ? a.media : [a.media];
      const content = Object.fromEntries(media.map((m) => [m, a.schema && /json/.test(m) ? { schema: resolver(a.schema) } : {}]));
      responses[status] = { description: a.description, ...(media.length ? { content } : {}) };
    } else {
      responses[status] = { description: Number(status) === 204 ? "done" : "success", content: { "application/json": { schema: resolver(answer as AnySchema) } } };
    }
  }
  responses["4XX"] = { description: "the request was refused: { error_code, message } naming the problem", content: { "application/json": { schema: resolver(ErrorBody) } } };
  responses["5XX"] = { description: "the broker could not serve it now (storage refusing writes, overloaded): { error_code, message }", content: { "application/json": { schema: resolver(ErrorBody) } } };
  return {
    tags: spec.tags,
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    parameters: queryParameters(spec.query, toJsonSchema),
    ...(spec.body ? {
      requestBody: {
        required: spec.bodyRequired ?? true,
        content: Object.fromEntries((spec.bodyMedia ?? ["application/json"]).map((media) => [media, { schema: resolver(spec.body!) }])),
      },
    } : {}),
    responses,
  };
}

/** What a failed check says: valibot's words, but "is required" for a missing field. */
function messageOf(issue: v.BaseIssue<unknown>): string {
  return issue.kind === "schema" && issue.input === undefined && issue.expected?.startsWith('"') ? "is required" : issue.message;
}

/** Where a failed check points: `$.records[2].value` style. */
function pathOf(issue: v.BaseIssue<unknown>): string {
  const keys = (issue.path ?? []).map((p) => (typeof p.key === "number" ? `[${p.key}]` : `.${String(p.key)}`));
  return keys.length ? `'${keys.join("").replace(/^\./, "")}'` : "the body";
}

/**
 * `value` checked against `schema`; otherwise an HttpError with `status` and
 * `errorCode`, naming the field and what it must be.
 */
export function checked<S extends AnySchema>(schema: S, value: unknown, status = 422, errorCode = 42201): v.InferOutput<S> {
  const result = v.safeParse(schema, value);
  if (result.success) return result.output;
  const issue = result.issues[0];
  throw new HttpError(status, errorCode, `${pathOf(issue)}: ${messageOf(issue)}`);
}

/**
 * The query parameters of a request checked against the route's query schema
 * (400 naming the parameter; `errorCodes` by parameter, `errorCode` for the rest).
 */
export function queryOf<S extends v.ObjectSchema<v.ObjectEntries, undefined>>(c: Context, schema: S, errorCode = 40002, errorCodes: Record<string, number> = {}): v.InferOutput<S> {
  const raw: Record<string, string> = {};
  for (const name of Object.keys(schema.entries)) {
    const value = c.req.query(name);
    if (value !== undefined) raw[name] = value;
  }
  const result = v.safeParse(schema, raw);
  if (result.success) return result.output;
  const issue = result.issues[0];
  const name = issue.path?.[0]?.key;
  throw new HttpError(400, errorCodes[String(name)] ?? errorCode, `${name === undefined ? "query" : String(name)}: ${messageOf(issue)}`);
}

// Pieces the route schemas share.

const INTEGER_TEXT = /^-?\d+$/;

/** An integer query parameter (its text) within [min, max]. */
export function integerQuery(description: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) {
  return v.pipe(
    v.string(),
    v.regex(INTEGER_TEXT, (i) => `must be an integer, not '${String(i.input)}'`),
    v.transform(Number),
    v.number(),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
    v.description(description),
  );
}

export const booleanQuery = (description: string) => v.pipe(v.picklist(["true", "false"], "must be true or false"), v.transform((s) => s === "true"), v.description(description));

const NON_NEGATIVE = "must be a non-negative integer";
export const Offset = v.pipe(v.number(NON_NEGATIVE), v.integer(NON_NEGATIVE), v.minValue(0, NON_NEGATIVE));
export const PartitionNumber = v.pipe(v.number(NON_NEGATIVE), v.integer(NON_NEGATIVE), v.minValue(0, NON_NEGATIVE));
export const TopicName = v.pipe(v.string(), v.minLength(1), v.maxLength(249), v.regex(/^[a-zA-Z0-9._-]+$/, "must be ASCII letters, digits, '.', '_' and '-'"),
  v.description("Kafka's topic name rules: 1 to 249 of ASCII letters, digits, '.', '_', '-'"));
export const ConfigValues = v.record(v.string(), v.union([v.string(), v.number(), v.boolean()]), "must be an object of config names to values");
export const Json = v.pipe(v.unknown(), v.description("any JSON value"));
export const Done = { 204: { description: "done" } } as const;
