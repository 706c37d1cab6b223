/** Anything with labelled series that can be removed (prom-client Gauge, Counter, Histogram). */
interface Removable<L extends string> {
  remove(labels: Partial<Record<L, string | number>>): void;
}

interface Entry {
  remove(): void;
}

/**
 * Remembers which series each target produced, so that the series of a target that disappears
 * (a deleted Service, a replica that left the plan) can be removed: no series outlives its object.
 */
export class SeriesTracker {
  private readonly byTarget = new Map<string, Map<string, Entry>>();

  /** Records that `target` owns the series `labels` of `metric`. */
  track<L extends string>(target: string, metric: Removable<L>, labels: Record<L, string>): void {
    let entries = this.byTarget.get(target);
    if (!entries) {
      entries = new Map();
      this.byTarget.set(target, entries);
    }
    const key = `${metricId(metric)}${JSON.stringify(labels)}`;
    if (!entries.has(key)) entries.set(key, { remove: () => metric.remove(labels) });
  }

  /** Removes every series of one target. */
  drop(target: string): void {
    const entries = this.byTarget.get(target);
    if (!entries) return;
    for (const e of entries.values()) e.remove();
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

const ids = new WeakMap<object, number>();
let nextId = 0;
function metricId(metric: object): number {
  let id = ids.get(metric);
  if (id === undefined) {
    id = nextId++;
    ids.set(metric, id);
  }
  return id;
}
