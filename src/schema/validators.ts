// JSON Schema validation with ajv: drafts 07 and 2020-12, formats, and one
// compiled validator per schema id, cached. Every schema compiles in an ajv
// instance of its own, so two schemas (or two versions of one) that share an
// `$id` never collide. `pattern` and `patternProperties` run on a linear-time
// engine (RE2 semantics): no pattern can make one record cost seconds, and a
// pattern RE2 cannot run (backreferences, lookaround) is refused when the
// schema is registered.

import { Ajv, type ValidateFunction, type ErrorObject, type Options } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { RE2JS } from "re2js";

// ajv-formats is CommonJS: its default export arrives wrapped under some loaders.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

/** ajv's regExp hook: compiles with re2js; throws on what RE2 cannot run. */
function linearRegExp(pattern: string, flags: string): { test(input: string): boolean; toString(): string } {
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(RE2JS.translateRegExp(pattern), flags.includes("i") ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (err) {
    throw new Error(`pattern ${JSON.stringify(pattern)} cannot run in linear time: ${(err as Error).message}`);
  }
  // ajv shares compiled patterns by their toString(): it must name the pattern.
  return { test: (input: string) => compiled.test(input), toString: () => `/${pattern}/${flags}` };
}
linearRegExp.code = "linearRegExp";

// Long enum and required lists compile to a loop: unrolled, 100k enum values took ajv half a minute.
const OPTIONS: Options = { allErrors: true, strict: false, loopEnum: 32, loopRequired: 32, code: { regExp: linearRegExp as unknown as NonNullable<Options["code"]>["regExp"] } };

/** Checks schemas against their draft's meta-schema (one instance per draft: it registers nothing). */
const metaValidators = { draft07: new Ajv({ strict: false }), draft2020: new Ajv2020({ strict: false }) as unknown as Ajv };

/**
 * The schema with every `enum` and `required` list cut to its first value,
 * once its values are known to be distinct: the meta-schemas ask for unique
 * values, and ajv checks that pairwise (half a minute for 100k values).
 */
function metaSkeleton(schema: unknown, budget: { nodes: number; nodesMax: number }): unknown {
  if (Array.isArray(schema)) return schema.map((s) => metaSkeleton(s, budget));
  if (typeof schema !== "object" || schema === null) return schema;
  if (--budget.nodes < 0) throw new Error(`schema has more than ${budget.nodesMax} objects; compiling it would stall the broker`);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if ((key === "enum" || key === "required") && Array.isArray(value)) {
      const distinct = new Set(value.map((v) => JSON.stringify(v)));
      if (distinct.size !== value.length) throw new Error(`${key} values must be unique`);
      out[key] = value.slice(0, 1);
    } else out[key] = metaSkeleton(value, budget);
  }
  return out;
}

/**
 * Compiles a schema with the draft it declares (2020-12 when it says so, else
 * draft-07); a schema with more than `nodesMax` objects is refused, since
 * compiling costs the event loop time in proportion to its size.
 */
export function compileSchema(schema: object | boolean, nodesMax = Infinity, references: { name: string; schema: object | boolean }[] = []): ValidateFunction {
  const declared = typeof schema === "object" ? String((schema as { $schema?: string }).$schema ?? "") : "";
  const draft2020 = declared.includes("2020-12");
  const meta = draft2020 ? metaValidators.draft2020 : metaValidators.draft07;
  if (!meta.validateSchema(metaSkeleton(schema, { nodes: nodesMax, nodesMax }) as object)) throw new Error(meta.errorsText(meta.errors));
  const options = { ...OPTIONS, validateSchema: false };
  const ajv = addFormats(draft2020 ? new Ajv2020(options) as unknown as Ajv : new Ajv(options));
  // Schema references: each referenced schema answers to the name the schema's $ref uses.
  for (const r of references) ajv.addSchema(r.schema as object, r.name);
  return ajv.compile(schema);
}

export interface ValidationFailure {
  instancePath: string;
  message: string;
}

export function failures(errors: ErrorObject[] | null | undefined): ValidationFailure[] {
  return (errors ?? []).map((e) => ({ instancePath: e.instancePath || "/", message: e.message ?? e.keyword }));
}
