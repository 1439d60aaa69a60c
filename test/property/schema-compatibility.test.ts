import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { backwardIncompatibilities, compatibilityProblems } from "../../src/schema/json-schema-compatibility.js";
import { compileSchema } from "../../src/schema/validators.js";

// Whenever the checker calls a change BACKWARD-compatible, every document valid
// under the old schema must validate under the new one. Schemas come from a small
// grammar of the constructs the checker reasons about; documents are random JSON
// built over the same property names, filtered by the old schema.

const NAMES = ["a", "b", "c"];
const leaf: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.constantFrom({}, { type: "string" }, { type: "integer" }, { type: "number" }, { type: "boolean" }, { type: ["string", "null"] }, { type: ["integer", "string"] }),
  fc.record({ type: fc.constant("integer"), minimum: fc.integer({ min: -3, max: 3 }) }, { requiredKeys: ["type"] }),
  fc.record({ type: fc.constant("integer"), maximum: fc.integer({ min: -3, max: 3 }) }, { requiredKeys: ["type"] }),
  fc.record({ type: fc.constant("string"), maxLength: fc.integer({ min: 0, max: 3 }) }, { requiredKeys: ["type"] }),
  fc.uniqueArray(fc.constantFrom("x", "y", "z", 1, 2), { minLength: 1, maxLength: 4 }).map((e) => ({ enum: e })),
);
const node: fc.Arbitrary<Record<string, unknown>> = fc.letrec<{ node: Record<string, unknown> }>((tie) => ({
  node: fc.oneof(
    { maxDepth: 2, depthIdentifier: "s" },
    leaf,
    fc.record({
      type: fc.constant("object"),
      properties: fc.dictionary(fc.constantFrom(...NAMES), tie("node"), { maxKeys: 3 }),
      required: fc.subarray(NAMES),
      additionalProperties: fc.option(fc.oneof(fc.boolean(), leaf), { nil: undefined }),
    }, { requiredKeys: ["type", "properties"] }),
    fc.record({ type: fc.constant("array"), items: tie("node") }),
    fc.record({
      type: fc.constant("array"),
      items: fc.array(leaf, { minLength: 1, maxLength: 3 }),
      additionalItems: fc.option(fc.oneof(fc.boolean(), leaf), { nil: undefined }),
    }, { requiredKeys: ["type", "items"] }),
    fc.record({ anyOf: fc.array(tie("node"), { minLength: 1, maxLength: 3 }) }),
    fc.record({ oneOf: fc.array(tie("node"), { minLength: 1, maxLength: 3 }) }),
    fc.record({ allOf: fc.array(tie("node"), { minLength: 1, maxLength: 2 }) }),
    fc.record({ not: leaf }),
    // A reference to the definition every generated schema carries (below).
    fc.constant({ $ref: "#/$defs/d" }),
  ),
})).node;
/** A schema with one definition, `$defs.d`, that its `$ref`s point to. */
const schema: fc.Arbitrary<Record<string, unknown>> = fc.tuple(node, leaf).map(([root, d]) => ({ ...root, $defs: { d } }));

const value: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { maxDepth: 3, depthIdentifier: "v" },
    fc.constantFrom("x", "y", "z", "", "long string", 1, 2, -5, 0, 3.5, true, false, null),
    fc.integer({ min: -6, max: 6 }),
    fc.dictionary(fc.constantFrom(...NAMES, "d"), tie("v"), { maxKeys: 4 }),
    fc.array(tie("v"), { maxLength: 3 }),
  ),
})).v;

// Reader (new) against writer (old) under BACKWARD, decided by hand.
const FIXED: [string, Record<string, unknown>, Record<string, unknown>, boolean][] = [
  ["a reader that accepts nothing", { type: "object" }, { not: {} }, false],
  ["a reader that excludes another type", { type: "integer" }, { not: { type: "string" } }, true],
  ["a reader that excludes what the writer allowed", { type: "string" }, { not: { type: "string", maxLength: 2 } }, false],
  ["a longer tuple reader", { type: "array", items: [{ type: "integer" }] }, { type: "array", items: [{ type: "integer" }, { type: "integer" }] }, false],
  ["the same tuple with a closed rest", { type: "array", items: [{ type: "integer" }], additionalItems: false }, { type: "array", items: [{ type: "integer" }, { type: "integer" }] }, true],
  ["a 2020-12 tuple reader that narrows a position", { $schema: "https://json-schema.org/draft/2020-12/schema", type: "array", prefixItems: [{ type: "number" }] }, { $schema: "https://json-schema.org/draft/2020-12/schema", type: "array", prefixItems: [{ type: "integer" }] }, false],
  ["a writer oneOf with one branch the reader takes", { oneOf: [{ type: "string" }] }, { type: "string" }, true],
  ["a writer anyOf without a type", { anyOf: [{ type: "string" }, { type: "integer" }] }, { type: "string" }, false],
  ["a writer anyOf the reader covers", { anyOf: [{ type: "string" }, { type: "integer" }] }, { type: ["string", "number"] }, true],
  ["a reader allOf that adds a requirement", { type: "object" }, { allOf: [{ type: "object" }, { required: ["a"] }] }, false],
  ["a writer allOf whose part fits the reader", { allOf: [{ type: "string" }, { maxLength: 3 }] }, { type: "string" }, true],
  ["a writer allOf no part of which fits", { allOf: [{ type: "string" }, { maxLength: 3 }] }, { type: "string", maxLength: 2 }, false],
];

describe("JSON Schema compatibility checker", () => {
  it.each(FIXED)("decides %s", (_, writer, reader, compatible) => {
    expect(backwardIncompatibilities(writer, reader).length === 0).toBe(compatible);
  });

  it("never calls a change BACKWARD-compatible when a document valid under the old schema fails the new one", () => {
    let compatiblePairs = 0;
    let differingPairs = 0;
    fc.assert(
      fc.property(schema, schema, fc.array(value, { minLength: 20, maxLength: 40 }), (oldSchema, newSchema, docs) => {
        if (backwardIncompatibilities(oldSchema, newSchema).length > 0) return;
        compatiblePairs++;
        if (JSON.stringify(oldSchema) !== JSON.stringify(newSchema)) differingPairs++;
        const oldValid = compileSchema(oldSchema);
        const newValid = compileSchema(newSchema);
        for (const doc of docs) {
          if (oldValid(doc)) expect(newValid(doc), `${JSON.stringify(doc)} under ${JSON.stringify(oldSchema)} -> ${JSON.stringify(newSchema)}`).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
    expect(compatiblePairs).toBeGreaterThan(100); // the property was exercised, not vacuous
    expect(differingPairs).toBeGreaterThan(50);
  });

  it("never calls a change FORWARD-compatible when a document valid under the new schema fails the old one", () => {
    // The other direction: old readers must take what new writers write.
    let compatiblePairs = 0;
    fc.assert(
      fc.property(schema, schema, fc.array(value, { minLength: 20, maxLength: 40 }), (oldSchema, newSchema, docs) => {
        if (compatibilityProblems("FORWARD", [oldSchema], newSchema).length > 0) return;
        compatiblePairs++;
        const oldValid = compileSchema(oldSchema);
        const newValid = compileSchema(newSchema);
        for (const doc of docs) {
          if (newValid(doc)) expect(oldValid(doc), `${JSON.stringify(doc)} under ${JSON.stringify(newSchema)} read by ${JSON.stringify(oldSchema)}`).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
    expect(compatiblePairs).toBeGreaterThan(100);
  });

  it("accepts the same schema, and a schema against itself after widening", () => {
    fc.assert(fc.property(schema, (s) => {
      expect(backwardIncompatibilities(s, s)).toEqual([]);
      expect(backwardIncompatibilities(s, {})).toEqual([]);
    }), { numRuns: 500 });
  });
});
