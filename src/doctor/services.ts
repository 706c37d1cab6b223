import { isCountedPod, portLabel, selectorMatches, summarizeService } from '../inventory/endpoints-record.js';
import type { EndpointSliceP, PodP, ServiceP } from '../kube/projections.js';
import { kubectl, sliceCommand } from './commands.js';
import { missingInput, type ClusterView } from './cluster-view.js';
import { emptyOutcome, type DoctorFinding, type StageOutcome } from './types.js';

/** Items grouped by a key, in their original order. */
export function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list === undefined) out.set(k, [item]);
    else list.push(item);
  }
  return out;
}

function selectorText(selector: Record<string, string>): string {
  return Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/**
 * A pod whose labels look like the selector with one value changed: the usual shape of a label
 * mismatch (app=orders vs app=orders-v2). Every selector key must be present, and the differing
 * values must share a prefix of at least 3 characters. Returns a short hint, or ''.
 */
function nearMiss(selector: Record<string, string>, pods: readonly PodP[]): string {
  const entries = Object.entries(selector);
  let best: { pod: PodP; score: number } | undefined;
  for (const pod of pods) {
    const labels = pod.metadata.labels;
    if (!entries.every(([k]) => k in labels)) continue;
    const score = Math.min(
      ...entries.map(([k, v]) => (labels[k] === v ? Infinity : commonPrefix(labels[k] ?? '', v))),
    );
    if (
      score >= Math.min(3, ...entries.map(([, v]) => v.length)) &&
      (best === undefined || score > best.score)
    )
      best = { pod, score };
  }
  if (best === undefined) return '';
  const labels = best.pod.metadata.labels;
  return `; pod ${best.pod.metadata.name} is labelled ${entries.map(([k]) => `${k}=${labels[k] ?? ''}`).join(',')}`;
}

function finding(svc: ServiceP, f: Omit<DoctorFinding, 'stage' | 'object'>): DoctorFinding {
  const { namespace, name } = svc.metadata;
  return { ...f, stage: 'services', object: { kind: 'Service', namespace, name } };
}

function checkService(svc: ServiceP, slices: EndpointSliceP[], nsPods: readonly PodP[]): DoctorFinding[] {
  const { namespace, name } = svc.metadata;
  const selector = svc.selector;
  // Without a selector the endpoints are managed by hand (or by another controller): nothing to compare.
  if (selector === null || svc.type === 'ExternalName') return [];
  const pods = nsPods.filter((p) => isCountedPod(p) && selectorMatches(selector, p.metadata.labels));
  const summary = summarizeService(svc, slices, pods);
  const out: DoctorFinding[] = [];
  const { ready, not_ready: notReady } = summary.endpoints;
  const terminating = summary.endpoints.terminating + summary.endpoints.terminating_serving;
  if (pods.length === 0) {
    // Ready endpoints that another controller wrote (a mesh, a hand-made slice) still carry traffic.
    if (ready > 0) return out;
    out.push(
      finding(svc, {
        severity: 'warning',
        code: 'service-selector-matches-nothing',
        problem: `selector ${selectorText(selector)} matches no pod${nearMiss(selector, nsPods)}`,
        why: 'the Service has no endpoints: every connection to it is refused or times out',
        next: kubectl(namespace, 'get', 'pods', '--show-labels'),
      }),
    );
    return out;
  }
  if (ready === 0) {
    const listed = notReady + terminating;
    out.push(
      finding(svc, {
        severity: 'critical',
        code: 'service-no-ready-endpoints',
        problem:
          listed > 0
            ? `${pods.length} pod(s) match its selector, none is ready (${notReady} not ready, ${terminating} terminating)`
            : `${pods.length} pod(s) match its selector, but its EndpointSlices list no endpoint`,
        why: 'every connection to the Service fails now',
        next: sliceCommand(namespace, name),
      }),
    );
  }
  for (const u of summary.unresolved) {
    if (u.value !== 1) continue;
    const port = svc.ports.find((p) => portLabel(p) === u.port);
    out.push(
      finding(svc, {
        severity: 'critical',
        code: 'service-target-port-unresolved',
        problem: `port ${u.port} targets the named port ${JSON.stringify(String(port?.targetPort ?? ''))}, which no selected pod declares`,
        why: 'the endpoints controller publishes no port for it, so connections to this Service port fail',
        next: kubectl(
          namespace,
          'get',
          'pods',
          '-l',
          selectorText(selector),
          '-o',
          'jsonpath={range .items[*]}{.metadata.name}{": "}{.spec.containers[*].ports}{"\\n"}{end}',
        ),
      }),
    );
  }
  return out;
}

/** Stage 2: each Service's selector, endpoints and named target ports (via the endpoints inventory's summary). */
export function checkServices(view: ClusterView): StageOutcome {
  const out = emptyOutcome();
  const missing = missingInput(view, ['services', 'endpointslices', 'pods']);
  if (missing !== undefined) {
    out.skipped.push({ stage: 'services', check: 'Service selectors and endpoints', reason: missing });
    return out;
  }
  const podsByNs = groupBy(view.pods, (p) => p.metadata.namespace);
  const slicesBySvc = groupBy(view.slices, (s) => `${s.metadata.namespace}/${s.serviceName}`);
  for (const svc of view.services) {
    const { namespace, name } = svc.metadata;
    out.findings.push(
      ...checkService(svc, slicesBySvc.get(`${namespace}/${name}`) ?? [], podsByNs.get(namespace) ?? []),
    );
  }
  return out;
}
