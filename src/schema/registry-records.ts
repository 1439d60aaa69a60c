// The registry's records as it reads and writes them: a schema by global id, a
// subject's version (pointing at an id), and compatibility levels and modes,
// global (subject null) or per subject, under keys JSON.stringify(["schema",
// id]), (["version", subject, version]), (["config", subject]), (["mode",
// subject]). Stored, they take Confluent Schema Registry's own record format
// (confluent-records.ts).

import type { CompatibilityLevel } from "./json-schema-compatibility.js";
import type { SchemaReference, SchemaType } from "./schema-text.js";

export type Mode = "READWRITE" | "READONLY" | "IMPORT";

export interface SchemaRecord {
  kind: "schema";
  id: number;
  schema: string;
  schemaType: SchemaType;
  references?: SchemaReference[];
}

export interface VersionRecord {
  kind: "version";
  subject: string;
  version: number;
  id: number;
  deleted: boolean;
}

export interface ConfigRecord {
  kind: "config";
  compatibility: CompatibilityLevel;
}

export interface ModeRecord {
  kind: "mode";
  mode: Mode;
}

export type RegistryRecord = SchemaRecord | VersionRecord | ConfigRecord | ModeRecord;
