// Schemas as code: `schemas/<topic>.json` (value) and `schemas/<topic>.key.json`
// (key), or `.avsc` for Avro, are registered at start-up under `<topic>-value` / `<topic>-key`. The
// file is the subject's latest version: an unchanged file is a no-op; a changed
// one (even back to an older version's text) becomes a new version if it is
// compatible, and otherwise start-up fails, naming the file and the rule
// broken. While the broker runs, such subjects are read-only over the API.

import * as fs from "node:fs";
import * as path from "node:path";
import { validateTopicName, type LogStore } from "../log/store.js";
import { RegistryError, type SchemaRegistry, type SchemaType } from "./schema-registry.js";

export class SchemaFileError extends Error {}

export interface LoadedSchema {
  file: string;
  subject: string;
  id: number;
  version: number;
}

/** `<topic>.json` / `<topic>.key.json` hold JSON Schemas, `<topic>.avsc` / `<topic>.key.avsc` Avro schemas. */
const FILE_KINDS: { suffix: string; key: boolean; schemaType: SchemaType }[] = [
  { suffix: ".key.json", key: true, schemaType: "JSON" },
  { suffix: ".json", key: false, schemaType: "JSON" },
  { suffix: ".key.avsc", key: true, schemaType: "AVRO" },
  { suffix: ".avsc", key: false, schemaType: "AVRO" },
];

/**
 * Registers each schema file as its subject's latest version (creating its
 * topic), or with `checkOnly` only checks that it could be (names, and
 * compatibility with what the registry holds): in cluster mode the elected
 * writer registers and the other instances check.
 */
export async function loadSchemaDirectory(dir: string, registry: SchemaRegistry, logs: LogStore, checkOnly = false): Promise<LoadedSchema[]> {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new SchemaFileError(`schemas directory ${dir} does not exist`);
  const loaded: LoadedSchema[] = [];
  const seen = new Map<string, string>();
  for (const name of fs.readdirSync(dir).sort()) {
    const kind = FILE_KINDS.find((k) => name.endsWith(k.suffix));
    if (!kind) continue;
    const file = path.join(dir, name);
    const topic = name.slice(0, -kind.suffix.length);
    const subject = `${topic}-${kind.key ? "key" : "value"}`;
    try {
      if (seen.has(subject)) throw new SchemaFileError(`${subject} is already defined by ${seen.get(subject)}`);
      seen.set(subject, file);
      validateTopicName(topic);
      const text = fs.readFileSync(file, "utf8");
      if (checkOnly) {
        const problems = registry.checkCompatibility(subject, text, undefined, kind.schemaType);
        if (problems.length) throw new RegistryError(409, 409, `${subject} is incompatible with its registered versions`, problems);
        registry.pin(subject, file);
        continue;
      }
      if (!logs.hasTopic(topic)) await logs.createTopic(topic);
      const { id, version } = await registry.registerLatest(subject, text, kind.schemaType);
      registry.pin(subject, file);
      loaded.push({ file, subject, id, version });
    } catch (err) {
      if (err instanceof RegistryError) {
        throw new SchemaFileError(`${file}: ${err.message}${err.details ? `:\n  ${err.details.join("\n  ")}` : ""}`);
      }
      throw new SchemaFileError(`${file}: ${(err as Error).message}`);
    }
  }
  return loaded;
}
