import type { Scheduler } from './scheduler.js';

/** One probe target as a feature declares it from its inputs (the plan, the cache). */
export interface TargetSpec<R> {
  /** Identity: series, history rows and the schedule are keyed by it. */
  key: string;
  /**
   * Where the target points (address, port, protocol). A target that keeps its key but points
   * elsewhere is another target: its series start afresh and results of the old one are dropped.
   */
  where: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  probe: (signal: AbortSignal) => Promise<R>;
}

/** What happens to targets and their results: a recorder (src/metrics/record.ts) implements it. */
export interface TargetSink<T, R> {
  /** A target appeared, or moved: create its series (zeros, so rate() works before a failure). */
  added(target: T): void;
  /** A target is still there, maybe with new attributes that must not reset counters (an expectation). */
  kept?(target: T): void;
  /** A result of a target that is still current, recorded against its current declaration. */
  result(target: T, result: R): void;
  /** A target went away or moved: remove exactly its series. */
  removed(key: string): void;
}

/**
 * The live targets of one prober. set() diffs the declared targets against the live ones, tells the
 * sink what appeared, stayed and went, and hands the scheduler one job per target (the scheduler
 * keeps a kept key's timing, jitters, skips overlaps and cancels removed keys). A result that ends
 * after its target was removed or moved is dropped, so it can never bring back removed series.
 */
export class TargetSet<T extends TargetSpec<R>, R> {
  private live = new Map<string, T>();

  constructor(
    private readonly prober: string,
    private readonly scheduler: Scheduler,
    private readonly sink: TargetSink<T, R>,
  ) {}

  set(targets: readonly T[]): void {
    const next = new Map<string, T>();
    for (const t of targets) if (!next.has(t.key)) next.set(t.key, t);
    for (const [key, old] of this.live) {
      if (next.get(key)?.where !== old.where) this.sink.removed(key);
    }
    for (const t of next.values()) {
      if (this.live.get(t.key)?.where === t.where) this.sink.kept?.(t);
      else this.sink.added(t);
    }
    this.live = next;
    this.scheduler.setJobs(
      this.prober,
      [...next.values()].map((t) => ({
        key: t.key,
        intervalSeconds: t.intervalSeconds,
        timeoutSeconds: t.timeoutSeconds,
        run: async (signal: AbortSignal): Promise<void> => {
          const result = await t.probe(signal);
          const current = this.live.get(t.key);
          if (current !== undefined && current.where === t.where) this.sink.result(current, result);
        },
      })),
    );
  }

  /** The live targets, in declaration order. */
  targets(): T[] {
    return [...this.live.values()];
  }

  /** Removes every target (the feature stops). */
  clear(): void {
    this.set([]);
  }
}
