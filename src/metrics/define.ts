import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Which role exports a metric. */
export type MetricRole = 'node' | 'cluster' | 'both';

/** What the docs and cross-checks know of one metric. */
export interface MetricSpec {
  name: string;
  help: string;
  type: 'gauge' | 'counter' | 'histogram';
  labelNames: readonly string[];
  role: MetricRole;
  buckets?: readonly number[];
}

/** Where metric families register themselves: the injected registry and the list of specs. */
export interface DefineContext {
  registry: Registry;
  specs: MetricSpec[];
}

interface BaseSpec<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  role: MetricRole;
}

/** Declares a gauge on the context's registry; `collect` sets its values at each scrape. */
export function gauge<L extends string>(
  ctx: DefineContext,
  spec: BaseSpec<L> & { collect?: (g: Gauge<L>) => void },
): Gauge<L> {
  const { collect, ...doc } = spec;
  ctx.specs.push({ ...doc, type: 'gauge' });
  return new Gauge<L>({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labelNames,
    registers: [ctx.registry],
    ...(collect === undefined
      ? {}
      : {
          collect(this: Gauge<L>) {
            collect(this);
          },
        }),
  });
}

/** Declares a counter on the context's registry. */
export function counter<L extends string>(ctx: DefineContext, spec: BaseSpec<L>): Counter<L> {
  ctx.specs.push({ ...spec, type: 'counter' });
  return new Counter<L>({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labelNames,
    registers: [ctx.registry],
  });
}

/** Declares a histogram on the context's registry. */
export function histogram<L extends string>(
  ctx: DefineContext,
  spec: BaseSpec<L> & { buckets: readonly number[] },
): Histogram<L> {
  ctx.specs.push({ ...spec, type: 'histogram' });
  return new Histogram<L>({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labelNames,
    buckets: [...spec.buckets],
    registers: [ctx.registry],
  });
}

/** n buckets growing by a constant factor from `start` to `end` inclusive, rounded to 4 significant digits. */
export function exponentialRange(start: number, end: number, n: number): number[] {
  const factor = Math.pow(end / start, 1 / (n - 1));
  return Array.from({ length: n }, (_, i) => Number((start * Math.pow(factor, i)).toPrecision(4)));
}
