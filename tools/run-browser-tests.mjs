#!/usr/bin/env node
// Runs web-test-runner (with its normal reporter output) and then prints one machine-readable line,
//   browser: N passed, N failed
// counted across all groups, so CI can grep the result instead of parsing wtr's terminal UI.
// Exit status is non-zero if anything failed OR if no test ran at all: an empty run usually means a
// broken glob or a file that failed to load, and must not look like success.
//
// Extra CLI arguments pass through to wtr, e.g.
//   npm run test:browser -- --group webgpu --files test/browser/infra.test.ts
import { startTestRunner } from '@web/test-runner';

/**
 * Moves `--files a b` / `--files=a` out of the argv handed to wtr and into BROWSER_TEST_FILES, which
 * web-test-runner.config.mjs uses as the files of every group. Plain wtr ignores --files for groups
 * that declare their own files, and without --group it would add a groupless run of those files
 * (where no backend is set), so passing it through would either do nothing or run them wrongly.
 */
function takeFilesArg(argv) {
  const rest = [];
  const files = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg.startsWith('--files=')) {
      files.push(arg.slice('--files='.length));
    } else if (arg === '--files') {
      while (i + 1 < argv.length && !argv[i + 1].startsWith('-')) files.push(argv[++i]);
    } else {
      rest.push(arg);
    }
  }
  if (files.length > 0) process.env.BROWSER_TEST_FILES = files.join(',');
  return rest;
}

/** Counts tests in a mocha suite tree. */
function countSuite(suite, counts) {
  if (!suite) return;
  for (const test of suite.tests ?? []) {
    if (test.skipped) counts.skipped += 1;
    else if (test.passed) counts.passed += 1;
    else counts.failed += 1;
  }
  for (const child of suite.suites ?? []) countSuite(child, counts);
}

function summarize(runner) {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  for (const session of runner.sessions.all()) {
    const before = counts.failed;
    countSuite(session.testResults, counts);
    // A file that threw while loading, timed out, or crashed the browser has session errors but no
    // failed test; count it as one failure so it cannot vanish from the total.
    if (session.passed === false && counts.failed === before) counts.failed += 1;
  }
  return counts;
}

const runner = await startTestRunner({
  // We own the exit so the summary line is printed after wtr's own final report.
  autoExitProcess: false,
  // Without the node binary and script path: command-line-args only strips those from process.argv
  // itself, and would otherwise take them for test files.
  argv: takeFilesArg(process.argv.slice(2)),
});

if (!runner) {
  // startTestRunner already printed the configuration/start error and schedules exit(1).
  console.log('browser: 0 passed, 1 failed');
  process.exitCode = 1;
} else {
  process.on('SIGINT', () => runner.stop());
  process.on('SIGTERM', () => runner.stop());
  runner.on('stopped', (passed) => {
    const { passed: ok, failed, skipped } = summarize(runner);
    if (skipped > 0) console.log(`browser: ${skipped} skipped`);
    if (ok + failed === 0) console.log('browser: no tests ran; treating as failure');
    console.log(`browser: ${ok} passed, ${failed} failed`);
    process.exit(passed && failed === 0 && ok > 0 ? 0 : 1);
  });
}
