import { defineConfig } from "vitest/config";

// The interop suite needs kcat and the Debian Python clients (.ci/run installs them).
export default defineConfig({
  test: {
    include: ["test/interop/**/*.test.ts"],
    testTimeout: 180_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
