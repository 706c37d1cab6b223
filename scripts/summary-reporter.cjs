// Prints the closing line CI reads: "tests: N passed, N failed", then ", N skipped (reason: count; ...)"
// when any were skipped. Tests may only be skipped through test/helpers/prerequisites.ts, which
// puts the reason in the describe name; a skip without one (a stray .skip or .todo) fails the run.
const MARKER = /\[skipped: ([^\]]+)\]/;

class SummaryReporter {
  constructor() {
    this.error = undefined;
  }

  onRunComplete(_contexts, results) {
    const reasons = new Map();
    let unexplained = 0;
    for (const file of results.testResults) {
      for (const t of file.testResults) {
        if (t.status !== 'pending' && t.status !== 'todo' && t.status !== 'skipped') continue;
        const reason = t.ancestorTitles.map((title) => MARKER.exec(title)?.[1]).find(Boolean);
        if (reason === undefined) unexplained++;
        else reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      }
    }
    if (unexplained > 0) reasons.set('no reason given: a silent skip, which fails the run', unexplained);
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = [...reasons.values()].reduce((a, b) => a + b, 0);
    const why = [...reasons].map(([reason, n]) => `${n}: ${reason}`).join('; ');
    process.stdout.write(
      `\ntests: ${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped (${why})` : ''}\n`,
    );
    this.error = unexplained > 0 ? new Error(`${unexplained} test(s) skipped without a reason`) : undefined;
  }

  getLastError() {
    return this.error;
  }
}
module.exports = SummaryReporter;
