// JSON Schema validation with ajv: drafts 07 and 2020-12, formats, and one
// compiled validator per schema id, cached.

import { Ajv, type ValidateFunction, type ErrorObject } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";

// ajv-formats is CommonJS: its default export arrives wrapped under some loaders.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

const draft07 = addFormats(new Ajv({ allErrors: true, strict: false }));
const draft2020 = addFormats(new Ajv2020({ allErrors: true, strict: false }) as unknown as Ajv);

/** Compiles a schema with the draft it declares (2020-12 when it says so, else draft-07). */
export function compileSchema(schema: object | boolean): ValidateFunction {
  const declared = typeof schema === "object" ? String((schema as { $schema?: string }).$schema ?? "") : "";
  return (declared.includes("2020-12") ? draft2020 : draft07).compile(schema);
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
