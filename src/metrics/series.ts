/** Anything with labelled series that can be removed (prom-client Gauge, Counter, Histogram). */
interface Removable<L extends string> {
  remove(labels: Partial<Record<L, string | number>>): void;
}

/**
 * Remembers which series each target produced, so that the series of a target that disappears
 * (a deleted Service, a replica that left the plan) can be removed: no series outlives its object.
 */
export class SeriesTracker {
  // target -> metric -> label sets (as JSON) with the labels to remove them by
  private readonly byTarget = new Map<string, Map<Removable<string>, Map<string, Record<string, string>>>>();

  /** Records that `target` owns the series `labels` of `metric`. */
  track<L extends string>(target: string, metric: Removable<L>, labels: Record<L, string>): void {
    let metrics = this.byTarget.get(target);
    if (!metrics) {
      metrics = new Map();
      this.byTarget.set(target, metrics);
    }
    let sets = metrics.get(metric);
    if (!sets) {
      sets = new Map();
      metrics.set(metric, sets);
    }
    sets.set(JSON.stringify(labels), labels);
  }

  /** Removes every series of one target. */
  drop(target: string): void {
    const metrics = this.byTarget.get(target);
    if (!metrics) return;
    for (const [metric, sets] of metrics) for (const labels of sets.values()) metric.remove(labels);
    this.byTarget.delete(target);
  }

  /** Removes the series of every target not in `keep`. */
  retain(keep: ReadonlySet<string>): void {
    for (const target of [...this.byTarget.keys()]) if (!keep.has(target)) this.drop(target);
  }

  /** Targets with series. */
  targets(): string[] {
    return [...this.byTarget.keys()];
  }
}
