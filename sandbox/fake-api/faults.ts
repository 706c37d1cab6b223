import type { FakeStore } from './store.js';

/** Kubernetes verbs, as RBAC names them. */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** What a resource request asks for; the input of authorization and fault predicates. */
export interface RequestInfo {
  user: string;
  verb: Verb;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** Chooses the requests a fault applies to; no predicate means every resource request. */
export type RequestMatch = (req: RequestInfo) => boolean;

/** Failure injection for tests and the demo. */
export interface Faults {
  /** Ends every open watch (matching `match`) now; abrupt resets the connection instead of ending the stream. Returns how many. */
  dropWatches(opts?: { match?: RequestMatch; abrupt?: boolean }): number;
  /** Answers the next n matching requests with `status` (a Status body) instead of serving them. */
  failNext(n: number, status?: number, match?: RequestMatch): void;
  /** Holds every matching request for ms before serving it; delay(0) turns it off. */
  delay(ms: number, match?: RequestMatch): void;
  /** Drops the event history so the next watch from any earlier resourceVersion gets 410 Gone. */
  expireHistory(): void;
  /** Clears pending failures and delays. */
  reset(): void;
}

/** An open watch the faults can end. */
export interface OpenWatch {
  info: RequestInfo;
  close(abrupt: boolean): void;
}

/** The server's side of the faults: what to do with a request, and the registry of open watches. */
export interface FaultState {
  faults: Faults;
  /** The status to fail this request with, consuming one pending failure; undefined to serve it. */
  takeFailure(req: RequestInfo): number | undefined;
  delayFor(req: RequestInfo): number;
  trackWatch(watch: OpenWatch): () => void;
}

interface PendingFailure {
  left: number;
  status: number;
  match: RequestMatch | undefined;
}

/** Creates the fault controls for one fake API. */
export function createFaultState(store: FakeStore): FaultState {
  const watches = new Set<OpenWatch>();
  let failures: PendingFailure[] = [];
  let delay: { ms: number; match: RequestMatch | undefined } = { ms: 0, match: undefined };
  const applies = (match: RequestMatch | undefined, req: RequestInfo): boolean =>
    match === undefined || match(req);

  const faults: Faults = {
    dropWatches(opts = {}) {
      const chosen = [...watches].filter((w) => applies(opts.match, w.info));
      for (const w of chosen) {
        watches.delete(w);
        w.close(opts.abrupt ?? false);
      }
      return chosen.length;
    },
    failNext(n, status = 500, match) {
      if (!Number.isInteger(n) || n < 1) throw new RangeError('failNext needs a positive count');
      failures.push({ left: n, status, match });
    },
    delay(ms, match) {
      delay = { ms, match };
    },
    expireHistory: () => store.expireHistory(),
    reset() {
      failures = [];
      delay = { ms: 0, match: undefined };
    },
  };

  return {
    faults,
    takeFailure(req) {
      const hit = failures.find((f) => applies(f.match, req));
      if (hit === undefined) return undefined;
      hit.left -= 1;
      if (hit.left === 0) failures = failures.filter((f) => f !== hit);
      return hit.status;
    },
    delayFor: (req) => (delay.ms > 0 && applies(delay.match, req) ? delay.ms : 0),
    trackWatch(watch) {
      watches.add(watch);
      return () => watches.delete(watch);
    },
  };
}
