import { Command, CommanderError } from "commander";
import { registerServe } from "./serve.js";
import { registerTopic } from "./topic.js";
import { registerLog } from "./log-verify.js";
import { registerGroup } from "./group.js";
import { registerArchive } from "./archive.js";
import { registerSql } from "./sql.js";
import { registerProduce } from "./produce.js";
import { registerConsume } from "./consume.js";
import { registerPerf } from "./perf.js";
import { registerSecurity } from "./security.js";
import { registerTransactions } from "./transactions.js";
import { reportError } from "./output.js";

import { VERSION } from "../config/version.js";

export function buildProgram(): Command {
  const program = new Command("tributary")
    .description("Kafka-compatible log, HTTP publish/subscribe, schemas, S3 archive and SQL warehouse in one binary")
    .version(VERSION)
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  registerServe(program);
  registerTopic(program);
  registerGroup(program);
  registerLog(program);
  registerArchive(program);
  registerSql(program);
  registerProduce(program);
  registerConsume(program);
  registerPerf(program);
  registerSecurity(program);
  registerTransactions(program);
  for (const command of program.commands) {
    command.exitOverride();
    for (const sub of command.commands) sub.exitOverride();
  }
  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function runCli(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return err.exitCode === 0 ? 0 : 2;
    }
    return reportError(err);
  }
}
