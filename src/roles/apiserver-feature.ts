import type { KubeConfig } from '@kubernetes/client-node';
import { kubeExchange } from '../kube/rest.js';
import { ApiserverRecorder, type ApiserverResult, type ApiserverTarget } from '../metrics/record.js';
import { TargetSet } from '../runner/targets.js';
import type { ClusterContext, ClusterFeature } from './cluster.js';

/** Every 10 s, each answer within 5 s: the API server's own readiness, as the kubelet would probe it. */
const INTERVAL_SECONDS = 10;
const TIMEOUT_SECONDS = 5;
/** /readyz answers "ok" or a list of failed checks: a few KiB at most. */
const MAX_BYTES = 64 * 1024;

/** One GET /readyz with the role's credentials; never throws. */
export async function probeReadyz(
  kc: KubeConfig,
  signal: AbortSignal,
  timeoutSeconds = TIMEOUT_SECONDS,
): Promise<ApiserverResult> {
  const started = performance.now();
  const seconds = (): number => (performance.now() - started) / 1000;
  const deadlineMs = timeoutSeconds * 1000;
  try {
    const aborted = new Promise<never>((_, reject) => {
      signal.addEventListener('abort', () => reject(new Error('probe timeout')), { once: true });
    });
    const r = await Promise.race([
      kubeExchange(kc, '/readyz', { maxBytes: MAX_BYTES, deadlineMs, timeoutMs: deadlineMs }),
      aborted,
    ]);
    const detail = `HTTP ${r.status} ${r.text.trim().split('\n').slice(-1)[0] ?? ''}`.trim();
    return {
      result: r.status === 200 ? 'ok' : 'not_ready',
      status: r.status,
      durationSeconds: seconds(),
      detail,
    };
  } catch (err) {
    return { result: 'error', status: 0, durationSeconds: seconds(), detail: (err as Error).message };
  }
}

/**
 * Probes the API server's /readyz from the cluster role (leader only, like every feature): the
 * smallest target kind, and the worked example of docs/architecture.md.
 */
export function createApiserverFeature(
  ctx: ClusterContext,
  timing = { intervalSeconds: INTERVAL_SECONDS, timeoutSeconds: TIMEOUT_SECONDS },
): ClusterFeature {
  const recorder = new ApiserverRecorder(ctx.rt.metrics.kube, ctx.rt.history);
  const targets = new TargetSet<ApiserverTarget, ApiserverResult>('apiserver', ctx.rt.scheduler, recorder);
  return {
    name: 'apiserver',
    start: () => {
      targets.set([
        {
          key: 'readyz',
          where: ctx.kc.getCurrentCluster()?.server ?? '',
          intervalSeconds: timing.intervalSeconds,
          timeoutSeconds: timing.timeoutSeconds + 1,
          probe: (signal) => probeReadyz(ctx.kc, signal, timing.timeoutSeconds),
        },
      ]);
    },
    status: () => ({ server: ctx.kc.getCurrentCluster()?.server ?? null }),
    stop: () => targets.clear(),
  };
}
