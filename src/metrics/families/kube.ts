import { counter, gauge, histogram, type DefineContext } from '../define.js';

/** Health of the Kubernetes watches and size of the object cache. */
export function kubeMetrics(ctx: DefineContext) {
  // Each informer registers how stale its cache is; read at scrape time, so no timer runs for it.
  const staleness = new Map<string, () => number>();
  return {
    staleness,
    cacheAge: gauge(ctx, {
      name: 'netprobe_kube_cache_age_seconds',
      help: 'Seconds the cache of this resource may have been missing changes: since its watch failed, until a fresh list; 0 while connected.',
      labelNames: ['resource'] as const,
      role: 'both',
      collect: (g) => {
        for (const [resource, age] of staleness) g.set({ resource }, Math.round(age() * 10) / 10);
      },
    }),
    watchUp: gauge(ctx, {
      name: 'netprobe_kube_watch_up',
      help: '1 while the watch of this resource is connected and its cache synced, else 0.',
      labelNames: ['resource'] as const,
      role: 'both',
    }),
    watchRestarts: counter(ctx, {
      name: 'netprobe_kube_watch_restarts_total',
      help: 'Times the watch of this resource was restarted after an error.',
      labelNames: ['resource'] as const,
      role: 'both',
    }),
    cacheObjects: gauge(ctx, {
      name: 'netprobe_kube_cache_objects',
      help: 'Objects of this resource held in the cache (as compact projections).',
      labelNames: ['resource'] as const,
      role: 'both',
    }),
    objectsRejected: counter(ctx, {
      name: 'netprobe_kube_objects_rejected_total',
      help: 'Objects received from the API that were malformed and skipped.',
      labelNames: ['resource'] as const,
      role: 'both',
    }),
    apiserverReady: gauge(ctx, {
      name: 'netprobe_kube_apiserver_ready',
      help: "1 when the API server's last /readyz answered 200 within the timeout, else 0 (cluster role, leader).",
      labelNames: [] as const,
      role: 'cluster',
    }),
    apiserverProbes: counter(ctx, {
      name: 'netprobe_kube_apiserver_probes_total',
      help: 'Probes of the API server /readyz by result: ok, not_ready (an HTTP status other than 200), error (no answer: refused, reset, timeout).',
      labelNames: ['result'] as const,
      role: 'cluster',
    }),
    apiserverProbeDuration: histogram(ctx, {
      name: 'netprobe_kube_apiserver_probe_duration_seconds',
      help: 'Duration of the API server /readyz probe, answered or not.',
      labelNames: [] as const,
      role: 'cluster',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    }),
  };
}
