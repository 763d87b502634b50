/** Counts of one TAP stream (what tape prints). */
export interface TapCounts {
  passed: number;
  failed: number;
  skipped: number;
  /** Descriptions of the `not ok` assertions, in order. */
  failures: string[];
  /** The `1..N` plan, when printed (tape prints it once every test has ended). */
  plan?: number;
  /** A plan was printed and every planned assertion was reported. */
  complete: boolean;
}

/** Parses TAP version 13 output as tape writes it; YAML diagnostics and comments are skipped. */
export function parseTap(output: string): TapCounts {
  const counts: TapCounts = { passed: 0, failed: 0, skipped: 0, failures: [], complete: false };
  for (const rawLine of output.split(/\r?\n/)) {
    const line = rawLine.trimEnd();
    const assertion = /^(not ok|ok)\b\s*(\d+)?\s*-?\s*(.*)$/.exec(line);
    if (assertion) {
      const description = assertion[3] ?? '';
      if (/#\s*(skip|todo)\b/i.test(description)) {
        counts.skipped++;
      } else if (assertion[1] === 'ok') {
        counts.passed++;
      } else {
        counts.failed++;
        counts.failures.push(description);
      }
      continue;
    }
    const plan = /^1\.\.(\d+)\b/.exec(line);
    if (plan) counts.plan = Number(plan[1]);
  }
  counts.complete =
    counts.plan !== undefined && counts.passed + counts.failed + counts.skipped === counts.plan;
  return counts;
}
