// Prints the closing line CI reads, "N passed, N failed", from vitest's JSON report.
import * as fs from "node:fs";

const file = process.argv[2] ?? ".test-results.json";
if (!fs.existsSync(file)) {
  console.log("0 passed, 1 failed");
  console.error(`no test report at ${file}: the test run did not get as far as vitest`);
  process.exit(1);
}
const report = JSON.parse(fs.readFileSync(file, "utf8"));
const skipped = report.numPendingTests + report.numTodoTests;
console.log(`${report.numPassedTests} passed, ${report.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ""}`);
