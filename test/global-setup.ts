import { execFileSync } from "node:child_process";
import { BUN, REPO_ROOT } from "./helpers/binaries.js";

/** Builds the single binary once per test run, so binary tests never run a stale one. */
export default function setup(): void {
  execFileSync(BUN, ["build", "--compile", "--minify", "--sourcemap", "src/main.ts", "--outfile", "dist/tributary"], { cwd: REPO_ROOT, stdio: "pipe" });
}
