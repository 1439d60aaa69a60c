import { describe, expect, it } from "vitest";
import { backwardIncompatibilities, compatibilityProblems } from "../../../src/schema/json-schema-compatibility.js";

const rules = (o: object, n: object) => backwardIncompatibilities(o as Record<string, unknown>, n as Record<string, unknown>).map((p) => `${p.path} ${p.rule}`);

describe("JSON Schema compatibility rules", () => {
  it("allows what BACKWARD allows", () => {
    expect(rules({ type: "integer" }, { type: "number" })).toEqual([]);
    expect(rules({ type: "string" }, { type: ["string", "null"] })).toEqual([]);
    expect(rules({ enum: ["a"] }, { enum: ["a", "b"] })).toEqual([]);
    expect(rules({ type: "string", maxLength: 3 }, { type: "string", maxLength: 5 })).toEqual([]);
    expect(rules({ type: "object", required: ["a"] }, { type: "object" })).toEqual([]);
    expect(rules({ type: "object", properties: { a: {} } }, { type: "object" })).toEqual([]); // removed from an open model
    expect(rules({ type: "object", additionalProperties: false }, { type: "object", properties: { b: { type: "string" } }, additionalProperties: false })).toEqual([]);
    expect(rules({ type: "object", properties: { n: { type: "integer" } }, required: ["n"] },
      { type: "object", properties: { n: { type: "integer" }, d: { type: "string", default: "x" } }, required: ["n", "d"], additionalProperties: true })).toEqual([
      "#/properties/d PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"]); // a default excuses "required", not the open model
  });

  it("names the path and rule of what it refuses", () => {
    expect(rules({ type: "number" }, { type: "integer" })).toEqual(["# TYPE_NARROWED"]);
    expect(rules({ enum: ["a", "b"] }, { enum: ["a"] })).toEqual(["# ENUM_NARROWED"]);
    expect(rules({ type: "integer", minimum: 0 }, { type: "integer", minimum: 1 })).toEqual(["# MINIMUM_INCREASED"]);
    expect(rules({ type: "object" }, { type: "object", required: ["x"] })).toEqual(["#/required REQUIRED_PROPERTY_ADDED"]);
    expect(rules({ type: "object" }, { type: "object", properties: { x: { type: "string" } } })).toEqual(["#/properties/x PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"]);
    expect(rules({ type: "object", properties: { x: {} }, additionalProperties: false }, { type: "object", additionalProperties: false }))
      .toEqual(["#/properties/x PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"]);
    expect(rules({ type: "array", items: { type: "object", properties: { a: { type: "number" } } } },
      { type: "array", items: { type: "object", properties: { a: { type: "integer" } } } })).toEqual(["#/items/properties/a TYPE_NARROWED"]);
  });

  it("follows local $refs", () => {
    const old = { definitions: { money: { type: "number" } }, type: "object", properties: { total: { $ref: "#/definitions/money" } } };
    const narrowed = { definitions: { money: { type: "integer" } }, type: "object", properties: { total: { $ref: "#/definitions/money" } } };
    expect(rules(old, narrowed)).toEqual(["#/properties/total TYPE_NARROWED"]);
    expect(rules(narrowed, old)).toEqual([]);
  });

  it("applies levels: FORWARD swaps, FULL does both, _TRANSITIVE checks every earlier version", () => {
    const v1 = { type: "object", properties: { a: { type: "integer" } }, additionalProperties: false };
    const v2 = { type: "object", properties: { a: { type: "number" } }, additionalProperties: false };
    expect(compatibilityProblems("BACKWARD", [v1], v2)).toEqual([]);
    expect(compatibilityProblems("FORWARD", [v1], v2)[0]).toMatch(/^FORWARD: #\/properties\/a: type number was accepted and no longer is \(TYPE_NARROWED\)/);
    expect(compatibilityProblems("FULL", [v1], v2)).toHaveLength(1);
    const v3 = { type: "object", properties: { a: { type: "integer" } }, additionalProperties: false };
    expect(compatibilityProblems("FORWARD", [v1, v2], v3)).toEqual([]);
    expect(compatibilityProblems("BACKWARD_TRANSITIVE", [v1, v2], v3)).toHaveLength(1);
    expect(compatibilityProblems("NONE", [v1], { type: "string" })).toEqual([]);
  });
});
