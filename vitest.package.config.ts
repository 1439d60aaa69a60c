import { defineConfig } from "vitest/config";

// The npm package packed, installed into an empty project and used there. It runs
// after the main suite, not beside it: its install compiles better-sqlite3, which
// would take a core from tests that bound how long things may take.
export default defineConfig({
  test: {
    include: ["test/package/**/*.test.ts"],
    testTimeout: 600_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
