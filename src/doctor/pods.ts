import { selectorMatches } from '../inventory/endpoints-record.js';
import type { PodP, ServiceP } from '../kube/projections.js';
import { kubectl } from './commands.js';
import type { ClusterView } from './cluster-view.js';
import { missingInput } from './cluster-view.js';
import { emptyOutcome, type DoctorFinding, type StageOutcome } from './types.js';

/** Services whose selector matches the pod ("ns/name"), to say whose traffic a not-ready pod misses. */
function servicesOf(pod: PodP, services: readonly ServiceP[]): string[] {
  return services
    .filter(
      (s) =>
        s.metadata.namespace === pod.metadata.namespace &&
        s.selector !== null &&
        selectorMatches(s.selector, pod.metadata.labels),
    )
    .map((s) => `${s.metadata.namespace}/${s.metadata.name}`)
    .sort();
}

function podFinding(pod: PodP, code: string, problem: string, why: string): DoctorFinding {
  const { namespace, name } = pod.metadata;
  return {
    severity: 'warning',
    stage: 'pods',
    code,
    object: { kind: 'Pod', namespace, name },
    problem,
    why,
    // describe shows the readiness probe's failures and the scheduling events.
    next: kubectl(namespace, 'describe', 'pod', name),
  };
}

function trafficWhy(services: string[]): string {
  return services.length > 0
    ? `Service${services.length > 1 ? 's' : ''} ${services.join(', ')} send${services.length > 1 ? '' : 's'} it no traffic: fewer pods (or none) serve ${services.length > 1 ? 'them' : 'it'}`
    : 'no Service sends it traffic until it becomes Ready';
}

/** Stage 1: pods that should serve but are not Ready (Running but failing readiness, Pending, Unknown). */
export function checkPods(view: ClusterView): StageOutcome {
  const out = emptyOutcome();
  const missing = missingInput(view, ['pods']);
  if (missing !== undefined) {
    out.skipped.push({ stage: 'pods', check: 'pod readiness', reason: missing });
    return out;
  }
  for (const pod of view.pods) {
    // Terminating pods leave the endpoints on purpose; Succeeded/Failed pods are finished jobs.
    if (pod.terminating || pod.phase === 'Succeeded' || pod.phase === 'Failed') continue;
    const services = servicesOf(pod, view.services);
    if (pod.phase === 'Running' && !pod.ready) {
      out.findings.push(
        podFinding(
          pod,
          'pod-not-ready',
          pod.unreadyContainers.length > 0
            ? `Running but not Ready: ${pod.unreadyContainers.join(', ')} not ready (failing its readiness probe)`
            : 'Running but not Ready (failing its readiness probe)',
          trafficWhy(services),
        ),
      );
    } else if (pod.phase === 'Pending') {
      out.findings.push(
        podFinding(
          pod,
          'pod-pending',
          'Pending: not scheduled, or its containers have not started',
          trafficWhy(services),
        ),
      );
    } else if (pod.phase !== 'Running') {
      out.findings.push(
        podFinding(
          pod,
          'pod-phase-unknown',
          `in phase ${pod.phase}: the kubelet of node ${pod.nodeName || '(none)'} stopped reporting it`,
          trafficWhy(services),
        ),
      );
    }
  }
  return out;
}
