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

const OPTIONS: Options = { allErrors: true, strict: false, code: { regExp: linearRegExp as unknown as NonNullable<Options["code"]>["regExp"] } };

/** Compiles a schema with the draft it declares (2020-12 when it says so, else draft-07). */
export function compileSchema(schema: object | boolean): ValidateFunction {
  const declared = typeof schema === "object" ? String((schema as { $schema?: string }).$schema ?? "") : "";
  const ajv = declared.includes("2020-12") ? new Ajv2020(OPTIONS) as unknown as Ajv : new Ajv(OPTIONS);
  return addFormats(ajv).compile(schema);
}

const cache = new Map<number, ValidateFunction>();

export function validatorFor(id: number, schema: string): ValidateFunction {
  let validate = cache.get(id);
  if (!validate) {
    validate = compileSchema(JSON.parse(schema));
    cache.set(id, validate);
  }
  return validate;
}

export interface ValidationFailure {
  instancePath: string;
  message: string;
}

export function failures(errors: ErrorObject[] | null | undefined): ValidationFailure[] {
  return (errors ?? []).map((e) => ({ instancePath: e.instancePath || "/", message: e.message ?? e.keyword }));
}
