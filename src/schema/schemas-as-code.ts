// Schemas as code: `schemas/<topic>.json` (value) and `schemas/<topic>.key.json`
// (key) are registered at start-up under `<topic>-value` / `<topic>-key`. The
// file is the subject's latest version: an unchanged file is a no-op; a changed
// one (even back to an older version's text) becomes a new version if it is
// compatible, and otherwise start-up fails, naming the file and the rule
// broken. While the broker runs, such subjects are read-only over the API.

import * as fs from "node:fs";
import * as path from "node:path";
import { LogManager } from "../log/log-manager.js";
import { RegistryError, type SchemaRegistry } from "./schema-registry.js";

export class SchemaFileError extends Error {}

export interface LoadedSchema {
  file: string;
  subject: string;
  id: number;
  version: number;
}

export async function loadSchemaDirectory(dir: string, registry: SchemaRegistry, logs: LogManager): Promise<LoadedSchema[]> {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new SchemaFileError(`schemas directory ${dir} does not exist`);
  const loaded: LoadedSchema[] = [];
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith(".json")).sort()) {
    const file = path.join(dir, name);
    const isKey = name.endsWith(".key.json");
    const topic = name.slice(0, isKey ? -".key.json".length : -".json".length);
    const subject = `${topic}-${isKey ? "key" : "value"}`;
    try {
      LogManager.validateTopicName(topic);
      if (!logs.hasTopic(topic)) await logs.createTopic(topic);
      const { id, version } = await registry.registerLatest(subject, fs.readFileSync(file, "utf8"));
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
