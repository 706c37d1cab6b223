/** The last result of one check, for the status page. */
export interface CheckState {
  /** e.g. "dns", "path", "ingress". */
  prober: string;
  /** Stable identity within the prober, e.g. "replica/coredns-a/cluster-fqdn". */
  target: string;
  ok: boolean;
  /** The outcome word (success, timeout, no_route, ...). */
  outcome: string;
  durationSeconds: number;
  /** Free text for people (never a metric label). */
  detail: string;
  at: number;
}

/** A failure kept after it ages out of the current state. */
export type FailureRecord = CheckState;

/**
 * Current state of every check and a bounded log of recent failures (kept after the check
 * recovers or disappears, as blackbox_exporter's /logs does).
 */
export class ResultHistory {
  private readonly current = new Map<string, CheckState>();
  private readonly failures: FailureRecord[] = [];

  constructor(private readonly maxFailures = 200) {}

  /** Records a result. */
  record(state: CheckState): void {
    this.current.set(`${state.prober}\u0000${state.target}`, state);
    if (!state.ok) {
      this.failures.push(state);
      if (this.failures.length > this.maxFailures)
        this.failures.splice(0, this.failures.length - this.maxFailures);
    }
  }

  /** Forgets the current state of targets of a prober that are no longer probed (failures stay). */
  retain(prober: string, targets: ReadonlySet<string>): void {
    for (const [key, s] of this.current)
      if (s.prober === prober && !targets.has(s.target)) this.current.delete(key);
  }

  /** Current state, sorted failing first. */
  checks(): CheckState[] {
    return [...this.current.values()].sort(
      (a, b) =>
        Number(a.ok) - Number(b.ok) || a.prober.localeCompare(b.prober) || a.target.localeCompare(b.target),
    );
  }

  /** Recent failures, newest first. */
  recentFailures(): FailureRecord[] {
    return [...this.failures].reverse();
  }
}
