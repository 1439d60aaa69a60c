// Avro schemas with avsc: parsing (with the names a schema defines and those it
// references from other subjects), compatibility by Avro's schema-resolution
// rules (a reader can resolve a writer's data: avsc's resolver), and
// validation of Confluent-framed binary records against the writer's schema.

import avro from "avsc";
import type { ValidationFailure } from "./validators.js";
import type { CompatibilityLevel } from "./json-schema-compatibility.js";

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
export function avroFailures(type: AvroType, payload: Buffer, itemsPerByte = ITEMS_PER_BYTE): ValidationFailure[] {
  try {
    // First a walk that builds nothing and counts items: an array of a type that
    // takes no bytes (null, an empty record) may claim billions of items in a
    // few bytes, which decoding would build in full. Then avsc's decoder, which
    // refuses truncated data and bytes left over after the value.
    checkItemBudget(type, payload, itemsPerByte);
    type.fromBuffer(payload);
    return [];
  } catch (err) {
    return [{ instancePath: "/", message: `value does not decode with its Avro schema: ${(err as Error).message}` }];
  }
}

/** Items (array elements, map entries, record fields) a payload may decode to, per byte, beyond a small allowance (avroItemsPerByteMax). */
const ITEMS_PER_BYTE = 64;
const ITEMS_ALLOWANCE = 1024;
const NESTING_MAX = 256;

interface Cursor {
  buf: Buffer;
  pos: number;
  items: number;
}

function readLong(c: Cursor): number {
  let shift = 0;
  let value = 0n;
  for (;;) {
    if (c.pos >= c.buf.length) throw new Error("truncated number");
    const byte = c.buf[c.pos++]!;
    value |= BigInt(byte & 0x7f) << BigInt(shift);
    if ((byte & 0x80) === 0) break;
    shift += 7;
    if (shift > 63) throw new Error("number longer than 10 bytes");
  }
  const n = (value >> 1n) ^ -(value & 1n);
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < -BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`count ${n} is out of range`);
  return Number(n);
}

function skip(c: Cursor, n: number): void {
  if (n < 0 || c.pos + n > c.buf.length) throw new Error("truncated value");
  c.pos += n;
}

function spend(c: Cursor, n: number): void {
  c.items -= n;
  if (c.items < 0) throw new Error(`the value claims more items than its ${c.buf.length} bytes allow (avroItemsPerByteMax)`);
}

/** Walks the encoding of `type` without building it: each block count is charged before its items are read. */
function walk(type: AvroType, c: Cursor, depth: number): void {
  if (depth > NESTING_MAX) throw new Error(`the value nests deeper than ${NESTING_MAX} levels`);
  const t = type as AvroType & { typeName: string; underlyingType?: AvroType; fields?: { type: AvroType }[]; itemsType?: AvroType; valuesType?: AvroType; types?: AvroType[]; size?: number };
  if (t.underlyingType) return walk(t.underlyingType, c, depth);
  switch (t.typeName) {
    case "null": return;
    case "boolean": return skip(c, 1);
    case "int": case "long": case "enum": readLong(c); return;
    case "float": return skip(c, 4);
    case "double": return skip(c, 8);
    case "bytes": case "string": return skip(c, readLong(c));
    case "fixed": return skip(c, t.size!);
    case "record": case "error":
      spend(c, t.fields!.length);
      for (const f of t.fields!) walk(f.type, c, depth + 1);
      return;
    case "array": case "map":
      for (;;) {
        let count = readLong(c);
        if (count === 0) return;
        if (count < 0) {
          count = -count;
          readLong(c); // the block's size in bytes
        }
        spend(c, count);
        for (let i = 0; i < count; i++) {
          if (t.typeName === "map") skip(c, readLong(c));
          walk(t.typeName === "map" ? t.valuesType! : t.itemsType!, c, depth + 1);
        }
      }
    default:
      if (t.types) {
        const branch = readLong(c);
        if (branch < 0 || branch >= t.types.length) throw new Error(`union branch ${branch} does not exist`);
        return walk(t.types[branch]!, c, depth + 1);
      }
      throw new Error(`unknown Avro type ${t.typeName}`);
  }
}

/** Decodes an Avro binary value, refusing item bombs first (see avroFailures). */
export function decodeAvro(type: AvroType, payload: Buffer, itemsPerByte = ITEMS_PER_BYTE): unknown {
  checkItemBudget(type, payload, itemsPerByte);
  return type.fromBuffer(payload);
}

function checkItemBudget(type: AvroType, payload: Buffer, itemsPerByte: number): void {
  walk(type, { buf: payload, pos: 0, items: ITEMS_ALLOWANCE + itemsPerByte * payload.length }, 0);
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

/** Avro's schema resolution under a level: BACKWARD, the new schema reads the old ones' data; FORWARD, the old read the new's. */
export function avroCompatibilityProblems(level: CompatibilityLevel, previous: avro.Type[], next: avro.Type): string[] {
  const against = level.endsWith("_TRANSITIVE") ? previous : previous.slice(-1);
  const problems: string[] = [];
  for (const old of against) {
    if (level.startsWith("BACKWARD") || level.startsWith("FULL")) {
      const problem = resolutionProblem(next, old);
      if (problem) problems.push(`BACKWARD: the new schema cannot read data written with ${old.name ?? old.typeName}: ${problem}`);
    }
    if (level.startsWith("FORWARD") || level.startsWith("FULL")) {
      const problem = resolutionProblem(old, next);
      if (problem) problems.push(`FORWARD: ${old.name ?? old.typeName} cannot read data written with the new schema: ${problem}`);
    }
  }
  return [...new Set(problems)];
}
