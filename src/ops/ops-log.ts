// The operations log: what the broker did and why, one line per event, on
// stderr. pino writes it; `--log-format json` gives pino's JSON lines as they
// are, `text` (the default) one readable line per event:
//
//   2026-11-29T07:01:02.345Z INFO  kafka: created topic orders by=anonymous from=127.0.0.1:5555 partitions=3
//
// Every module logs through opsLog("<component>"), so that one setting
// governs the process: several brokers in one process share it (the last
// configured wins), as they share stderr.

import { pino, type Logger, type LevelWithSilent } from "pino";

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export const LOG_FORMATS = ["text", "json"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = (typeof LOG_FORMATS)[number];

/** The parts of the broker that log, each a `component` field. */
export type Component = "broker" | "kafka" | "http" | "groups" | "log" | "schema" | "archive" | "warehouse" | "admin" | "auth";

export interface OpsLogOptions {
  level: LogLevel;
  format: LogFormat;
  /** Where lines go; stderr unless a test or an embedding program says otherwise. */
  write?: (line: string) => void;
}

const HIDDEN_IN_TEXT = new Set(["level", "time", "msg", "component"]);

/** Renders one pino JSON line as text: time, level, component, message, then the other fields as key=value. */
export function textLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const extra = Object.entries(entry)
    .filter(([k]) => !HIDDEN_IN_TEXT.has(k))
    .map(([k, v]) => `${k}=${typeof v === "string" && /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v)}`);
  const level = String(entry.level ?? "").toUpperCase().padEnd(5);
  const component = entry.component ? `${String(entry.component)}: ` : "";
  return `${String(entry.time ?? "")} ${level} ${component}${String(entry.msg ?? "")}${extra.length ? " " + extra.join(" ") : ""}\n`;
}

function build(options: OpsLogOptions): Logger {
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const destination = options.format === "json" ? { write } : { write: (line: string) => write(textLine(line)) };
  return pino({
    level: options.level as LevelWithSilent,
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    // An Error passed as `err` becomes its message alone: a stack belongs to a bug, and bugs log it themselves.
    serializers: { err: (err: unknown) => (err instanceof Error ? err.message : String(err)) },
  }, destination);
}

let root = build({ level: "info", format: "text" });
const children = new Map<Component, Logger>();

/** Sets the level and format for every component (the `serve` command calls it once at start). */
export function configureOpsLog(options: OpsLogOptions): void {
  root = build(options);
  children.clear();
}

/** The logger of one component. */
export function opsLog(component: Component): Logger {
  let child = children.get(component);
  if (!child) {
    child = root.child({ component });
    children.set(component, child);
  }
  return child;
}

/** Who asked for an admin change and from where. Until authentication exists, every principal is "anonymous". */
export interface Actor {
  principal: string;
  /** "ip:port" of the client. */
  from: string;
  /** The Kafka client id, for requests over the Kafka protocol. */
  clientId?: string;
  via: "kafka" | "http" | "cli";
}

/**
 * One line per admin change: what (an `action` such as "topic.create" and a
 * sentence), by whom and from where, with the details that say what changed.
 */
export function logAdminChange(actor: Actor, action: string, message: string, details: Record<string, unknown> = {}): void {
  opsLog("admin").info({ action, by: actor.principal, from: actor.from, via: actor.via, ...(actor.clientId ? { client_id: actor.clientId } : {}), ...details }, message);
}
