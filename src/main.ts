#!/usr/bin/env bun
import { runCli } from "./cli/program.js";

// A reader that went away (a closed pipe) must not crash a running broker.
process.stdout.on("error", () => undefined);
process.stderr.on("error", () => undefined);

process.exitCode = await runCli(process.argv);
