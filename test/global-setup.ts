import { execFileSync } from "node:child_process";
import { BUN, REPO_ROOT } from "./helpers/binaries.js";

/** Builds the single binary once per test run, so binary tests never run a stale one. */
export default function setup(): void {
  // The same command as `npm run build` (package.json): bytecode, so the binary starts in half the time.
  execFileSync(BUN, ["build", "--compile", "--minify", "--sourcemap", "--bytecode", "--format", "esm", "src/main.ts", "--outfile", "dist/tributary"], { cwd: REPO_ROOT, stdio: "pipe" });
}
