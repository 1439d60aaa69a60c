// The Confluent Schema Registry REST API (Avro and JSON Schema), on the HTTP port.

import type { Context, Hono, MiddlewareHandler } from "hono";
import type { HttpDeps } from "./http-deps.js";
import { bodyBytes, bodyJson } from "./request-body.js";
import { HttpError } from "./http-error.js";
import { schemaTypeOf, type SchemaReference, type SchemaType } from "../../schema/schema-registry.js";
import { logAdminChange } from "../../ops/ops-log.js";
import { httpActor } from "./actor.js";
import { checked, doc } from "./api-doc.js";
import * as api from "./api-schemas.js";
import * as v from "valibot";
import { Operation, ResourceType, subjectTopic } from "./http-access-checks.js";

const REGISTRY_JSON = "application/vnd.schemaregistry.v1+json";
const FORWARDED = "tributary-forwarded-by";

function reply(c: Context, body: unknown, status = 200) {
  return c.json(body, status as 200, { "content-type": REGISTRY_JSON });
}

/** Confluent leaves schemaType out of its answers for AVRO, the default. */
function shown<T extends { schemaType: SchemaType }>(value: T): Omit<T, "schemaType"> & { schemaType?: SchemaType } {
  if (value.schemaType !== "AVRO") return value;
  const { schemaType: _avro, ...rest } = value;
  return rest;
}

async function schemaBody(c: Context, deps: HttpDeps): Promise<{ schema: string; schemaType: SchemaType; id?: number; version?: number; references: SchemaReference[] }> {
  const body = checked(api.RegistrySchema, await bodyJson(c, deps));
  const optionalInteger = (value: number | null | undefined) => (value === undefined || value === null || value === -1 || value === 0 ? undefined : value);
  return {
    schema: body.schema, schemaType: schemaTypeOf(body.schemaType ?? undefined),
    id: optionalInteger(body.id), version: optionalInteger(body.version),
    references: (body.references ?? []) as SchemaReference[],
  };
}

/**
 * In cluster mode one instance writes the registry: a write reaching another
 * is forwarded to it, and its answer is this one's. Reads are served here.
 */
function forwardToWriter(deps: HttpDeps): MiddlewareHandler {
  return async (c, next) => {
    const election = deps.registryWriter;
    if (!election || election.isWriter) return next();
    // An instance that has just joined learns who the writer is within a rebalance: a write waits for it (a while).
    for (let waited = 0; election.writerUrlNow === undefined && waited < Math.min(deps.requestTimeoutMs, 10_000); waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (election.isWriter) return next();
    const writer = election.writerUrlNow;
    if (!writer) throw new HttpError(503, 50304, "no instance has been elected to write the schema registry yet; try again");
    if (c.req.header(FORWARDED)) throw new HttpError(503, 50304, "the schema registry's writer changed while this write was forwarded; try again");
    const target = new URL(c.req.path + new URL(c.req.url).search, writer);
    const body = ["GET", "DELETE", "HEAD"].includes(c.req.method) ? undefined : await bodyBytes(c, deps);
    let answer: Response;
    try {
      answer = await fetch(target, {
        method: c.req.method, body: body === undefined ? undefined : new Uint8Array(body),
        headers: { "content-type": c.req.header("content-type") ?? "application/json", accept: c.req.header("accept") ?? REGISTRY_JSON, [FORWARDED]: "1" },
        signal: AbortSignal.timeout(deps.requestTimeoutMs),
      });
    } catch (err) {
      throw new HttpError(503, 50304, `the schema registry's writer at ${writer} did not answer: ${(err as Error).message}; try again`);
    }
    return new Response(await answer.arrayBuffer(), { status: answer.status, headers: { "content-type": answer.headers.get("content-type") ?? REGISTRY_JSON } });
  };
}

export function registerRegistryRoutes(app: Hono, deps: HttpDeps): void {
  const write = forwardToWriter(deps);
  const r = deps.registry;
  app.get("/schemas/types", doc({ tags: ["schema registry"], summary: "supported schema types", responses: { 200: { description: "success", media: REGISTRY_JSON, schema: v.array(v.string()) } } }), (c) => reply(c, ["JSON", "AVRO"]));
  app.get("/schemas/ids/:id", doc({ tags: ["schema registry"], summary: "a schema by its global id", responses: { 200: { description: "success", media: REGISTRY_JSON, schema: api.RegistrySchemaById } } }), (c) => {
    const s = r.getSchema(Number(c.req.param("id")));
    return reply(c, shown({ schema: s.schema, schemaType: s.schemaType, ...(s.references?.length ? { references: s.references } : {}) }));
  });
  app.get("/schemas/ids/:id/schema", doc({ tags: ["schema registry"], summary: "the raw schema by id", responses: { 200: { description: "success", media: REGISTRY_JSON, schema: api.RegistryAnySchema } } }), (c) => reply(c, JSON.parse(r.getSchema(Number(c.req.param("id"))).schema)));
  app.get("/schemas/ids/:id/versions", doc({ tags: ["schema registry"], summary: "subjects and versions using a schema", responses: { 200: { description: "success", media: REGISTRY_JSON, schema: api.SubjectVersions } } }), (c) => reply(c, r.subjectsOfSchema(Number(c.req.param("id")))));
  app.get("/subjects", doc({ tags: ["schema registry"], summary: "subjects", query: api.DeletedQuery, responses: { 200: { description: "success", media: REGISTRY_JSON, schema: v.array(v.string()) } } }), (c) => reply(c, r.subjects(c.req.query("deleted") === "true").filter((s) => deps.access.may(c, Operation.DESCRIBE, ResourceType.TOPIC, subjectTopic(s)))));
  app.get("/subjects/:subject/versions", doc({ tags: ["schema registry"], summary: "versions of a subject", query: api.DeletedQuery, responses: { 200: { description: "success", media: REGISTRY_JSON, schema: v.array(v.number()) } } }), (c) => reply(c, r.listVersions(c.req.param("subject"), c.req.query("deleted") === "true")));
  app.post("/subjects/:subject/versions", doc({ tags: ["schema registry"], summary: "register a schema under a subject (in IMPORT mode with its id and version)", body: api.RegistrySchema, bodyMedia: [REGISTRY_JSON, "application/json"], responses: { 200: { description: "success", media: REGISTRY_JSON, schema: api.RegistryId } } }), write, async (c) => {
    const { schema, schemaType, id, version, references } = await schemaBody(c, deps);
    const registered = await r.register(c.req.param("subject"), schema, schemaType, { id, version }, references);
    logAdminChange(httpActor(c), "schema.register", `registered a ${schemaType ?? "JSON"} schema under ${c.req.param("subject")} (id ${registered.id})`,
      { subject: c.req.param("subject"), id: registered.id });
    return reply(c, { id: registered.id });
  });
  app.post("/subjects/:subject", doc({ tags: ["schema registry"], summary: "is this schema registered under the subject? (its version)", body: api.RegistrySchema, bodyMedia: [REGISTRY_JSON, "application/json"], responses: { 200: { description: "success", media: REGISTRY_JSON, schema: api.RegistryVersion } } }), async (c) => {
    const { schema, schemaType, references } = await schemaBody(c, deps);
    return reply(c, shown(r.lookup(c.req.param("subject"), schema, schemaType, references)));
  });
  app.get("/subjects/:subject/versions/:version", doc({ tags: ["schema registry"], summary: "a version (a number or latest)", query: api.DeletedQuery, responses: { 200: { description: "success", media: REGISTRY_JSON, schema: api.RegistryVersion } } }), (c) => reply(c, shown(r.getVersion(c.req.param("subject"), c.req.param("version"), c.req.query("deleted") === "true"))));
  app.get("/subjects/:subject/versions/:version/referencedby", doc({ tags: ["schema registry"], summary: "ids of the schemas that refer to this version", responses: { 200: { description: "success", media: REGISTRY_JSON, schema: v.array(v.number()) } } }), (c) => reply(c, r.referencedBy(c.req.param("subject"), c.req.param("version"))));
  app.get("/subjects/:subject/versions/:version/schema", doc({ tags: ["schema registry"], summary: "a version's raw schema", responses: { 200: { description: "success", media: REGISTRY_JSON, schema: api.RegistryAnySchema } } }), (c) => reply(c, JSON.parse(r.getVersion(c.req.param("subject"), c.req.param("version")).schema)));
  app.delete("/subjects/:subject", doc({ tags: ["schema registry"], summary: "delete a subject (soft; ?permanent=true after that)", query: api.PermanentQuery, responses: { 200: { description: "success", media: REGISTRY_JSON, schema: v.array(v.number()) } } }), write, async (c) => {
    const permanent = c.req.query("permanent") === "true";
    const versions = await r.deleteSubject(c.req.param("subject"), permanent);
    logAdminChange(httpActor(c), "schema.delete_subject", `deleted subject ${c.req.param("subject")}${permanent ? " permanently" : ""}`, { subject: c.req.param("subject"), versions, permanent });
    return reply(c, versions);
  });
  app.delete("/subjects/:subject/versions/:version", doc({ tags: ["schema registry"], summary: "delete a version (soft; ?permanent=true after that)", query: api.PermanentQuery, responses: { 200: { description: "success", media: REGISTRY_JSON, schema: v.number() } } }), write, async (c) => {
    const permanent = c.req.query("permanent") === "true";
    const version = await r.deleteVersion(c.req.param("subject"), c.req.param("version"), permanent);
    logAdminChange(httpActor(c), "schema.delete_version", `deleted version ${version} of subject ${c.req.param("subject")}${permanent ? " permanently" : ""}`,
      { subject: c.req.param("subject"), version, permanent });
    return reply(c, version);
  });
  const compatibility = async (c: Context, version?: string) => {
    const { schema, schemaType, references } = await schemaBody(c, deps);
    const messages = r.checkCompatibility(c.req.param("subject")!, schema, version, schemaType, references);
    return reply(c, c.req.query("verbose") === "true" ? { is_compatible: messages.length === 0, messages } : { is_compatible: messages.length === 0 });
  };
  app.post("/compatibility/subjects/:subject/versions/:version", doc({ tags: ["schema registry"], summary: "is this schema compatible with a version?", body: api.RegistrySchema, bodyMedia: [REGISTRY_JSON, "application/json"], query: api.VerboseQuery, responses: { 200: { description: "success", media: REGISTRY_JSON, schema: api.RegistryCompatibilityAnswer } } }), (c) => compatibility(c, c.req.param("version")));
  app.post("/compatibility/subjects/:subject/versions", doc({ tags: ["schema registry"], summary: "is this schema compatible with the subject's versions, per its level?", body: api.RegistrySchema, bodyMedia: [REGISTRY_JSON, "application/json"], query: api.VerboseQuery, responses: { 200: { description: "success", media: REGISTRY_JSON, schema: api.RegistryCompatibilityAnswer } } }), (c) => compatibility(c));
  const level = async (c: Context) => {
    const body = checked(api.RegistryCompatibility, await bodyJson(c, deps), 422, 42203);
    const compatibility = await r.setCompatibilityLevel(body.compatibility, c.req.param("subject"));
    logAdminChange(httpActor(c), "schema.set_compatibility", `compatibility of ${c.req.param("subject") ?? "the registry"} set to ${compatibility}`,
      { subject: c.req.param("subject") ?? null, compatibility });
    return reply(c, { compatibility });
  };
  app.get("/config", doc({ tags: ["schema registry"], summary: "the global compatibility level", responses: { 200: { description: "success", media: REGISTRY_JSON, schema: api.RegistryCompatibilityLevel } } }), (c) => reply(c, { compatibilityLevel: r.compatibilityLevel() }));
  app.put("/config", doc({ tags: ["schema registry"], summary: "set the global compatibility level", body: api.RegistryCompatibility, bodyMedia: [REGISTRY_JSON, "application/json"], responses: { 200: { description: "success", media: REGISTRY_JSON, schema: api.RegistryCompatibilityAnswerLevel } } }), write, level);
  app.delete("/config", doc({ tags: ["schema registry"], summary: "return the global level to its default", responses: { 200: { description: "success", media: REGISTRY_JSON, schema: api.RegistryCompatibilityLevel } } }), write, async (c) => {
    const compatibilityLevel = await r.deleteCompatibilityLevel();
    logAdminChange(httpActor(c), "schema.delete_compatibility", "the registry's compatibility level went back to its default", { subject: null });
    return reply(c, { compatibilityLevel });
  });
  app.get("/config/:subject", doc({ tags: ["schema registry"], summary: "a subject's compatibility level", query: api.DefaultToGlobalQuery, responses: { 200: { description: "success", media: REGISTRY_JSON, schema: api.RegistryCompatibilityLevel } } }), (c) => {
    const found = r.compatibilityLevel(c.req.param("subject"), c.req.query("defaultToGlobal") === "true");
    if (!found) throw new HttpError(404, 40408, `subject '${c.req.param("subject")}' has no compatibility level of its own`);
    return reply(c, { compatibilityLevel: found });
  });
  app.put("/config/:subject", doc({ tags: ["schema registry"], summary: "set a subject's compatibility level", body: api.RegistryCompatibility, bodyMedia: [REGISTRY_JSON, "application/json"], responses: { 200: { description: "success", media: REGISTRY_JSON, schema: api.RegistryCompatibilityAnswerLevel } } }), write, level);
  app.delete("/config/:subject", doc({ tags: ["schema registry"], summary: "remove a subject's level (it follows the global one)", responses: { 200: { description: "success", media: REGISTRY_JSON, schema: api.RegistryCompatibilityLevel } } }), write, async (c) => {
    const compatibilityLevel = await r.deleteCompatibilityLevel(c.req.param("subject"));
    logAdminChange(httpActor(c), "schema.delete_compatibility", `subject ${c.req.param("subject")} follows the registry's compatibility level again`, { subject: c.req.param("subject") });
    return reply(c, { compatibilityLevel });
  });
  const mode = async (c: Context) => {
    const body = checked(api.RegistryMode, await bodyJson(c, deps), 422, 42204);
    const mode = await r.setMode(body.mode, c.req.param("subject"), c.req.query("force") === "true");
    logAdminChange(httpActor(c), "schema.set_mode", `mode of ${c.req.param("subject") ?? "the registry"} set to ${mode}`, { subject: c.req.param("subject") ?? null, mode });
    return reply(c, { mode });
  };
  app.get("/mode", doc({ tags: ["schema registry"], summary: "the global mode", responses: { 200: { description: "success", media: REGISTRY_JSON, schema: api.RegistryMode } } }), (c) => reply(c, { mode: r.mode() }));
  app.put("/mode", doc({ tags: ["schema registry"], summary: "set the global mode", body: api.RegistryMode, bodyMedia: [REGISTRY_JSON, "application/json"], query: api.ForceQuery, responses: { 200: { description: "success", media: REGISTRY_JSON, schema: api.RegistryMode } } }), write, mode);
  app.get("/mode/:subject", doc({ tags: ["schema registry"], summary: "a subject's mode (subjects from --schemas files are READONLY)", query: api.DefaultToGlobalQuery, responses: { 200: { description: "success", media: REGISTRY_JSON, schema: api.RegistryMode } } }), (c) => {
    const found = r.mode(c.req.param("subject"), c.req.query("defaultToGlobal") === "true");
    if (!found) throw new HttpError(404, 40409, `Subject '${c.req.param("subject")}' does not have subject-level mode configured`);
    return reply(c, { mode: found });
  });
  app.put("/mode/:subject", doc({ tags: ["schema registry"], summary: "set a subject's mode", body: api.RegistryMode, bodyMedia: [REGISTRY_JSON, "application/json"], query: api.ForceQuery, responses: { 200: { description: "success", media: REGISTRY_JSON, schema: api.RegistryMode } } }), write, mode);
  app.delete("/mode/:subject", doc({ tags: ["schema registry"], summary: "remove a subject's mode (it follows the global one)", responses: { 200: { description: "success", media: REGISTRY_JSON, schema: api.RegistryMode } } }), write, async (c) => {
    const mode = await r.deleteMode(c.req.param("subject"));
    logAdminChange(httpActor(c), "schema.delete_mode", `subject ${c.req.param("subject")} follows the registry's mode again`, { subject: c.req.param("subject") });
    return reply(c, { mode });
  });
}
