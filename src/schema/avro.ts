// Avro schemas with avsc: parsing (with the names a schema defines and those it
// references from other subjects), compatibility by Avro's schema-resolution
// rules (a reader can resolve a writer's data: avsc's resolver), and
// validation of Confluent-framed binary records against the writer's schema.

import avro from "avsc";
import type { ValidationFailure } from "./validators.js";

export class AvroSchemaError extends Error {}

type AvroType = avro.Type;

/**
 * Parses an Avro schema text. `registry` holds the named types of referenced
 * schemas (Confluent's schema references), so the schema may use them by name.
 */
export function parseAvro(text: string, registry: Record<string, AvroType> = {}): AvroType {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // A bare primitive name without quotes is not JSON; Avro allows only JSON.
    throw new AvroSchemaError(`invalid Avro schema: not JSON`);
  }
  try {
    return avro.Type.forSchema(json as avro.Schema, { registry: { ...registry }, wrapUnions: true });
  } catch (err) {
    throw new AvroSchemaError(`invalid Avro schema: ${(err as Error).message}`);
  }
}

/** The named types a parsed schema defines (for schemas that reference it). */
export function namedTypes(text: string, registry: Record<string, AvroType> = {}): Record<string, AvroType> {
  const own: Record<string, AvroType> = { ...registry };
  avro.Type.forSchema(JSON.parse(text) as avro.Schema, { registry: own, wrapUnions: true });
  return own;
}

/** Why `reader` cannot read data written with `writer` (undefined: it can). */
export function resolutionProblem(reader: AvroType, writer: AvroType): string | undefined {
  try {
    reader.createResolver(writer);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** The named types that referenced schemas define, in dependency order, for parsing a schema that uses them. */
export function referencedTypes(references: string[]): Record<string, AvroType> {
  let registry: Record<string, AvroType> = {};
  for (const text of references) registry = namedTypes(text, registry);
  return registry;
}

/** Checks one framed payload (the bytes after magic byte and id) against its writer's schema. */
export function avroFailures(type: AvroType, payload: Buffer): ValidationFailure[] {
  try {
    // fromBuffer refuses truncated data and bytes left over after the value.
    type.fromBuffer(payload);
    return [];
  } catch (err) {
    return [{ instancePath: "/", message: `value does not decode with its Avro schema: ${(err as Error).message}` }];
  }
}

/** The Avro binary of a value given in Avro's JSON encoding (REST Proxy's avro format), or the reason it is not one. */
export function avroFromJson(type: AvroType, value: unknown): Buffer {
  let decoded: unknown;
  try {
    decoded = type.fromString(JSON.stringify(value));
  } catch (err) {
    throw new AvroSchemaError(`value is not valid for its Avro schema: ${(err as Error).message}`);
  }
  if (!type.isValid(decoded)) throw new AvroSchemaError("value is not valid for its Avro schema");
  return type.toBuffer(decoded);
}
