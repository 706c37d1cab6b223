/**
 * The default intervals (seconds) docs/alerts.md derives each alert's time to detect and to clear
 * from: probe intervals and timeouts as in src/config/schema.ts, scrape interval as in deploy/.
 */
export const DEFAULT_INTERVALS = {
  dnsProbe: 10,
  dnsTimeout: 2,
  pathProbe: 15,
  pathTimeout: 3,
  ingressProbe: 30,
  ingressTimeout: 5,
  scrape: 30,
} as const;

/** Worst-case seconds, at DEFAULT_INTERVALS, from a fault until the expression is true and from the fix until it is false. */
export interface Timing {
  /** Fault to expression true (without `for`). */
  trueSeconds: number;
  /** Fix to expression false (without `keep_firing_for`). */
  clearSeconds: number;
  /** How the figures follow from the intervals, for docs/alerts.md. */
  basis: string;
}

/** Seconds of a Prometheus duration such as `90s`, `2m` or `1h30m`. */
export function durationSeconds(d: string | undefined): number {
  if (d === undefined) return 0;
  const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
  const parts = [...d.matchAll(/(\d+)([smhd])/g)];
  if (parts.length === 0 || parts.map((m) => m[0]).join('') !== d) throw new Error(`not a duration: ${d}`);
  return parts.reduce((sum, m) => sum + Number(m[1]) * (units[m[2] ?? 's'] ?? 0), 0);
}

const I = DEFAULT_INTERVALS;

/** The next probe sees a fault (after its timeout), the next scrape exports it. */
export function probed(probe: number, timeout: number, what: string): Timing {
  return {
    trueSeconds: probe + timeout + I.scrape,
    clearSeconds: probe + I.scrape,
    basis: `${what} probe (${probe} s, ${timeout} s timeout) + scrape (${I.scrape} s)`,
  };
}

/** State the cluster role keeps from watches: exported at once, seen at the next scrape. */
export const WATCHED: Timing = {
  trueSeconds: I.scrape,
  clearSeconds: I.scrape,
  basis: `watch event + scrape (${I.scrape} s)`,
};

/**
 * A ratio or quantile over a `window` of rates: true at the first scrape holding bad probes, false
 * once the last of them has left the window.
 */
export function windowed(probe: number, window: string, what: string): Timing {
  return {
    trueSeconds: probe + I.scrape,
    clearSeconds: I.scrape + durationSeconds(window),
    basis: `${what} probe (${probe} s) + scrape (${I.scrape} s); clears when the bad probes leave the ${window} window`,
  };
}

/** `up` turns 0 at the first failed scrape (30 s interval, 10 s scrape timeout). */
export const SCRAPED: Timing = {
  trueSeconds: I.scrape + 10,
  clearSeconds: I.scrape,
  basis: `scrape (${I.scrape} s) + scrape timeout (10 s)`,
};

/** A loop is stalled `limit` seconds after its last run; it resumes at its next probe (at most 30 s) and scrape. */
export function stalled(limit: number): Timing {
  return {
    trueSeconds: limit,
    clearSeconds: I.ingressProbe + I.scrape,
    basis: `stall threshold (${limit} s); clears at the next run (longest default interval ${I.ingressProbe} s) + scrape`,
  };
}
