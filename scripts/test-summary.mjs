// Prints the closing line CI reads, "N passed, N failed", summed over vitest JSON reports.
// A file whose suite failed without a failing test (a beforeAll that threw, an import
// error: vitest then reports its tests as skipped) counts as a failure, and so does a
// run that did not succeed for any other reason (an unhandled error).
import * as fs from "node:fs";

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of process.argv.slice(2)) {
  if (!fs.existsSync(file)) {
    console.error(`no test report at ${file}: that run did not get as far as vitest`);
    failed++;
    continue;
  }
  const report = JSON.parse(fs.readFileSync(file, "utf8"));
  passed += report.numPassedTests;
  let failures = report.numFailedTests;
  for (const suite of report.testResults ?? []) {
    const anyFailedTest = (suite.assertionResults ?? []).some((t) => t.status === "failed");
    if (suite.status === "failed" && !anyFailedTest) {
      console.error(`${suite.name}: the file failed outside its tests: ${String(suite.message ?? "").split("\n")[0]}`);
      failures++;
    }
  }
  if (!report.success && failures === 0) {
    console.error(`${file}: the run did not succeed (an unhandled error?)`);
    failures++;
  }
  failed += failures;
  skipped += report.numPendingTests + report.numTodoTests;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
