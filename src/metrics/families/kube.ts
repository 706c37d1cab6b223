import { counter, gauge, type DefineContext } from '../define.js';

/** Health of the Kubernetes watches and size of the object cache. */
export function kubeMetrics(ctx: DefineContext) {
  return {
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
  };
}
