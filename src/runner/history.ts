/** The last result of one check, as a prober's feature records it. */
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
  /** When the result was recorded (ms since the epoch). */
  at: number;
}

/** The most recent failure of a check, kept while the check is probed. */
export interface LastFailure {
  at: number;
  outcome: string;
  detail: string;
}

/** The current state of a check, with its last failure (null when it never failed). */
export interface CheckView extends CheckState {
  lastFailure: LastFailure | null;
}

/** How a failure episode ended: the check succeeded again, or it is no longer probed. */
export type FailureEnd = 'recovered' | 'removed';

/**
 * One failure episode: consecutive failing results of one check, collapsed so that a check failing
 * every few seconds does not push every other failure out of the bounded log.
 */
export interface FailureRecord {
  prober: string;
  target: string;
  /** Outcome, detail and latency of the latest failing result of the episode. */
  outcome: string;
  detail: string;
  durationSeconds: number;
  firstAt: number;
  lastAt: number;
  /** Failing results in the episode. */
  count: number;
  /** null while the check is still failing. */
  ended: FailureEnd | null;
  endedAt: number | null;
}

function keyOf(s: { prober: string; target: string }): string {
  return `${s.prober}\u0000${s.target}`;
}

/**
 * Current state of every check and a bounded log of recent failure episodes (kept after the check
 * recovers or disappears, as blackbox_exporter's /logs does).
 */
export class ResultHistory {
  private readonly current = new Map<string, CheckView>();
  private readonly failures: FailureRecord[] = [];
  /** Episodes still going on, by check. */
  private readonly open = new Map<string, FailureRecord>();

  constructor(
    private readonly maxFailures = 200,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a result. */
  record(state: CheckState): void {
    const key = keyOf(state);
    const before = this.current.get(key);
    const lastFailure = state.ok
      ? (before?.lastFailure ?? null)
      : { at: state.at, outcome: state.outcome, detail: state.detail };
    this.current.set(key, { ...state, lastFailure });
    const episode = this.open.get(key);
    if (state.ok) {
      if (episode !== undefined) this.close(key, episode, 'recovered', state.at);
      return;
    }
    if (episode !== undefined) {
      Object.assign(episode, {
        outcome: state.outcome,
        detail: state.detail,
        durationSeconds: state.durationSeconds,
        lastAt: state.at,
        count: episode.count + 1,
      });
      return;
    }
    this.startEpisode(key, state);
  }

  /** Forgets the current state of targets of a prober that are no longer probed (failures stay). */
  retain(prober: string, targets: ReadonlySet<string>): void {
    for (const s of [...this.current.values()]) {
      if (s.prober === prober && !targets.has(s.target)) this.remove(prober, s.target);
    }
  }

  /** Forgets one target that is no longer probed; its ongoing failure episode ends as removed. */
  remove(prober: string, target: string): void {
    const key = keyOf({ prober, target });
    if (!this.current.delete(key)) return;
    const episode = this.open.get(key);
    if (episode !== undefined) this.close(key, episode, 'removed', this.now());
  }

  /** Current state, sorted failing first. */
  checks(): CheckView[] {
    return [...this.current.values()].sort(
      (a, b) =>
        Number(a.ok) - Number(b.ok) || a.prober.localeCompare(b.prober) || a.target.localeCompare(b.target),
    );
  }

  /** Recent failure episodes, the most recently failing first. */
  recentFailures(): FailureRecord[] {
    return this.failures.map((f) => ({ ...f })).sort((a, b) => b.lastAt - a.lastAt);
  }

  private startEpisode(key: string, state: CheckState): void {
    const episode: FailureRecord = {
      prober: state.prober,
      target: state.target,
      outcome: state.outcome,
      detail: state.detail,
      durationSeconds: state.durationSeconds,
      firstAt: state.at,
      lastAt: state.at,
      count: 1,
      ended: null,
      endedAt: null,
    };
    this.failures.push(episode);
    this.open.set(key, episode);
    // Over the bound, the oldest ended episode goes first: ongoing ones are what people look for.
    while (this.failures.length > this.maxFailures) {
      const ended = this.failures.findIndex((f) => f.ended !== null);
      const [dropped] = this.failures.splice(ended === -1 ? 0 : ended, 1);
      if (dropped !== undefined && this.open.get(keyOf(dropped)) === dropped)
        this.open.delete(keyOf(dropped));
    }
  }

  private close(key: string, episode: FailureRecord, ended: FailureEnd, at: number): void {
    episode.ended = ended;
    episode.endedAt = at;
    this.open.delete(key);
  }
}
