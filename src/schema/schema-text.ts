// A registered schema as text: its type (AVRO when a register body names
// none, as in Confluent), its references, and its canonical text, checked by
// parsing (Avro with avsc, JSON Schema with ajv and its meta-schema) so that
// formatting never makes a new version.

import { parseBoundedJson } from "./bounded-json.js";
import { compileSchema } from "./validators.js";
import { parseAvro, referencedTypes } from "./avro.js";
import { INVALID_SCHEMA, RegistryError } from "./registry-errors.js";

/** Confluent's schema types that this registry holds; a register body without one is AVRO, as in Confluent. */
export const SCHEMA_TYPES = ["AVRO", "JSON"] as const;
export type SchemaType = (typeof SCHEMA_TYPES)[number];

/** A schema reference: `name` is how the schema refers to it (an Avro type name, a JSON Schema $ref). */
export interface SchemaReference {
  name: string;
  subject: string;
  version: number;
}

/** A referenced schema, ready to be used by the one that refers to it. */
export interface ResolvedReference {
  name: string;
  schema: string;
  schemaType: SchemaType;
}

/** The schema type a register body names: none is AVRO; PROTOBUF is refused plainly. */
export function schemaTypeOf(given: unknown): SchemaType {
  if (given === undefined || given === null) return "AVRO";
  if (SCHEMA_TYPES.includes(given as SchemaType)) return given as SchemaType;
  if (given === "PROTOBUF") throw new RegistryError(422, INVALID_SCHEMA, "Invalid schema: PROTOBUF schemas are not supported by this registry (AVRO and JSON are)");
  throw new RegistryError(422, INVALID_SCHEMA, `Invalid schema: unknown schema type ${JSON.stringify(given)} (AVRO or JSON)`);
}

/** Canonical text of a schema: parsed and re-serialised, so formatting does not make a new version. */
export function canonical(schema: string, schemaType: SchemaType, limits: { jsonDepthMax: number; schemaNodesMax: number }, references: ResolvedReference[] = []): string {
  if (typeof schema !== "string") throw new RegistryError(422, INVALID_SCHEMA, "invalid schema: the schema must be a string of JSON");
  let parsed: unknown;
  try {
    parsed = parseBoundedJson(schema, limits.jsonDepthMax);
  } catch (err) {
    throw new RegistryError(422, INVALID_SCHEMA, `invalid schema: ${(err as Error).message}`);
  }
  if (schemaType === "AVRO") {
    try {
      parseAvro(JSON.stringify(parsed), referencedTypes(references.filter((r) => r.schemaType === "AVRO").map((r) => r.schema)));
    } catch (err) {
      throw new RegistryError(422, INVALID_SCHEMA, (err as Error).message);
    }
    return JSON.stringify(parsed);
  }
  if (typeof parsed !== "object" && typeof parsed !== "boolean") throw new RegistryError(422, INVALID_SCHEMA, "invalid schema: a JSON Schema is an object or a boolean");
  try {
    compileSchema(parsed as object, limits.schemaNodesMax, jsonReferences(references));
  } catch (err) {
    throw new RegistryError(422, INVALID_SCHEMA, `invalid schema: ${(err as Error).message}`);
  }
  return JSON.stringify(parsed);
}

export function jsonReferences(references: ResolvedReference[]): { name: string; schema: object | boolean }[] {
  return references.filter((r) => r.schemaType === "JSON").map((r) => ({ name: r.name, schema: JSON.parse(r.schema) as object }));
}

export const sameReferences = (a: SchemaReference[] | undefined, b: SchemaReference[] | undefined) => JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
