// A Confluent-compatible schema registry for JSON Schema: global ids, subjects
// with versions, soft and hard deletes, compatibility levels (global and per
// subject). State lives in the compacted `_schemas` topic: every change is one
// durable batch, and the registry is rebuilt from it at start.

import type { CompactedStore } from "../log/compacted-store.js";
import { COMPATIBILITY_LEVELS, COMPATIBILITY_STEPS_MAX, CompatibilityBudgetError, compatibilityProblems, type CompatibilityLevel } from "./json-schema-compatibility.js";
import { parseBoundedJson } from "./bounded-json.js";
import { compileSchema } from "./validators.js";

export class RegistryError extends Error {
  constructor(readonly status: number, readonly errorCode: number, message: string, readonly details?: string[]) {
    super(message);
  }
}

export const SUBJECT_NOT_FOUND = 40401;
export const VERSION_NOT_FOUND = 40402;
export const SCHEMA_NOT_FOUND = 40403;
export const INVALID_SCHEMA = 42201;
export const INVALID_VERSION = 42202;
export const INVALID_COMPATIBILITY_LEVEL = 42203;
export const INCOMPATIBLE_SCHEMA = 409;

interface SchemaRecord {
  kind: "schema";
  id: number;
  schema: string;
  schemaType: "JSON";
}

interface VersionRecord {
  kind: "version";
  subject: string;
  version: number;
  id: number;
  deleted: boolean;
}

interface ConfigRecord {
  kind: "config";
  compatibility: CompatibilityLevel;
}

type RegistryRecord = SchemaRecord | VersionRecord | ConfigRecord;

export interface SubjectVersion {
  subject: string;
  version: number;
  id: number;
  schema: string;
  schemaType: "JSON";
}

export interface RegistryLimits {
  /** Deepest nesting accepted in a schema document. */
  jsonDepthMax: number;
  /** Steps one compatibility decision may take before the schema is refused. */
  compatibilityStepsMax: number;
  /** Objects (subschemas) a registered schema may hold. */
  schemaNodesMax: number;
}

const DEFAULT_LIMITS: RegistryLimits = { jsonDepthMax: 64, compatibilityStepsMax: COMPATIBILITY_STEPS_MAX, schemaNodesMax: 5000 };

/** Canonical text of a schema: parsed and re-serialised, so formatting does not make a new version. */
function canonical(schema: string, limits: RegistryLimits): string {
  if (typeof schema !== "string") throw new RegistryError(422, INVALID_SCHEMA, "invalid schema: the schema must be a string of JSON");
  let parsed: unknown;
  try {
    parsed = parseBoundedJson(schema, limits.jsonDepthMax);
  } catch (err) {
    throw new RegistryError(422, INVALID_SCHEMA, `invalid schema: ${(err as Error).message}`);
  }
  if (typeof parsed !== "object" && typeof parsed !== "boolean") throw new RegistryError(422, INVALID_SCHEMA, "invalid schema: a JSON Schema is an object or a boolean");
  try {
    compileSchema(parsed as object, limits.schemaNodesMax);
  } catch (err) {
    throw new RegistryError(422, INVALID_SCHEMA, `invalid schema: ${(err as Error).message}`);
  }
  return JSON.stringify(parsed);
}

export class SchemaRegistry {
  /** Latest live version per subject, cached between writes (validation asks on every record). */
  private latestCache = new Map<string, SubjectVersion | undefined>();

  constructor(private readonly store: CompactedStore<unknown>, private readonly limits: RegistryLimits = DEFAULT_LIMITS) {}

  /** Every write goes through here, so the cache never serves a stale answer. */
  private async put(changes: [string, RegistryRecord | null][]): Promise<void> {
    try {
      await this.store.put(changes);
    } finally {
      this.latestCache.clear();
    }
  }

  private records(): [string, RegistryRecord][] {
    return [...this.store.entries()] as [string, RegistryRecord][];
  }

  private versions(subject: string, includeDeleted = false): VersionRecord[] {
    return this.records()
      .map(([, r]) => r)
      .filter((r): r is VersionRecord => r.kind === "version" && r.subject === subject && (includeDeleted || !r.deleted))
      .sort((a, b) => a.version - b.version);
  }

  private schemaById(id: number): SchemaRecord | undefined {
    return this.store.get(JSON.stringify(["schema", id])) as SchemaRecord | undefined;
  }

  subjects(includeDeleted = false): string[] {
    const names = new Set<string>();
    for (const [, r] of this.records()) if (r.kind === "version" && (includeDeleted || !r.deleted)) names.add(r.subject);
    return [...names].sort();
  }

  getSchema(id: number): SchemaRecord {
    const schema = this.schemaById(id);
    if (!schema) throw new RegistryError(404, SCHEMA_NOT_FOUND, `schema ${id} not found`);
    return schema;
  }

  subjectsOfSchema(id: number): { subject: string; version: number }[] {
    this.getSchema(id);
    return this.records().map(([, r]) => r)
      .filter((r): r is VersionRecord => r.kind === "version" && r.id === id && !r.deleted)
      .map((r) => ({ subject: r.subject, version: r.version }));
  }

  listVersions(subject: string, includeDeleted = false): number[] {
    const versions = this.versions(subject, includeDeleted);
    if (versions.length === 0) throw new RegistryError(404, SUBJECT_NOT_FOUND, `subject '${subject}' not found`);
    return versions.map((v) => v.version);
  }

  getVersion(subject: string, version: string | number, includeDeleted = false): SubjectVersion {
    const versions = this.versions(subject, includeDeleted);
    if (versions.length === 0 && this.versions(subject, true).length === 0) throw new RegistryError(404, SUBJECT_NOT_FOUND, `subject '${subject}' not found`);
    let found: VersionRecord | undefined;
    if (version === "latest" || version === -1 || version === "-1") found = versions[versions.length - 1];
    else {
      const n = Number(version);
      if (!Number.isInteger(n) || n < 1) throw new RegistryError(422, INVALID_VERSION, `version '${version}' must be a positive integer or 'latest'`);
      found = versions.find((v) => v.version === n);
    }
    if (!found) throw new RegistryError(404, VERSION_NOT_FOUND, `version ${version} of subject '${subject}' not found`);
    return { subject, version: found.version, id: found.id, schema: this.getSchema(found.id).schema, schemaType: "JSON" };
  }

  /** The latest live version of a subject, or undefined. */
  latest(subject: string): SubjectVersion | undefined {
    if (this.latestCache.has(subject)) return this.latestCache.get(subject);
    const versions = this.versions(subject);
    const last = versions[versions.length - 1];
    const found: SubjectVersion | undefined = last && { subject, version: last.version, id: last.id, schema: this.getSchema(last.id).schema, schemaType: "JSON" };
    this.latestCache.set(subject, found);
    return found;
  }

  compatibilityLevel(subject?: string, defaultToGlobal = true): CompatibilityLevel | undefined {
    if (subject !== undefined) {
      const own = (this.store.get(JSON.stringify(["config", subject])) as ConfigRecord | undefined)?.compatibility;
      if (own || !defaultToGlobal) return own;
    }
    return (this.store.get(JSON.stringify(["config", null])) as ConfigRecord | undefined)?.compatibility ?? "BACKWARD";
  }

  async setCompatibilityLevel(level: string, subject?: string): Promise<CompatibilityLevel> {
    if (!COMPATIBILITY_LEVELS.includes(level as CompatibilityLevel)) {
      throw new RegistryError(422, INVALID_COMPATIBILITY_LEVEL, `invalid compatibility level '${level}' (one of ${COMPATIBILITY_LEVELS.join(", ")})`);
    }
    await this.put([[JSON.stringify(["config", subject ?? null]), { kind: "config", compatibility: level as CompatibilityLevel }]]);
    return level as CompatibilityLevel;
  }

  async deleteCompatibilityLevel(subject?: string): Promise<CompatibilityLevel> {
    const previous = this.compatibilityLevel(subject);
    await this.put([[JSON.stringify(["config", subject ?? null]), null]]);
    return previous!;
  }

  /** Messages for every rule `schema` breaks against the subject's versions under its level ([] when compatible). */
  checkCompatibility(subject: string, schema: string, against?: string | number): string[] {
    const text = canonical(schema, this.limits);
    const level = this.compatibilityLevel(subject)!;
    let previous = this.versions(subject).map((v) => JSON.parse(this.getSchema(v.id).schema));
    if (against !== undefined) previous = [JSON.parse(this.getVersion(subject, against).schema)];
    try {
      return compatibilityProblems(against !== undefined && level.endsWith("_TRANSITIVE") ? level.replace("_TRANSITIVE", "") as CompatibilityLevel : level,
        previous, JSON.parse(text), this.limits.compatibilityStepsMax);
    } catch (err) {
      if (err instanceof CompatibilityBudgetError) throw new RegistryError(422, INVALID_SCHEMA, `invalid schema: ${err.message}`);
      throw err;
    }
  }

  lookup(subject: string, schema: string): SubjectVersion {
    const text = canonical(schema, this.limits);
    if (this.versions(subject, true).length === 0) throw new RegistryError(404, SUBJECT_NOT_FOUND, `subject '${subject}' not found`);
    const match = this.versions(subject).find((v) => this.getSchema(v.id).schema === text);
    if (!match) throw new RegistryError(404, SCHEMA_NOT_FOUND, `schema not found under subject '${subject}'`);
    return this.getVersion(subject, match.version);
  }

  /** Registers a schema under a subject; an identical schema returns its existing id. */
  async register(subject: string, schema: string, schemaType = "JSON"): Promise<{ id: number; version: number }> {
    if (!subject) throw new RegistryError(422, INVALID_SCHEMA, "subject name is empty");
    if (schemaType !== "JSON") throw new RegistryError(422, INVALID_SCHEMA, `schema type ${schemaType} is not supported (JSON only)`);
    const text = canonical(schema, this.limits);
    const live = this.versions(subject);
    const same = live.find((v) => this.getSchema(v.id).schema === text);
    if (same) return { id: same.id, version: same.version };
    const problems = this.checkCompatibility(subject, text);
    if (problems.length) {
      throw new RegistryError(409, INCOMPATIBLE_SCHEMA, `schema being registered is incompatible with an earlier schema for subject '${subject}'`, problems);
    }
    let id = this.records().map(([, r]) => r).find((r): r is SchemaRecord => r.kind === "schema" && r.schema === text)?.id;
    const changes: [string, RegistryRecord][] = [];
    if (id === undefined) {
      id = 1 + Math.max(0, ...this.records().map(([, r]) => (r.kind === "schema" ? r.id : 0)));
      changes.push([JSON.stringify(["schema", id]), { kind: "schema", id, schema: text, schemaType: "JSON" }]);
    }
    const version = 1 + Math.max(0, ...this.versions(subject, true).map((v) => v.version));
    changes.push([JSON.stringify(["version", subject, version]), { kind: "version", subject, version, id, deleted: false }]);
    await this.put(changes);
    return { id, version };
  }

  async deleteSubject(subject: string, permanent: boolean): Promise<number[]> {
    const all = this.versions(subject, true);
    if (all.length === 0) throw new RegistryError(404, SUBJECT_NOT_FOUND, `subject '${subject}' not found`);
    if (permanent && all.some((v) => !v.deleted)) throw new RegistryError(404, 40405, `subject '${subject}' must be soft-deleted before it is deleted permanently`);
    await this.put(all.map((v) => [JSON.stringify(["version", subject, v.version]), permanent ? null : { ...v, deleted: true }]));
    return all.map((v) => v.version);
  }

  async deleteVersion(subject: string, version: string, permanent: boolean): Promise<number> {
    const found = this.getVersion(subject, version, permanent);
    const record = this.store.get(JSON.stringify(["version", subject, found.version])) as VersionRecord;
    if (permanent && !record.deleted) throw new RegistryError(404, 40407, `version ${found.version} of '${subject}' must be soft-deleted first`);
    await this.put([[JSON.stringify(["version", subject, found.version]), permanent ? null : { ...record, deleted: true }]]);
    return found.version;
  }
}
