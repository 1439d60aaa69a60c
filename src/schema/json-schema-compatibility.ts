// Decides whether one JSON Schema accepts every document another accepts, and
// says where and why not. BACKWARD means the new schema reads all data written
// with the old one (old ⊆ new); FORWARD swaps them; FULL is both. The check is
// conservative: when it cannot prove inclusion it reports an incompatibility.

type Schema = Record<string, unknown> | boolean;

export interface Incompatibility {
  /** JSON path in the schema, e.g. "#/properties/address/properties/zip". */
  path: string;
  /** Confluent-style rule name, e.g. "TYPE_NARROWED". */
  rule: string;
  message: string;
}

const ALL_TYPES = ["null", "boolean", "object", "array", "number", "integer", "string"];

function resolve(schema: Schema, root: Schema, seen = 0): Schema {
  if (typeof schema !== "object" || typeof schema.$ref !== "string" || seen > 32) return schema;
  const ref = schema.$ref;
  if (!ref.startsWith("#")) return true; // remote refs are not followed: treated as "anything"
  let target: unknown = root;
  for (const part of ref.slice(1).split("/").filter(Boolean)) {
    target = (target as Record<string, unknown> | undefined)?.[decodeURIComponent(part.replace(/~1/g, "/").replace(/~0/g, "~"))];
  }
  return target === undefined ? true : resolve(target as Schema, root, seen + 1);
}

function types(s: Record<string, unknown>): Set<string> {
  const t = s.type;
  if (t === undefined) {
    if (s.enum) return new Set((s.enum as unknown[]).map(typeOfValue));
    if ("const" in s) return new Set([typeOfValue(s.const)]);
    return new Set(ALL_TYPES);
  }
  const list = Array.isArray(t) ? (t as string[]) : [t as string];
  return new Set(list);
}

function typeOfValue(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

/**
 * Whether no document is valid under both (proved from types, enums and
 * consts only; false when it cannot tell).
 */
function disjoint(a: Record<string, unknown>, b: Schema): boolean {
  if (b === false) return true;
  if (b === true) return false;
  const bt = types(b);
  if (![...types(a)].some((t) => accepts(bt, t) || (t === "number" && bt.has("integer")))) return true;
  const values = (s: Record<string, unknown>) => (Array.isArray(s.enum) ? s.enum : "const" in s ? [s.const] : undefined);
  const av = values(a);
  const bv = values(b);
  if (av && bv) {
    const set = new Set(bv.map((v) => JSON.stringify(v)));
    return !av.some((v) => set.has(JSON.stringify(v)));
  }
  return false;
}

/** The schema of each leading position of an array, and of every position after them. */
function arrayShape(s: Record<string, unknown>): { positions: Schema[]; rest: Schema } {
  if (Array.isArray(s.prefixItems)) return { positions: s.prefixItems as Schema[], rest: (s.items ?? true) as Schema };
  if (Array.isArray(s.items)) return { positions: s.items as Schema[], rest: (s.additionalItems ?? true) as Schema };
  return { positions: [], rest: (s.items ?? true) as Schema };
}

function accepts(types: Set<string>, t: string): boolean {
  return types.has(t) || (t === "integer" && types.has("number"));
}

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function acceptsAnything(s: Schema): boolean {
  if (s === true) return true;
  if (s === false) return false;
  const keys = Object.keys(s).filter((k) => !["$schema", "$id", "title", "description", "default", "examples", "$comment", "definitions", "$defs"].includes(k));
  return keys.length === 0;
}

interface SplitSchema {
  base: Record<string, unknown>;
  allOf?: Schema[];
  allOfRaw?: Schema[];
  branches?: Schema[];
  branchesRaw?: Schema[];
}

/** The check took more steps than its budget allows: the schemas are too large or too recursive to compare. */
export class CompatibilityBudgetError extends Error {
  constructor(stepsMax: number) {
    super(`comparing these schemas takes more than ${stepsMax} steps; simplify the schema (recursive $refs, nested anyOf/oneOf)`);
  }
}

/** Steps left for one compatibility decision, shared by every checker it spawns. */
interface Budget {
  steps: number;
  readonly stepsMax: number;
}

/** Default number of steps one compatibility decision may take. */
export const COMPATIBILITY_STEPS_MAX = 100_000;

class Checker {
  readonly problems: Incompatibility[] = [];
  /**
   * Pairs (old, new) of resolved subschemas already compared, or being
   * compared: a recursive `$ref` meets the same pair again, and assuming it
   * compatible there (what the rest of the comparison decides anyway) makes
   * the walk finite.
   */
  private readonly visited = new Map<object, Set<object>>();

  constructor(private readonly oldRoot: Schema, private readonly newRoot: Schema, private readonly budget: Budget) {}

  private probe(): Checker {
    return new Checker(this.oldRoot, this.newRoot, this.budget);
  }

  private firstVisit(o: Schema, n: Schema): boolean {
    if (typeof o !== "object" || typeof n !== "object") return true;
    let seen = this.visited.get(o);
    if (!seen) this.visited.set(o, (seen = new Set()));
    if (seen.has(n)) return false;
    seen.add(n);
    return true;
  }

  private fail(path: string, rule: string, message: string): void {
    this.problems.push({ path, rule, message: `${path}: ${message} (${rule})` });
  }

  /** Whether `n` accepts everything `o` does, decided without recording problems. */
  private fits(o: Schema, n: Schema, path: string, depth: number): boolean {
    const probe = this.probe();
    probe.check(o, n, path, depth + 1);
    return probe.problems.length === 0;
  }

  private readonly splits = new Map<object, SplitSchema>();
  private readonly texts = new WeakMap<object, string>();

  private text(s: object): string {
    let t = this.texts.get(s);
    if (t === undefined) this.texts.set(s, (t = JSON.stringify(s)));
    return t;
  }

  /**
   * The same schema text on both sides: compatible whatever it means. A `$ref`
   * inside points into its own root, so text with one counts only when the two
   * roots are the same text too.
   */
  private same(o: Schema, n: Schema): boolean {
    if (typeof o !== "object" || typeof n !== "object") return false;
    const text = this.text(o);
    if (text !== this.text(n)) return false;
    return !text.includes('"$ref"') || (typeof this.oldRoot === "object" && typeof this.newRoot === "object" && this.text(this.oldRoot) === this.text(this.newRoot));
  }

  /**
   * A schema with allOf, anyOf or oneOf taken apart: its own keywords (base)
   * and, for allOf, base merged with each part; for anyOf/oneOf, base merged
   * with each branch. Merging keeps every keyword of the part and the base's
   * others, so a merged schema accepts at least what base ∩ part does: using it
   * in place of the intersection errs only towards "incompatible". Memoised,
   * so recursive schemas meet the same objects again and the visited pairs end
   * the walk.
   */
  private split(s: Record<string, unknown>, root: Schema): SplitSchema {
    let parts = this.splits.get(s);
    if (parts) return parts;
    const { allOf, anyOf, oneOf, ...base } = s;
    const merge = (part: Schema): Schema => {
      const r = resolve(part, root);
      if (r === true) return base;
      if (r === false) return false;
      return { ...base, ...r };
    };
    parts = { base };
    if (Array.isArray(allOf) && allOf.length > 0) {
      parts.allOfRaw = allOf as Schema[];
      parts.allOf = (allOf as Schema[]).map((part) => merge(part));
      // Keep the other combinators with each merged part: only one is taken apart at a time.
      if (anyOf !== undefined || oneOf !== undefined) parts.allOf = parts.allOf.map((m) => (typeof m === "object" ? { ...m, ...(anyOf ? { anyOf } : {}), ...(oneOf ? { oneOf } : {}) } : m));
    } else {
      const branches = Array.isArray(anyOf) ? anyOf : Array.isArray(oneOf) ? oneOf : undefined;
      if (branches) {
        parts.branchesRaw = branches as Schema[];
        parts.branches = (branches as Schema[]).map((branch) => merge(branch));
      }
    }
    this.splits.set(s, parts);
    return parts;
  }

  /** new = base ∩ ¬X: old must share no document with X. */
  private checkNot(o: Record<string, unknown>, n: Record<string, unknown>, path: string, depth: number): void {
    const excluded = resolve(n.not as Schema, this.newRoot);
    if (excluded === false) return;
    if (disjoint(o, excluded)) return;
    // old = base ∩ ¬Y with X ⊆ Y is disjoint from X.
    if (o.not !== undefined && this.fits(n.not as Schema, o.not as Schema, `${path}/not`, depth)) return;
    this.fail(`${path}/not`, "NOT_ADDED", "the new schema excludes documents the old one accepted");
  }

  /** Records why `newSchema` may refuse a document `oldSchema` accepts. */
  check(oldSchema: Schema, newSchema: Schema, path: string, depth = 0): void {
    if (depth > 64) return;
    if (--this.budget.steps < 0) throw new CompatibilityBudgetError(this.budget.stepsMax);
    const o = resolve(oldSchema, this.oldRoot);
    const n = resolve(newSchema, this.newRoot);
    if (!this.firstVisit(o, n)) return;
    if (o === false || acceptsAnything(n) || this.same(o, n)) return;
    if (n === false) return this.fail(path, "SCHEMA_REMOVED", "the new schema accepts nothing here");
    if (o === true) return this.fail(path, "SCHEMA_RESTRICTED", "the old schema accepted anything here; the new one does not");
    const ob = o as Record<string, unknown>;
    const nb = n as Record<string, unknown>;
    const newParts = this.split(nb, this.newRoot);
    if (newParts.allOf) {
      // new = base ∩ A ∩ B ∩ …: old must fit each.
      if (!acceptsAnything(newParts.base)) this.check(o, newParts.base, path, depth + 1);
      newParts.allOfRaw!.forEach((part, i) => this.check(o, part, `${path}/allOf/${i}`, depth + 1));
      return;
    }
    const oldParts = this.split(ob, this.oldRoot);
    if (oldParts.allOf) {
      // old = base ∩ A ∩ B ∩ …: it is enough that one of base∩A, base∩B, … fits.
      const fits = oldParts.allOf.some((narrowed) => this.fits(narrowed, n, path, depth));
      if (!fits) this.check(oldParts.allOf[0]!, n, path, depth + 1);
      return;
    }
    if (oldParts.branches) {
      // old ⊆ base ∩ (A ∪ B ∪ …) (oneOf is no wider than anyOf): every branch must fit.
      oldParts.branches.forEach((branch) => this.check(branch, n, path, depth + 1));
      return;
    }
    if (newParts.branches) {
      // new = base ∩ (A ∪ B ∪ …): old must fit the base and at least one branch;
      // for oneOf, old must also share no document with the other branches.
      if (!acceptsAnything(newParts.base)) this.check(o, newParts.base, path, depth + 1);
      const key = Array.isArray(nb.anyOf) ? "anyOf" : "oneOf";
      const branches = newParts.branchesRaw!;
      const fitting = branches.findIndex((branch, i) => this.fits(o, branch, path, depth)
        && (key === "anyOf" || branches.every((other, j) => j === i || disjoint(ob, resolve(other, this.newRoot)))));
      if (fitting < 0) {
        this.fail(`${path}/${key}`, "COMBINED_TYPE_SUBSCHEMAS_CHANGED", key === "anyOf"
          ? "no anyOf branch of the new schema accepts what the old schema did"
          : "no oneOf branch of the new schema accepts what the old schema did while the others provably refuse it");
      }
      return;
    }
    if (nb.not !== undefined) this.checkNot(ob, nb, path, depth);
    const ot = types(ob);
    const nt = types(nb);
    const lost = [...ot].filter((t) => !accepts(nt, t));
    if (lost.length) this.fail(path, "TYPE_NARROWED", `type ${lost.join(", ")} was accepted and no longer is`);
    this.checkEnum(ob, nb, path);
    this.checkLimits(ob, nb, path);
    if (accepts(ot, "object") && accepts(nt, "object")) this.checkObject(ob, nb, path, depth);
    if (accepts(ot, "array") && accepts(nt, "array")) this.checkArray(ob, nb, path, depth);
  }

  private checkEnum(o: Record<string, unknown>, n: Record<string, unknown>, path: string): void {
    if ("const" in n && !("const" in o && equal(o.const, n.const))) {
      if (!(Array.isArray(o.enum) && o.enum.every((v) => equal(v, n.const)))) this.fail(path, "ENUM_NARROWED", `const ${JSON.stringify(n.const)} was not required before`);
    }
    if (!Array.isArray(n.enum)) return;
    const newValues = n.enum as unknown[];
    const oldValues = Array.isArray(o.enum) ? (o.enum as unknown[]) : "const" in o ? [o.const] : undefined;
    if (!oldValues) return this.fail(path, "ENUM_ADDED", "an enum now restricts values that were free before");
    // Sets, not pairwise comparison: enums may hold many thousands of values.
    const kept = new Set(newValues.map((v) => JSON.stringify(v)));
    const dropped = oldValues.filter((v) => !kept.has(JSON.stringify(v)));
    if (dropped.length) this.fail(path, "ENUM_NARROWED", `enum no longer allows ${dropped.map((v) => JSON.stringify(v)).join(", ")}`);
  }

  private checkLimits(o: Record<string, unknown>, n: Record<string, unknown>, path: string): void {
    const lower = ["minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties"];
    const upper = ["maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties"];
    for (const key of lower) {
      if (typeof n[key] !== "number") continue;
      if (typeof o[key] !== "number" || (o[key] as number) < (n[key] as number)) {
        this.fail(path, `${key.toUpperCase()}_INCREASED`, `${key} ${n[key]} is stricter than ${o[key] ?? "none"}`);
      }
    }
    for (const key of upper) {
      if (typeof n[key] !== "number") continue;
      if (typeof o[key] !== "number" || (o[key] as number) > (n[key] as number)) {
        this.fail(path, `${key.toUpperCase()}_DECREASED`, `${key} ${n[key]} is stricter than ${o[key] ?? "none"}`);
      }
    }
    for (const key of ["pattern", "format", "multipleOf"]) {
      if (n[key] !== undefined && !equal(o[key], n[key])) this.fail(path, `${key.toUpperCase()}_CHANGED`, `${key} ${JSON.stringify(n[key])} was ${JSON.stringify(o[key] ?? null)}`);
    }
    if (n.uniqueItems === true && o.uniqueItems !== true) this.fail(path, "UNIQUE_ITEMS_ADDED", "items must now be unique");
  }

  /**
   * Arrays position by position: tuples (`prefixItems`, or `items` as an array
   * with `additionalItems`) give each leading position its own schema, and the
   * rest share one.
   */
  private checkArray(o: Record<string, unknown>, n: Record<string, unknown>, path: string, depth: number): void {
    const oldShape = arrayShape(o);
    const newShape = arrayShape(n);
    const positions = Math.max(oldShape.positions.length, newShape.positions.length);
    for (let i = 0; i < positions; i++) {
      this.check(oldShape.positions[i] ?? oldShape.rest, newShape.positions[i] ?? newShape.rest, `${path}/items/${i}`, depth + 1);
    }
    this.check(oldShape.rest, newShape.rest, `${path}/items`, depth + 1);
  }

  private checkObject(o: Record<string, unknown>, n: Record<string, unknown>, path: string, depth: number): void {
    const oProps = (o.properties ?? {}) as Record<string, Schema>;
    const nProps = (n.properties ?? {}) as Record<string, Schema>;
    const oAdditional = (o.additionalProperties ?? true) as Schema;
    const nAdditional = (n.additionalProperties ?? true) as Schema;
    const oRequired = new Set((o.required ?? []) as string[]);
    for (const name of (n.required ?? []) as string[]) {
      const hasDefault = typeof nProps[name] === "object" && "default" in (nProps[name] as object);
      if (!oRequired.has(name) && !hasDefault) this.fail(`${path}/required`, "REQUIRED_PROPERTY_ADDED", `property '${name}' is now required`);
    }
    for (const [name, schema] of Object.entries(nProps)) {
      const at = `${path}/properties/${name}`;
      if (name in oProps) this.check(oProps[name]!, schema, at, depth + 1);
      else if (oAdditional !== false) {
        // Old data may carry this property with any value the old schema let through.
        const probe = this.probe();
        probe.check(oAdditional, schema, at, depth + 1);
        if (probe.problems.length) this.fail(at, "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", `property '${name}' was added while the old model was open`);
      }
    }
    for (const [name, schema] of Object.entries(oProps)) {
      if (name in nProps) continue;
      const at = `${path}/properties/${name}`;
      if (nAdditional === false) this.fail(at, "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", `property '${name}' was removed from a closed model`);
      else this.check(schema, nAdditional, at, depth + 1);
    }
    if (oAdditional !== false && !(acceptsAnything(nAdditional))) {
      this.check(oAdditional, nAdditional, `${path}/additionalProperties`, depth + 1);
    }
  }
}

/** Why `newSchema` cannot read every document valid under `oldSchema` (empty: it can). */
export function backwardIncompatibilities(oldSchema: Schema, newSchema: Schema, stepsMax = COMPATIBILITY_STEPS_MAX): Incompatibility[] {
  const checker = new Checker(oldSchema, newSchema, { steps: stepsMax, stepsMax });
  checker.check(oldSchema, newSchema, "#");
  return checker.problems;
}

export const COMPATIBILITY_LEVELS = ["BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE", "NONE"] as const;
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];

/** Messages for every rule `candidate` breaks against `previous` (newest last) under `level`. */
export function compatibilityProblems(level: CompatibilityLevel, previous: Schema[], candidate: Schema, stepsMax = COMPATIBILITY_STEPS_MAX): string[] {
  if (level === "NONE" || previous.length === 0) return [];
  const against = level.endsWith("_TRANSITIVE") ? previous : previous.slice(-1);
  const messages: string[] = [];
  for (const old of against) {
    if (level.startsWith("BACKWARD") || level.startsWith("FULL")) {
      for (const p of backwardIncompatibilities(old, candidate, stepsMax)) messages.push(`BACKWARD: ${p.message}`);
    }
    if (level.startsWith("FORWARD") || level.startsWith("FULL")) {
      for (const p of backwardIncompatibilities(candidate, old, stepsMax)) messages.push(`FORWARD: ${p.message}`);
    }
  }
  return [...new Set(messages)];
}
