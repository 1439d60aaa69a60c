// The registry's state in Confluent Schema Registry's own record format, so
// that a `_schemas` topic written by Tributary can be read by Confluent's
// registry and the other way round (no lock-in). Keys and values are JSON:
//
//   {"keytype":"SCHEMA","subject":S,"version":V,"magic":1}
//       {"subject":S,"version":V,"id":ID,"schemaType":"JSON","references":[…],"schema":"…","deleted":false}
//       (schemaType left out for AVRO, references when there are none)
//   {"keytype":"CONFIG","subject":S or null,"magic":0}  {"compatibilityLevel":"BACKWARD"}
//   {"keytype":"MODE","subject":S or null,"magic":0}    {"mode":"READWRITE"}
//   {"keytype":"DELETE_SUBJECT","subject":S,"magic":0}  {"subject":S,"version":V}  (read: versions <= V deleted)
//   {"keytype":"CLEAR_SUBJECT","subject":S,"magic":0}   {"subject":S,"version":V}  (read: versions <= V gone)
//   {"keytype":"NOOP",...}                              (read: ignored)
//
// The registry itself works on its own records (registry-records.ts); this
// store translates both ways. A schema has no record of its own in Confluent's
// format: it is the schema of the versions that carry its id. Records in the
// format Tributary used before (keys ["schema", id], ["version", s, v], …) are
// read too, and `migrate` rewrites them in one batch.

import type { KeyValueStore } from "../log/store.js";
import type { ConfigRecord, ModeRecord, RegistryRecord, SchemaRecord, VersionRecord } from "./registry-records.js";
import type { SchemaReference, SchemaType } from "./schema-text.js";

interface ConfluentKey {
  keytype?: unknown;
  subject?: unknown;
  version?: unknown;
  magic?: unknown;
}

interface ConfluentSchemaValue {
  subject: string;
  version: number;
  id: number;
  schemaType?: SchemaType;
  references?: SchemaReference[];
  schema: string;
  deleted?: boolean;
}

/** Confluent's key of a subject's version; fields in Confluent's order. */
export function schemaKey(subject: string, version: number): string {
  return JSON.stringify({ keytype: "SCHEMA", subject, version, magic: 1 });
}

export function configKey(subject: string | null): string {
  return JSON.stringify({ keytype: "CONFIG", subject, magic: 0 });
}

export function modeKey(subject: string | null): string {
  return JSON.stringify({ keytype: "MODE", subject, magic: 0 });
}

const internal = (...parts: unknown[]) => JSON.stringify(parts);

function parseKey(key: string): ConfluentKey | undefined {
  try {
    const parsed = JSON.parse(key) as unknown;
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? parsed as ConfluentKey : undefined;
  } catch {
    return undefined;
  }
}

export class ConfluentSchemaRecords implements KeyValueStore<unknown> {
  private view: Map<string, RegistryRecord> | undefined;

  constructor(private readonly raw: KeyValueStore<unknown>) {}

  /** The registry's records, rebuilt from the stored ones after every change. */
  private records(): Map<string, RegistryRecord> {
    if (this.view) return this.view;
    const view = new Map<string, RegistryRecord>();
    const deletions: { subject: string; version: number; permanent: boolean }[] = [];
    for (const [key, value] of this.raw.entries()) {
      if (value === null || value === undefined) continue;
      if (key.startsWith("[")) {
        view.set(key, value as RegistryRecord); // the format before this one
        continue;
      }
      const k = parseKey(key);
      if (!k) continue;
      const subject = typeof k.subject === "string" ? k.subject : null;
      switch (k.keytype) {
        case "SCHEMA": {
          const v = value as ConfluentSchemaValue;
          if (subject === null || typeof v.id !== "number" || typeof v.version !== "number" || typeof v.schema !== "string") break;
          view.set(internal("version", subject, v.version), { kind: "version", subject, version: v.version, id: v.id, deleted: v.deleted === true });
          // The first version seen with an id gives the id its schema: every version of one id holds the same.
          const schemaId = internal("schema", v.id);
          if (!view.has(schemaId)) {
            view.set(schemaId, { kind: "schema", id: v.id, schema: v.schema, schemaType: v.schemaType ?? "AVRO", ...(v.references?.length ? { references: v.references } : {}) });
          }
          break;
        }
        case "CONFIG": {
          const level = (value as { compatibilityLevel?: unknown; compatibility?: unknown }).compatibilityLevel ?? (value as { compatibility?: unknown }).compatibility;
          if (typeof level === "string") view.set(internal("config", subject), { kind: "config", compatibility: level as ConfigRecord["compatibility"] });
          break;
        }
        case "MODE": {
          const mode = (value as { mode?: unknown }).mode;
          if (typeof mode === "string") view.set(internal("mode", subject), { kind: "mode", mode: mode as ModeRecord["mode"] });
          break;
        }
        case "DELETE_SUBJECT":
        case "CLEAR_SUBJECT": {
          const upTo = (value as { version?: unknown }).version;
          if (subject !== null && typeof upTo === "number") deletions.push({ subject, version: upTo, permanent: k.keytype === "CLEAR_SUBJECT" });
          break;
        }
        default:
          break; // NOOP, and kinds this registry does not keep
      }
    }
    for (const d of deletions) {
      for (const [key, record] of view) {
        if (record.kind !== "version" || record.subject !== d.subject || record.version > d.version) continue;
        if (d.permanent) view.delete(key);
        else view.set(key, { ...record, deleted: true });
      }
    }
    this.view = view;
    return view;
  }

  /** The stored records changed underneath (another writer): rebuilt on next use. */
  forgetView(): void {
    this.view = undefined;
  }

  get(key: string): unknown {
    return this.records().get(key);
  }

  entries(): IterableIterator<[string, unknown]> {
    return this.records().entries();
  }

  /** The registry's changes as Confluent's records, written in one batch. */
  async put(changes: [string, unknown][]): Promise<void> {
    const schemas = new Map<number, SchemaRecord>();
    for (const [, value] of changes) if ((value as RegistryRecord | null)?.kind === "schema") schemas.set((value as SchemaRecord).id, value as SchemaRecord);
    const stored: [string, unknown][] = [];
    for (const [key, value] of changes) {
      const parts = JSON.parse(key) as [string, ...unknown[]];
      const record = value as RegistryRecord | null;
      switch (parts[0]) {
        case "version": {
          const [, subject, version] = parts as [string, string, number];
          if (record === null) {
            stored.push([schemaKey(subject, version), null]);
            break;
          }
          const v = record as VersionRecord;
          const schema = schemas.get(v.id) ?? (this.records().get(internal("schema", v.id)) as SchemaRecord | undefined);
          if (!schema) throw new Error(`registry: version ${version} of ${subject} names schema ${v.id}, which is unknown`);
          stored.push([schemaKey(subject, version), confluentSchemaValue(v, schema)]);
          break;
        }
        case "config":
          stored.push([configKey(parts[1] as string | null), record === null ? null : { compatibilityLevel: (record as ConfigRecord).compatibility }]);
          break;
        case "mode":
          stored.push([modeKey(parts[1] as string | null), record === null ? null : { mode: (record as ModeRecord).mode }]);
          break;
        default:
          break; // a schema is stored with the versions that carry it
      }
    }
    try {
      if (stored.length) await this.raw.put(stored);
    } finally {
      this.view = undefined;
    }
  }

  /** Rewrites records of the format before this one in Confluent's, in one batch; returns how many were rewritten. */
  async migrate(): Promise<number> {
    const old = [...this.raw.entries()].filter(([key]) => key.startsWith("["));
    if (old.length === 0) return 0;
    const view = this.records();
    const stored: [string, unknown][] = old.map(([key]) => [key, null]);
    for (const record of view.values()) {
      if (record.kind === "version") {
        const schema = view.get(internal("schema", record.id)) as SchemaRecord | undefined;
        if (schema) stored.push([schemaKey(record.subject, record.version), confluentSchemaValue(record, schema)]);
      }
    }
    for (const [key, record] of view) {
      const subject = (JSON.parse(key) as unknown[])[1] as string | null;
      if (record.kind === "config") stored.push([configKey(subject), { compatibilityLevel: record.compatibility }]);
      if (record.kind === "mode") stored.push([modeKey(subject), { mode: record.mode }]);
    }
    try {
      await this.raw.put(stored);
    } finally {
      this.view = undefined;
    }
    return old.length;
  }
}

function confluentSchemaValue(v: VersionRecord, schema: SchemaRecord): ConfluentSchemaValue {
  return {
    subject: v.subject, version: v.version, id: v.id,
    ...(schema.schemaType === "AVRO" ? {} : { schemaType: schema.schemaType }),
    ...(schema.references?.length ? { references: schema.references } : {}),
    schema: schema.schema, deleted: v.deleted,
  };
}
