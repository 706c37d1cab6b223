/**
 * A prober is a plain function: target in, result out. It never touches the metric registry;
 * src/metrics/record.ts turns results into series. It must honour `signal` (the scheduler's hard
 * timeout) and must never throw on anything the network sends it: failures are results.
 */
export type Prober<Target, Result> = (target: Target, signal: AbortSignal) => Promise<Result>;

/** Seconds elapsed since `startNs` (from process.hrtime.bigint()). */
export function secondsSince(startNs: bigint): number {
  return Number(process.hrtime.bigint() - startNs) / 1e9;
}
