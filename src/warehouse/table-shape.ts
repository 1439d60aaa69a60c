// How a topic looks as a table: the fixed columns every table has, then one
// typed column per top-level property of the topic's value JSON Schema, and
// how a record's value fills them.

import type { SqlValue } from "./sqlite.js";

/** The SQLite column type a JSON Schema type maps to; "ANY" when the schema allows several. */
export type ColumnType = "INTEGER" | "REAL" | "TEXT" | "JSON" | "ANY";

export interface PropertyColumn {
  /** The property's name, and the column's. */
  name: string;
  type: ColumnType;
}

/** The columns every warehouse table starts with, in order. */
export const FIXED_COLUMNS = ["_partition", "_offset", "_timestamp", "_key", "_headers"] as const;
/** The whole record value, last. */
export const VALUE_COLUMN = "_value";
const RESERVED = new Set<string>([...FIXED_COLUMNS, VALUE_COLUMN].map((c) => c.toLowerCase()));

/** The SQL declared type of a column of this kind. */
export function declaredType(type: ColumnType): string {
  return type === "JSON" ? "TEXT" : type === "ANY" ? "" : type;
}

/** Quotes an identifier for SQL (any string is a valid quoted identifier but NUL). */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Follows a local `$ref` ("#/definitions/x", "#/$defs/x") within the schema; undefined elsewhere. */
function resolveRef(root: JsonObject, node: JsonObject, depth = 0): JsonObject | undefined {
  const ref = node.$ref;
  if (typeof ref !== "string") return node;
  if (depth > 16 || !ref.startsWith("#/")) return undefined;
  let target: unknown = root;
  for (const part of ref.slice(2).split("/")) {
    const key = part.replace(/~1/g, "/").replace(/~0/g, "~");
    target = isObject(target) ? target[key] : undefined;
  }
  return isObject(target) ? resolveRef(root, target, depth + 1) : undefined;
}

function typeOfProperty(root: JsonObject, schema: unknown): ColumnType {
  if (!isObject(schema)) return "ANY";
  const node = resolveRef(root, schema);
  if (!node) return "ANY";
  let types: unknown[] = [];
  if (typeof node.type === "string") types = [node.type];
  else if (Array.isArray(node.type)) types = node.type;
  else if ("const" in node || Array.isArray(node.enum)) {
    const values = "const" in node ? [node.const] : (node.enum as unknown[]);
    types = [...new Set(values.filter((v) => v !== null).map((v) => (typeof v === "number" ? (Number.isInteger(v) ? "integer" : "number") : Array.isArray(v) ? "array" : typeof v)))];
  }
  const kinds = [...new Set(types.filter((t) => t !== "null"))];
  if (kinds.length === 2 && kinds.includes("integer") && kinds.includes("number")) return "REAL";
  if (kinds.length !== 1) return "ANY";
  switch (kinds[0]) {
    case "integer":
    case "boolean":
      return "INTEGER";
    case "number":
      return "REAL";
    case "string":
      return "TEXT";
    case "object":
    case "array":
      return "JSON";
    default:
      return "ANY";
  }
}

export interface SchemaColumns {
  columns: PropertyColumn[];
  /** Properties that get no column, each with the reason. */
  skipped: string[];
}

/**
 * The property columns of a value schema, in the schema's order. A property
 * whose name is one of the fixed columns, or equals an earlier one but for
 * case (SQLite's names are case-insensitive), gets no column; past
 * `columnsMax` none do.
 */
export function columnsOfSchema(schema: unknown, columnsMax: number): SchemaColumns {
  const columns: PropertyColumn[] = [];
  const skipped: string[] = [];
  if (!isObject(schema)) return { columns, skipped };
  const root = resolveRef(schema, schema) ?? schema;
  if (!isObject(root.properties)) return { columns, skipped };
  const seen = new Set<string>();
  for (const [name, property] of Object.entries(root.properties)) {
    const folded = name.toLowerCase();
    if (RESERVED.has(folded)) skipped.push(`property '${name}' has the name of a fixed column`);
    else if (seen.has(folded)) skipped.push(`property '${name}' differs from another only in case`);
    else if (name.includes("\u0000")) skipped.push("a property name holds NUL");
    else if (columns.length >= columnsMax) skipped.push(`property '${name}' is past warehouseColumnsMax (${columnsMax})`);
    else {
      seen.add(folded);
      columns.push({ name, type: typeOfProperty(schema, property) });
    }
  }
  return { columns, skipped };
}

/**
 * Whether a column declared as `was` keeps values of a property now typed
 * `now` as they are. SQLite would take anything in any column, but would turn
 * numeric-looking text into numbers in an INTEGER or REAL column, and text in
 * a TEXT column is not the number a query expects: those changes are conflicts.
 */
export function columnHolds(was: ColumnType, now: ColumnType): boolean {
  if (was === now || was === "ANY") return true;
  if (was === "REAL" && now === "INTEGER") return true;
  if (was === "TEXT" && now === "JSON") return true;
  return false;
}

/** The value of one property as its column stores it; NULL when it is absent or of another type. */
export function columnValue(type: ColumnType, value: unknown): SqlValue {
  if (value === undefined || value === null) return null;
  switch (type) {
    case "INTEGER":
      if (typeof value === "boolean") return value ? 1 : 0;
      return typeof value === "number" && Number.isInteger(value) ? value : null;
    case "REAL":
      return typeof value === "number" ? value : null;
    case "TEXT":
      return typeof value === "string" ? value : null;
    case "JSON":
      return typeof value === "object" ? JSON.stringify(value) : null;
    case "ANY":
      if (typeof value === "boolean") return value ? 1 : 0;
      if (typeof value === "object") return JSON.stringify(value);
      return value as number | string;
  }
}
