import { describe, expect, it } from "vitest";
import { columnHolds, columnValue, columnsOfSchema } from "../../../src/warehouse/table-shape.js";
import { checkReadOnlySql, SqlRefusedError } from "../../../src/warehouse/sql-guard.js";

describe("columns of a value schema", () => {
  it("maps each top-level property's JSON type to a SQLite column type", () => {
    const schema = {
      $defs: { money: { type: "number" } },
      type: "object",
      properties: {
        id: { type: "integer" }, price: { $ref: "#/$defs/money" }, name: { type: ["string", "null"] }, ok: { type: "boolean" },
        tags: { type: "array" }, meta: { type: "object" }, either: { type: ["string", "integer"] }, loose: {}, count: { type: ["integer", "number"] },
        colour: { enum: ["red", "green"] }, answer: { const: 42 }, missing: { $ref: "#/$defs/nowhere" },
      },
    };
    expect(columnsOfSchema(schema, 100)).toEqual({
      columns: [
        { name: "id", type: "INTEGER" }, { name: "price", type: "REAL" }, { name: "name", type: "TEXT" }, { name: "ok", type: "INTEGER" },
        { name: "tags", type: "JSON" }, { name: "meta", type: "JSON" }, { name: "either", type: "ANY" }, { name: "loose", type: "ANY" },
        { name: "count", type: "REAL" }, { name: "colour", type: "TEXT" }, { name: "answer", type: "INTEGER" }, { name: "missing", type: "ANY" },
      ],
      skipped: [],
    });
  });

  it("gives no column to fixed-column names, names equal but for case, or past the limit", () => {
    const schema = { type: "object", properties: { _offset: { type: "string" }, Name: { type: "string" }, name: { type: "string" }, a: {}, b: {} } };
    const shape = columnsOfSchema(schema, 2);
    expect(shape.columns.map((c) => c.name)).toEqual(["Name", "a"]);
    expect(shape.skipped).toEqual([
      "property '_offset' has the name of a fixed column",
      "property 'name' differs from another only in case",
      "property 'b' is past warehouseColumnsMax (2)",
    ]);
    expect(columnsOfSchema("not a schema", 10)).toEqual({ columns: [], skipped: [] });
    expect(columnsOfSchema({ $ref: "#/definitions/x", definitions: { x: { properties: { v: { type: "string" } } } } }, 10).columns).toEqual([{ name: "v", type: "TEXT" }]);
  });

  it("stores values in their column's type and NULL for values of another type", () => {
    expect([columnValue("INTEGER", 3), columnValue("INTEGER", true), columnValue("INTEGER", 2.5), columnValue("INTEGER", "3")]).toEqual([3, 1, null, null]);
    expect([columnValue("REAL", 2.5), columnValue("TEXT", "x"), columnValue("TEXT", 1), columnValue("JSON", [1]), columnValue("JSON", "x")]).toEqual([2.5, "x", null, "[1]", null]);
    expect([columnValue("ANY", { a: 1 }), columnValue("ANY", false), columnValue("ANY", "s"), columnValue("TEXT", undefined)]).toEqual(['{"a":1}', 0, "s", null]);
    expect([columnHolds("REAL", "INTEGER"), columnHolds("INTEGER", "REAL"), columnHolds("INTEGER", "TEXT"), columnHolds("ANY", "TEXT"), columnHolds("TEXT", "JSON")]).toEqual([true, false, false, true, true]);
  });
});

describe("the read-only guard", () => {
  it("passes queries whatever their strings, names and comments hold", () => {
    for (const sql of [
      "SELECT 1", "select * from \"delete\"", "WITH x AS (SELECT 1) SELECT * FROM x", "VALUES (1), (2)", "EXPLAIN QUERY PLAN SELECT 1",
      "SELECT 'drop table x; attach' -- insert\n", "SELECT [update], `pragma` FROM t /* vacuum */", "SELECT replace('a','a','b');", "SELECT x'00ff'",
      "SELECT CASE WHEN 1 THEN 2 END", "SELECT * FROM pragma_table_info('t')",
    ]) expect(checkReadOnlySql(sql)).toBe(sql);
  });

  it("refuses writes, settings, other files and second statements, naming why", () => {
    const refused: [string, RegExp][] = [
      ["INSERT INTO t VALUES (1)", /must start with SELECT/], ["WITH x AS (SELECT 1) DELETE FROM t", /DELETE is not allowed/],
      ["SELECT 1; SELECT 2", /one statement at a time/], ["SELECT 1;;", /one statement at a time/], ["ATTACH 'f' AS g", /must start/],
      ["EXPLAIN PRAGMA query_only = 0", /PRAGMA is not allowed/], ["SELECT 'unterminated", /unterminated string/],
      ["   ", /no statement/], ["SELECT \u0000", /NUL/], ["SELECT 1 -- a\n; VACUUM", /one statement at a time/],
      ["EXPLAIN INSERT OR REPLACE INTO t VALUES (1)", /INSERT is not allowed/],
    ];
    for (const [sql, reason] of refused) {
      expect(() => checkReadOnlySql(sql), sql).toThrow(SqlRefusedError);
      expect(() => checkReadOnlySql(sql), sql).toThrow(reason);
    }
    expect(() => checkReadOnlySql(42)).toThrow(/no statement/);
    expect(() => checkReadOnlySql("SELECT " + "1,".repeat(60_000) + "1")).toThrow(/longer than/);
  });
});
