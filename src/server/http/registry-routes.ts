// The Confluent Schema Registry REST API (Avro and JSON Schema), on the HTTP port.

import type { Context, Hono } from "hono";
import type { HttpDeps } from "./http-deps.js";
import { bodyJson } from "./request-body.js";
import { HttpError } from "./http-error.js";
import { schemaTypeOf, type SchemaReference, type SchemaType } from "../../schema/schema-registry.js";
import { logAdminChange } from "../../ops/ops-log.js";
import { httpActor } from "./actor.js";

const REGISTRY_JSON = "application/vnd.schemaregistry.v1+json";

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
  const body = await bodyJson(c, deps) as { schema?: unknown; schemaType?: unknown; references?: unknown; id?: unknown; version?: unknown };
  if (typeof body?.schema !== "string") throw new HttpError(422, 42201, "body must be { \"schema\": \"<schema as a string>\", \"schemaType\": \"AVRO\" (default) | \"JSON\" }");
  if (body.references !== undefined && body.references !== null && !Array.isArray(body.references)) throw new HttpError(422, 42201, "references must be a list of { name, subject, version }");
  const optionalInteger = (value: unknown, name: string) => {
    if (value === undefined || value === null || value === -1 || value === 0) return undefined;
    if (typeof value !== "number" || !Number.isInteger(value)) throw new HttpError(422, 42201, `${name} must be an integer`);
    return value;
  };
  return {
    schema: body.schema, schemaType: schemaTypeOf(body.schemaType),
    id: optionalInteger(body.id, "id"), version: optionalInteger(body.version, "version"),
    references: (body.references ?? []) as SchemaReference[],
  };
}

export function registerRegistryRoutes(app: Hono, deps: HttpDeps): void {
  const r = deps.registry;
  app.get("/schemas/types", (c) => reply(c, ["JSON", "AVRO"]));
  app.get("/schemas/ids/:id", (c) => {
    const s = r.getSchema(Number(c.req.param("id")));
    return reply(c, shown({ schema: s.schema, schemaType: s.schemaType, ...(s.references?.length ? { references: s.references } : {}) }));
  });
  app.get("/schemas/ids/:id/schema", (c) => reply(c, JSON.parse(r.getSchema(Number(c.req.param("id"))).schema)));
  app.get("/schemas/ids/:id/versions", (c) => reply(c, r.subjectsOfSchema(Number(c.req.param("id")))));
  app.get("/subjects", (c) => reply(c, r.subjects(c.req.query("deleted") === "true")));
  app.get("/subjects/:subject/versions", (c) => reply(c, r.listVersions(c.req.param("subject"), c.req.query("deleted") === "true")));
  app.post("/subjects/:subject/versions", async (c) => {
    const { schema, schemaType, id, version, references } = await schemaBody(c, deps);
    const registered = await r.register(c.req.param("subject"), schema, schemaType, { id, version }, references);
    logAdminChange(httpActor(c), "schema.register", `registered a ${schemaType ?? "JSON"} schema under ${c.req.param("subject")} (id ${registered.id})`,
      { subject: c.req.param("subject"), id: registered.id });
    return reply(c, { id: registered.id });
  });
  app.post("/subjects/:subject", async (c) => {
    const { schema, schemaType, references } = await schemaBody(c, deps);
    return reply(c, shown(r.lookup(c.req.param("subject"), schema, schemaType, references)));
  });
  app.get("/subjects/:subject/versions/:version", (c) => reply(c, shown(r.getVersion(c.req.param("subject"), c.req.param("version"), c.req.query("deleted") === "true"))));
  app.get("/subjects/:subject/versions/:version/referencedby", (c) => reply(c, r.referencedBy(c.req.param("subject"), c.req.param("version"))));
  app.get("/subjects/:subject/versions/:version/schema", (c) => reply(c, JSON.parse(r.getVersion(c.req.param("subject"), c.req.param("version")).schema)));
  app.delete("/subjects/:subject", async (c) => {
    const permanent = c.req.query("permanent") === "true";
    const versions = await r.deleteSubject(c.req.param("subject"), permanent);
    logAdminChange(httpActor(c), "schema.delete_subject", `deleted subject ${c.req.param("subject")}${permanent ? " permanently" : ""}`, { subject: c.req.param("subject"), versions, permanent });
    return reply(c, versions);
  });
  app.delete("/subjects/:subject/versions/:version", async (c) => {
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
  app.post("/compatibility/subjects/:subject/versions/:version", (c) => compatibility(c, c.req.param("version")));
  app.post("/compatibility/subjects/:subject/versions", (c) => compatibility(c));
  const level = async (c: Context) => {
    const body = await bodyJson(c, deps) as { compatibility?: unknown };
    if (typeof body?.compatibility !== "string") throw new HttpError(422, 42203, "body must be { \"compatibility\": LEVEL }");
    const compatibility = await r.setCompatibilityLevel(body.compatibility, c.req.param("subject"));
    logAdminChange(httpActor(c), "schema.set_compatibility", `compatibility of ${c.req.param("subject") ?? "the registry"} set to ${compatibility}`,
      { subject: c.req.param("subject") ?? null, compatibility });
    return reply(c, { compatibility });
  };
  app.get("/config", (c) => reply(c, { compatibilityLevel: r.compatibilityLevel() }));
  app.put("/config", level);
  app.delete("/config", async (c) => {
    const compatibilityLevel = await r.deleteCompatibilityLevel();
    logAdminChange(httpActor(c), "schema.delete_compatibility", "the registry's compatibility level went back to its default", { subject: null });
    return reply(c, { compatibilityLevel });
  });
  app.get("/config/:subject", (c) => {
    const found = r.compatibilityLevel(c.req.param("subject"), c.req.query("defaultToGlobal") === "true");
    if (!found) throw new HttpError(404, 40408, `subject '${c.req.param("subject")}' has no compatibility level of its own`);
    return reply(c, { compatibilityLevel: found });
  });
  app.put("/config/:subject", level);
  app.delete("/config/:subject", async (c) => {
    const compatibilityLevel = await r.deleteCompatibilityLevel(c.req.param("subject"));
    logAdminChange(httpActor(c), "schema.delete_compatibility", `subject ${c.req.param("subject")} follows the registry's compatibility level again`, { subject: c.req.param("subject") });
    return reply(c, { compatibilityLevel });
  });
  const mode = async (c: Context) => {
    const body = await bodyJson(c, deps) as { mode?: unknown };
    if (typeof body?.mode !== "string") throw new HttpError(422, 42204, "body must be { \"mode\": \"READWRITE\" | \"READONLY\" | \"IMPORT\" }");
    const mode = await r.setMode(body.mode, c.req.param("subject"), c.req.query("force") === "true");
    logAdminChange(httpActor(c), "schema.set_mode", `mode of ${c.req.param("subject") ?? "the registry"} set to ${mode}`, { subject: c.req.param("subject") ?? null, mode });
    return reply(c, { mode });
  };
  app.get("/mode", (c) => reply(c, { mode: r.mode() }));
  app.put("/mode", mode);
  app.get("/mode/:subject", (c) => {
    const found = r.mode(c.req.param("subject"), c.req.query("defaultToGlobal") === "true");
    if (!found) throw new HttpError(404, 40409, `Subject '${c.req.param("subject")}' does not have subject-level mode configured`);
    return reply(c, { mode: found });
  });
  app.put("/mode/:subject", mode);
  app.delete("/mode/:subject", async (c) => {
    const mode = await r.deleteMode(c.req.param("subject"));
    logAdminChange(httpActor(c), "schema.delete_mode", `subject ${c.req.param("subject")} follows the registry's mode again`, { subject: c.req.param("subject") });
    return reply(c, { mode });
  });
}
