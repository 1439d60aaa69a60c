// Keeps the architecture in README.md true: layers only import downward.
//   cli -> server -> schema | archive | warehouse | cluster -> security -> log -> protocol
// config and ops (the operations log) are leaves every layer may use. Within a layer, no file imports itself
// back through others (an import circle, type-only imports included). Exits 1
// naming each import that breaks a rule.
import * as fs from "node:fs";
import * as path from "node:path";

const allowed = {
  cli: ["server", "schema", "archive", "warehouse", "cluster", "security", "log", "protocol", "config", "ops", "cli"],
  server: ["server", "schema", "archive", "warehouse", "cluster", "security", "log", "protocol", "config", "ops"],
  security: ["security", "log", "protocol", "config", "ops"],
  schema: ["schema", "log", "protocol", "config", "ops"],
  archive: ["archive", "log", "protocol", "config", "ops"],
  cluster: ["cluster", "security", "log", "protocol", "config", "ops"],
  warehouse: ["warehouse", "log", "protocol", "config", "ops"],
  log: ["log", "protocol", "config", "ops"],
  protocol: ["protocol"],
  config: ["config"],
  ops: ["ops"],
};
// The servers, the registry and the CLI see log/ through its interface only:
// the store (store.ts), its errors and the topic configs. The composition roots that
// choose the local engine, and `log verify` (which checks its files), are the
// exceptions.
const LOG_INTERFACE = new Set(["log/store.ts", "log/errors.ts", "log/topic-config.ts"]);
const ENGINE_USERS = new Set(["server/broker.ts", "cli/open-logs.ts", "cli/log-verify.ts"]);
// The layers that see storage only through the seam. archive/ works on the engine's segment files.
const SEAM_USERS = new Set(["server", "schema", "cli", "warehouse", "cluster", "security"]);
// The wire codec does no I/O.
const forbiddenInProtocol = /from "node:(fs|net|http|https|child_process|dgram)"/;

const src = path.resolve(import.meta.dirname, "../src");
const problems = [];
function walk(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full);
    else if (entry.name.endsWith(".ts")) check(full);
  }
}
function layerOf(file) {
  const rel = path.relative(src, file).split(path.sep);
  return rel.length > 1 ? rel[0] : null;
}
/** file -> the project files it imports, for the circle check. */
const graph = new Map();

function check(file) {
  const layer = layerOf(file);
  const text = fs.readFileSync(file, "utf8");
  graph.set(file, [...text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)].map(([, spec]) => path.resolve(path.dirname(file), spec).replace(/\.js$/, ".ts")));
  if (layer === "protocol" && forbiddenInProtocol.test(text)) problems.push(`${path.relative(src, file)}: protocol/ must not do I/O`);
  if (!layer) return;
  for (const [, spec] of text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)) {
    const target = layerOf(path.resolve(path.dirname(file), spec));
    if (target && !allowed[layer]?.includes(target)) problems.push(`${path.relative(src, file)} imports ${spec}: ${layer}/ may not depend on ${target}/`);
    const imported = path.relative(src, path.resolve(path.dirname(file), spec)).replace(/\.js$/, ".ts").split(path.sep).join("/");
    const relFile = path.relative(src, file).split(path.sep).join("/");
    if (target === "log" && SEAM_USERS.has(layer) && !LOG_INTERFACE.has(imported) && !ENGINE_USERS.has(relFile)) {
      problems.push(`${relFile} imports ${spec}: above log/, only the store interface (${[...LOG_INTERFACE].join(", ")}) may be imported`);
    }
  }
}
walk(src);

// Depth-first search for import circles; each is reported once, by its files in order.
const state = new Map(); // file -> "open" | "done"
const seenCircles = new Set();
function visit(file, trail) {
  state.set(file, "open");
  trail.push(file);
  for (const next of graph.get(file) ?? []) {
    if (!graph.has(next)) continue;
    if (state.get(next) === "open") {
      const circle = trail.slice(trail.indexOf(next)).map((f) => path.relative(src, f));
      const key = [...circle].sort().join(" ");
      if (!seenCircles.has(key)) {
        seenCircles.add(key);
        problems.push(`import circle: ${[...circle, circle[0]].join(" -> ")}`);
      }
    } else if (!state.has(next)) visit(next, trail);
  }
  trail.pop();
  state.set(file, "done");
}
for (const file of graph.keys()) if (!state.has(file)) visit(file, []);

if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log("layers: every import points downward, log/ is seen through its interface, and no import circles");
