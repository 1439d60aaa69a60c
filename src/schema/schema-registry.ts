// A Confluent-compatible schema registry for Avro and JSON Schema: global ids, subjects
// with versions, soft and hard deletes, compatibility levels and modes (global
// and per subject). State lives in the compacted `_schemas` topic, in Confluent
// Schema Registry's own record format: every change is one durable batch, and
// the registry is rebuilt from it at start. Changes run one at a time, so
// concurrent registrations each get their own id.

import type { KeyValueStore } from "../log/store.js";
import { COMPATIBILITY_LEVELS, COMPATIBILITY_STEPS_MAX, CompatibilityBudgetError, compatibilityProblems, type CompatibilityLevel } from "./json-schema-compatibility.js";
import type { ValidateFunction } from "ajv";
import type avro from "avsc";
import { compileSchema } from "./validators.js";
import { avroCompatibilityProblems, decodeAvro, parseAvro, referencedTypes } from "./avro.js";
import {
  INCOMPATIBLE_SCHEMA, INVALID_COMPATIBILITY_LEVEL, INVALID_MODE, INVALID_SCHEMA, INVALID_VERSION, OPERATION_NOT_PERMITTED,
  RegistryError, SCHEMA_NOT_FOUND, SUBJECT_NOT_FOUND, VERSION_NOT_FOUND,
} from "./registry-errors.js";
import { canonical, jsonReferences, sameReferences, type ResolvedReference, type SchemaReference, type SchemaType } from "./schema-text.js";

export * from "./registry-errors.js";
export { SCHEMA_TYPES, schemaTypeOf, type SchemaReference, type SchemaType } from "./schema-text.js";

export const MODES = ["READWRITE", "READONLY", "IMPORT"] as const;
export type Mode = (typeof MODES)[number];

import type { ConfigRecord, ModeRecord, RegistryRecord, SchemaRecord, VersionRecord } from "./registry-records.js";
import { ConfluentSchemaRecords } from "./confluent-records.js";

const subjectNotFound = (subject: string) => new RegistryError(404, SUBJECT_NOT_FOUND, `Subject '${subject}' not found.`);

export interface SubjectVersion {
  subject: string;
  version: number;
  id: number;
  schema: string;
  schemaType: SchemaType;
  references?: SchemaReference[];
}

export interface RegistryLimits {
  /** Deepest nesting accepted in a schema document. */
  jsonDepthMax: number;
  /** Steps one compatibility decision may take before the schema is refused. */
  compatibilityStepsMax: number;
  /** Objects (subschemas) a registered schema may hold. */
  schemaNodesMax: number;
  /** Schemas one schema may reference, directly or through others. */
  referencesMax?: number;
  /** Items an Avro value may decode to per byte of it (item bombs). */
  avroItemsPerByteMax?: number;
}

const DEFAULT_LIMITS: RegistryLimits = { jsonDepthMax: 64, compatibilityStepsMax: COMPATIBILITY_STEPS_MAX, schemaNodesMax: 5000 };

/** Schemas one schema may reference, directly or through others (default of schemaReferencesMax). */
const REFERENCES_MAX = 1000;
/** Ids are written into records as a signed 32-bit integer. */
const SCHEMA_ID_MAX = 2 ** 31 - 1;

export class SchemaRegistry {
  /** Latest live version per subject, cached between writes (validation asks on every record). */
  private latestCache = new Map<string, SubjectVersion | undefined>();
  /** Ids of each subject's live versions, cached like latest: validation asks for every framed record. */
  private idsCache = new Map<string, Set<number>>();

  /** The tail of the queue of changes: each runs after the one before it has been written. */
  private changes: Promise<unknown> = Promise.resolve();
  /** Compiled forms of registered schemas by id (an id never changes its schema). */
  private readonly avroTypes = new Map<number, avro.Type>();
  private readonly jsonValidators = new Map<number, ValidateFunction>();
  /** Subjects whose schema comes from a file (schemas as code): read-only over the API. */
  private readonly pinned = new Map<string, string>();

  /** The registry's records over the stored ones, which are in Confluent's format (confluent-records.ts). */
  private readonly store: ConfluentSchemaRecords;

  constructor(stored: KeyValueStore<unknown>, private readonly limits: RegistryLimits = DEFAULT_LIMITS) {
    this.store = new ConfluentSchemaRecords(stored);
  }

  /** Records were written by someone else (another instance on the same cluster): nothing cached may be trusted. */
  storedRecordsChanged(): void {
    this.store.forgetView();
    this.latestCache.clear();
    this.idsCache.clear();
  }

  /** Rewrites stored records of Tributary's earlier format in Confluent's (once, at start); returns how many. */
  migrateStoredRecords(): Promise<number> {
    return this.exclusive(async () => {
      try {
        return await this.store.migrate();
      } finally {
        this.latestCache.clear();
        this.idsCache.clear();
      }
    });
  }

  /** Runs a change after every earlier one: decisions are made on the state the change will be written over. */
  private exclusive<T>(change: () => Promise<T>): Promise<T> {
    const result = this.changes.then(change, change);
    this.changes = result.catch(() => undefined);
    return result;
  }

  /** Every write goes through here, so the cache never serves a stale answer. */
  private async put(changes: [string, RegistryRecord | null][]): Promise<void> {
    try {
      await this.store.put(changes);
    } finally {
      this.latestCache.clear();
      this.idsCache.clear();
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
    if (!schema) throw new RegistryError(404, SCHEMA_NOT_FOUND, `Schema ${id} not found`);
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
    if (versions.length === 0) throw subjectNotFound(subject);
    return versions.map((v) => v.version);
  }

  getVersion(subject: string, version: string | number, includeDeleted = false): SubjectVersion {
    const versions = this.versions(subject, includeDeleted);
    if (versions.length === 0 && this.versions(subject, true).length === 0) throw subjectNotFound(subject);
    let found: VersionRecord | undefined;
    if (version === "latest" || version === -1 || version === "-1") found = versions[versions.length - 1];
    else {
      const n = Number(version);
      if (!Number.isInteger(n) || n < 1) throw new RegistryError(422, INVALID_VERSION, `version '${version}' must be a positive integer or 'latest'`);
      found = versions.find((v) => v.version === n);
    }
    if (!found) throw new RegistryError(404, VERSION_NOT_FOUND, `Version ${version} not found.`);
    const schema = this.getSchema(found.id);
    return { subject, version: found.version, id: found.id, schema: schema.schema, schemaType: schema.schemaType, ...(schema.references?.length ? { references: schema.references } : {}) };
  }

  /** The latest live version of a subject, or undefined. */
  latest(subject: string): SubjectVersion | undefined {
    if (this.latestCache.has(subject)) return this.latestCache.get(subject);
    const versions = this.versions(subject);
    const last = versions[versions.length - 1];
    const schema = last && this.getSchema(last.id);
    const found: SubjectVersion | undefined = last && schema && { subject, version: last.version, id: last.id, schema: schema.schema, schemaType: schema.schemaType };
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
    await this.exclusive(() => this.put([[JSON.stringify(["config", subject ?? null]), { kind: "config", compatibility: level as CompatibilityLevel }]]));
    return level as CompatibilityLevel;
  }

  async deleteCompatibilityLevel(subject?: string): Promise<CompatibilityLevel> {
    const previous = this.compatibilityLevel(subject);
    await this.exclusive(() => this.put([[JSON.stringify(["config", subject ?? null]), null]]));
    return previous!;
  }

  /** Messages for every rule `schema` breaks against the subject's versions under its level ([] when compatible). */
  checkCompatibility(subject: string, schema: string, against?: string | number, schemaType: SchemaType = "JSON", references: SchemaReference[] = []): string[] {
    const resolved = this.resolveReferences(references);
    const text = canonical(schema, schemaType, this.limits, resolved);
    let level = this.compatibilityLevel(subject)!;
    let previous = this.versions(subject).map((v) => this.getSchema(v.id));
    if (against !== undefined) {
      previous = [this.getSchema(this.getVersion(subject, against).id)];
      if (level.endsWith("_TRANSITIVE")) level = level.replace("_TRANSITIVE", "") as CompatibilityLevel;
    }
    if (level === "NONE" || previous.length === 0) return [];
    const other = previous.find((p) => p.schemaType !== schemaType);
    if (other) return [`schema type ${schemaType} differs from ${other.schemaType} of schema ${other.id} already under subject '${subject}'`];
    if (schemaType === "AVRO") {
      const candidate = parseAvro(text, referencedTypes(resolved.filter((r) => r.schemaType === "AVRO").map((r) => r.schema)));
      return avroCompatibilityProblems(level, previous.map((p) => this.avroType(p.id)), candidate);
    }
    try {
      return compatibilityProblems(level, previous.map((p) => JSON.parse(p.schema)), JSON.parse(text), this.limits.compatibilityStepsMax);
    } catch (err) {
      if (err instanceof CompatibilityBudgetError) throw new RegistryError(422, INVALID_SCHEMA, `invalid schema: ${err.message}`);
      throw err;
    }
  }

  lookup(subject: string, schema: string, schemaType: SchemaType = "JSON", references: SchemaReference[] = []): SubjectVersion {
    const text = canonical(schema, schemaType, this.limits, this.resolveReferences(references));
    if (this.versions(subject, true).length === 0) throw subjectNotFound(subject);
    const refs = references.length ? references : undefined;
    const match = this.versions(subject).find((v) => this.sameSchema(v.id, text, schemaType, refs));
    if (!match) throw new RegistryError(404, SCHEMA_NOT_FOUND, "Schema not found");
    return this.getVersion(subject, match.version);
  }

  private sameSchema(id: number, text: string, schemaType: SchemaType, references?: SchemaReference[]): boolean {
    const s = this.getSchema(id);
    return s.schema === text && s.schemaType === schemaType && sameReferences(s.references, references);
  }

  /**
   * The schemas `references` name, each after the ones it refers to itself
   * (Avro types must be defined before use); 422 when one does not exist.
   */
  resolveReferences(references: SchemaReference[] = [], depth = 0, seen = new Set<string>(), out: ResolvedReference[] = []): ResolvedReference[] {
    if (depth > 32) throw new RegistryError(422, INVALID_SCHEMA, "Invalid schema: references nest more than 32 deep");
    for (const r of references) {
      if (typeof r?.name !== "string" || typeof r.subject !== "string" || !Number.isInteger(r.version)) {
        throw new RegistryError(422, INVALID_SCHEMA, "Invalid schema: each reference needs a name, a subject and a version");
      }
      let target: SubjectVersion;
      try {
        target = this.getVersion(r.subject, r.version);
      } catch {
        throw new RegistryError(422, INVALID_SCHEMA, `Invalid schema: reference '${r.name}' names version ${r.version} of subject '${r.subject}', which does not exist`);
      }
      // Each (name, version) once: schemas that share references must not multiply them.
      const key = JSON.stringify([r.name, r.subject, target.version]);
      if (seen.has(key)) continue;
      seen.add(key);
      const max = this.limits.referencesMax ?? REFERENCES_MAX;
      if (seen.size > max) throw new RegistryError(422, INVALID_SCHEMA, `Invalid schema: more than ${max} schemas referenced, directly or not (schemaReferencesMax)`);
      this.resolveReferences(target.references, depth + 1, seen, out);
      out.push({ name: r.name, schema: target.schema, schemaType: target.schemaType });
    }
    return out;
  }

  get avroItemsPerByteMax(): number | undefined {
    return this.limits.avroItemsPerByteMax;
  }

  /** The Avro type of a registered schema, its references resolved. */
  avroType(id: number): avro.Type {
    let type = this.avroTypes.get(id);
    if (!type) {
      const s = this.getSchema(id);
      const refs = this.resolveReferences(s.references).filter((r) => r.schemaType === "AVRO").map((r) => r.schema);
      this.avroTypes.set(id, (type = parseAvro(s.schema, referencedTypes(refs))));
    }
    return type;
  }

  /** A value framed with an Avro schema's id, in Avro's JSON encoding (REST consumers in avro format); throws when it is not one. */
  avroJson(framed: Buffer): unknown {
    if (framed.length < 5 || framed[0] !== 0) throw new Error("it is not framed with a schema id");
    const id = framed.readInt32BE(1);
    if (this.getSchema(id).schemaType !== "AVRO") throw new Error(`schema ${id} is not an Avro schema`);
    const type = this.avroType(id);
    return JSON.parse(type.toString(decodeAvro(type, framed.subarray(5), this.avroItemsPerByteMax)));
  }

  /** The JSON Schema validator of a registered schema, its references resolved. */
  jsonValidator(id: number): ValidateFunction {
    let validate = this.jsonValidators.get(id);
    if (!validate) {
      const s = this.getSchema(id);
      this.jsonValidators.set(id, (validate = compileSchema(JSON.parse(s.schema), Infinity, jsonReferences(this.resolveReferences(s.references)))));
    }
    return validate;
  }

  /** Ids of the schemas that refer to a version (Confluent's referencedby). */
  referencedBy(subject: string, version: string | number): number[] {
    return this.referrers(subject, this.getVersion(subject, version).version);
  }

  /** Ids of the live schemas whose references name this version. */
  private referrers(subject: string, version: number): number[] {
    const records = this.records().map(([, r]) => r);
    const live = new Set(records.filter((r): r is VersionRecord => r.kind === "version" && !r.deleted).map((r) => r.id));
    return records
      .filter((r): r is SchemaRecord => r.kind === "schema" && live.has(r.id) && (r.references ?? []).some((ref) => ref.subject === subject && ref.version === version))
      .map((r) => r.id).sort((a, b) => a - b);
  }

  /** Whether `id` is the schema of a live version of `subject` (a record must name a schema of its own subject). */
  subjectHasSchema(subject: string, id: number): boolean {
    let ids = this.idsCache.get(subject);
    if (!ids) this.idsCache.set(subject, (ids = new Set(this.versions(subject).map((v) => v.id))));
    return ids.has(id);
  }

  /**
   * Registers a schema under a subject; an identical schema returns its
   * existing id. In IMPORT mode the caller gives the id (and may give the
   * version), and compatibility is not checked, as in Confluent's registry.
   */
  register(subject: string, schema: string, schemaType: SchemaType = "JSON", imported: { id?: number; version?: number } = {}, references: SchemaReference[] = []): Promise<{ id: number; version: number }> {
    return this.exclusive(() => this.registerNow(subject, schema, schemaType, imported, false, references));
  }

  /**
   * Makes `schema` the latest version of `subject` (schemas as code): no-op
   * when it already is; a new version otherwise, if compatible, even when an
   * older version had the same text. Ignores the subject's read-only mode.
   */
  registerLatest(subject: string, schema: string, schemaType: SchemaType = "JSON"): Promise<{ id: number; version: number }> {
    return this.exclusive(() => this.registerNow(subject, schema, schemaType, {}, true));
  }

  private async registerNow(subject: string, schema: string, schemaType: SchemaType, imported: { id?: number; version?: number }, asLatest: boolean,
    references: SchemaReference[] = []): Promise<{ id: number; version: number }> {
    if (!subject) throw new RegistryError(422, INVALID_SCHEMA, "subject name is empty");
    const mode = this.mode(subject);
    if (!asLatest) this.checkWritable(subject, mode);
    const importing = imported.id !== undefined || imported.version !== undefined;
    if (importing && mode !== "IMPORT") throw new RegistryError(422, OPERATION_NOT_PERMITTED, `Subject '${subject}' is not in import mode: an id or version can only be given in IMPORT mode`);
    if (!importing && mode === "IMPORT") throw new RegistryError(422, OPERATION_NOT_PERMITTED, `Subject '${subject}' is in import mode: registrations must give the schema's id`);
    const resolved = this.resolveReferences(references);
    const text = canonical(schema, schemaType, this.limits, resolved);
    const refs = references.length ? references.map(({ name, subject: s, version: v }) => ({ name, subject: s, version: v })) : undefined;
    const live = this.versions(subject);
    if (asLatest) {
      const latest = live[live.length - 1];
      if (latest && this.sameSchema(latest.id, text, schemaType, refs)) return { id: latest.id, version: latest.version };
    } else if (!importing) {
      const same = live.find((v) => this.sameSchema(v.id, text, schemaType, refs));
      if (same) return { id: same.id, version: same.version };
    }
    if (!importing) {
      const problems = this.checkCompatibility(subject, text, undefined, schemaType, references);
      if (problems.length) {
        throw new RegistryError(409, INCOMPATIBLE_SCHEMA, `Schema being registered is incompatible with an earlier schema for subject "${subject}"`, problems);
      }
    }
    const existing = this.records().map(([, r]) => r).find((r): r is SchemaRecord => r.kind === "schema" && r.schema === text && r.schemaType === schemaType && sameReferences(r.references, refs))?.id;
    let id = existing;
    if (imported.id !== undefined) {
      if (!Number.isInteger(imported.id) || imported.id < 1 || imported.id > SCHEMA_ID_MAX) throw new RegistryError(422, INVALID_SCHEMA, `schema id ${imported.id} must be an integer from 1 to ${SCHEMA_ID_MAX}`);
      const taken = this.schemaById(imported.id);
      if (taken && (taken.schema !== text || taken.schemaType !== schemaType || !sameReferences(taken.references, refs))) throw new RegistryError(422, OPERATION_NOT_PERMITTED, `Overwrite new schema with id ${imported.id} is not permitted.`);
      id = imported.id;
    }
    const changes: [string, RegistryRecord][] = [];
    if (id === undefined || !this.schemaById(id)) {
      // A loop, not Math.max(...ids): a spread of many thousands of ids overflows the stack.
      id ??= 1 + this.records().reduce((max, [, r]) => (r.kind === "schema" && r.id > max ? r.id : max), 0);
      if (id > SCHEMA_ID_MAX) throw new RegistryError(422, INVALID_SCHEMA, `no schema id is left above ${SCHEMA_ID_MAX} (ids are 32-bit in every record)`);
      changes.push([JSON.stringify(["schema", id]), { kind: "schema", id, schema: text, schemaType, ...(refs ? { references: refs } : {}) }]);
    }
    const all = this.versions(subject, true);
    let version = 1 + all.reduce((max, v) => Math.max(max, v.version), 0);
    if (imported.version !== undefined) {
      if (!Number.isInteger(imported.version) || imported.version < 1) throw new RegistryError(422, INVALID_VERSION, `version ${imported.version} must be a positive integer`);
      const at = all.find((v) => v.version === imported.version);
      if (at && at.id !== id) throw new RegistryError(422, OPERATION_NOT_PERMITTED, `Version ${imported.version} of subject '${subject}' already holds schema ${at.id}.`);
      if (at) return { id: at.id, version: at.version };
      version = imported.version;
    }
    changes.push([JSON.stringify(["version", subject, version]), { kind: "version", subject, version, id, deleted: false }]);
    await this.put(changes);
    return { id, version };
  }

  /** The mode in force for a subject: its own, else the global one (READWRITE by default); file subjects are READONLY. */
  mode(subject?: string, defaultToGlobal = true): Mode | undefined {
    if (subject !== undefined) {
      if (this.pinned.has(subject)) return "READONLY";
      const own = (this.store.get(JSON.stringify(["mode", subject])) as ModeRecord | undefined)?.mode;
      if (own || !defaultToGlobal) return own;
    }
    return (this.store.get(JSON.stringify(["mode", null])) as ModeRecord | undefined)?.mode ?? "READWRITE";
  }

  /** Sets the global mode or a subject's; IMPORT needs an empty registry (or subject) unless forced, as in Confluent. */
  setMode(mode: string, subject?: string, force = false): Promise<Mode> {
    return this.exclusive(async () => {
      if (!MODES.includes(mode as Mode)) throw new RegistryError(422, INVALID_MODE, `Invalid mode '${mode}' (one of ${MODES.join(", ")})`);
      if (subject !== undefined && this.pinned.has(subject)) throw this.pinnedError(subject);
      if (mode === "IMPORT" && !force) {
        const holding = subject === undefined ? this.subjects() : this.versions(subject).length ? [subject] : [];
        if (holding.length) throw new RegistryError(422, OPERATION_NOT_PERMITTED, `Cannot import since found existing subjects (${holding.slice(0, 5).join(", ")}); use force=true to import anyway`);
      }
      await this.put([[JSON.stringify(["mode", subject ?? null]), { kind: "mode", mode: mode as Mode }]]);
      return mode as Mode;
    });
  }

  deleteMode(subject: string): Promise<Mode> {
    return this.exclusive(async () => {
      if (this.pinned.has(subject)) throw this.pinnedError(subject);
      const previous = this.mode(subject);
      await this.put([[JSON.stringify(["mode", subject]), null]]);
      return previous!;
    });
  }

  /** Marks subjects whose schema comes from a file: read-only over the API while the broker runs. */
  pin(subject: string, file: string): void {
    this.pinned.set(subject, file);
  }

  private pinnedError(subject: string): RegistryError {
    return new RegistryError(422, OPERATION_NOT_PERMITTED, `Subject '${subject}' is in read-only mode: its schema comes from ${this.pinned.get(subject)}; change the file and restart`);
  }

  /** A version another live schema refers to stays: Confluent's 42206. */
  private refuseIfReferenced(subject: string, version: number): void {
    const users = this.referrers(subject, version);
    if (users.length) throw new RegistryError(422, 42206, `One or more references exist to the schema {subject=${subject},version=${version}} (schemas ${users.join(", ")})`);
  }

  private checkWritable(subject: string, mode = this.mode(subject)): void {
    if (this.pinned.has(subject)) throw this.pinnedError(subject);
    if (mode === "READONLY") throw new RegistryError(422, OPERATION_NOT_PERMITTED, `Subject '${subject}' is in read-only mode`);
  }

  /** Soft delete answers the versions it deleted (those still live); permanent delete every version. */
  deleteSubject(subject: string, permanent: boolean): Promise<number[]> {
    return this.exclusive(async () => {
      this.checkWritable(subject);
      const all = this.versions(subject, true);
      if (all.length === 0) throw subjectNotFound(subject);
      const live = all.filter((v) => !v.deleted);
      if (permanent && live.length > 0) throw new RegistryError(404, 40405, `Subject '${subject}' was not deleted first before being permanently deleted`);
      if (!permanent && live.length === 0) throw new RegistryError(404, 40404, `Subject '${subject}' was soft deleted.Set permanent=true to delete permanently`);
      const targets = permanent ? all : live;
      for (const v of targets) this.refuseIfReferenced(subject, v.version);
      await this.put(targets.map((v) => [JSON.stringify(["version", subject, v.version]), permanent ? null : { ...v, deleted: true }]));
      return targets.map((v) => v.version);
    });
  }

  deleteVersion(subject: string, version: string, permanent: boolean): Promise<number> {
    return this.exclusive(async () => {
      this.checkWritable(subject);
      const found = this.getVersion(subject, version, permanent);
      const record = this.store.get(JSON.stringify(["version", subject, found.version])) as VersionRecord;
      this.refuseIfReferenced(subject, found.version);
      if (permanent && !record.deleted) throw new RegistryError(404, 40407, `Subject '${subject}' Version ${found.version} was not deleted first before being permanently deleted`);
      await this.put([[JSON.stringify(["version", subject, found.version]), permanent ? null : { ...record, deleted: true }]]);
      return found.version;
    });
  }
}
