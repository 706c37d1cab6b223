// What the policy engine expects of the plan's paths (allow, deny, mixed, unknown) and why, for
// the cluster role's plan and for doctor's declared-path checks.
import type { Expectation, ExpectFn, PathQuery } from '../plan/builder.js';
import type { PolicyEngine, Verdict } from './engine.js';
import type { PodInfo, Protocol } from './model.js';
import type { Snapshot } from './snapshot.js';

/**
 * Kubernetes leaves NetworkPolicy behaviour for hostNetwork pods undefined ("it should be limited
 * to 2 possibilities"), so a path from one has no expected verdict.
 */
const HOST_NETWORK_UNDEFINED =
  'the node agent runs in the host network, where NetworkPolicy behaviour is undefined';

function describe(v: Verdict): string {
  const by = [...v.egress.allowedBy, ...v.ingress.allowedBy].map((m) => m.policy);
  if (v.status === 'allowed')
    return by.length > 0 ? `allowed by ${[...new Set(by)].join(', ')}` : 'no policy isolates either end';
  const side = !v.egress.allowed ? v.egress : v.ingress;
  return v.status === 'denied'
    ? `${side.direction} isolated by ${side.policies.join(', ')}; no rule allows`
    : (v.reason ?? 'unknown');
}

/** Combines the verdicts for every backend of a path into one expectation. */
function combine(verdicts: Verdict[]): Expectation {
  if (verdicts.length === 0) return { expected: 'unknown', decidedBy: 'no backend pods to evaluate' };
  if (verdicts.some((v) => v.status === 'unknown'))
    return {
      expected: 'unknown',
      decidedBy: describe(verdicts.find((v) => v.status === 'unknown') ?? (verdicts[0] as Verdict)),
    };
  const allowed = verdicts.filter((v) => v.status === 'allowed');
  if (allowed.length === verdicts.length)
    return { expected: 'allow', decidedBy: describe(allowed[0] as Verdict).slice(0, 300) };
  if (allowed.length === 0)
    return { expected: 'deny', decidedBy: describe(verdicts[0] as Verdict).slice(0, 300) };
  return { expected: 'mixed', decidedBy: `${allowed.length} of ${verdicts.length} backends allowed` };
}

/**
 * The expectation function of the plan builder: asks the engine what the node agents (their
 * namespace and labels, as pod `source`) may reach.
 */
export function expectationsFor(
  engine: PolicyEngine,
  services: Snapshot['services'],
  source: PodInfo | undefined,
  agents: PodInfo[],
): ExpectFn {
  return (q: PathQuery): Expectation => {
    if (!source) return { expected: 'unknown', decidedBy: 'no node agent pod found' };
    if (source.hostNetwork === true) return { expected: 'unknown', decidedBy: HOST_NETWORK_UNDEFINED };
    const from = { namespace: source.namespace, pod: source.name };
    const protocol = q.protocol as Protocol;
    if (q.kind === 'neighbour' || q.kind === 'sentinel') {
      // Host-network peers are skipped: which policies see their traffic depends on the CNI.
      const peers = agents.filter((a) => a.name !== source.name && a.hostNetwork !== true);
      return combine(
        peers.map((p) =>
          engine.evaluate({ from, to: { namespace: p.namespace, pod: p.name }, port: q.port, protocol }),
        ),
      );
    }
    if (q.service) {
      const ref = q.service;
      const svc = services.find((s) => s.namespace === ref.namespace && s.name === ref.name);
      const backends = svc ? servicePods(engine, svc, q.port, protocol) : [];
      if (backends.length > 0) {
        return combine(
          backends.map((b) =>
            engine.evaluate({
              from,
              to: { namespace: b.pod.namespace, pod: b.pod.name },
              port: b.port ?? q.port,
              protocol,
            }),
          ),
        );
      }
    }
    return combine([engine.evaluate({ from, to: { ip: q.address }, port: q.port, protocol })]);
  };
}

/** The pods behind a Service, with the target port of the Service port the path uses. */
function servicePods(
  engine: PolicyEngine,
  svc: Snapshot['services'][number],
  servicePort: number,
  protocol: Protocol,
): Array<{ pod: PodInfo; port?: number | string }> {
  if (!svc.selector) return [];
  const pods = engine.podsMatching(svc.namespace, { matchLabels: svc.selector }).filter((p) => !p.terminal);
  // Policies see the pod's port, so map the Service port the path dials to its targetPort.
  const target = svc.ports.find((p) => p.port === servicePort && p.protocol === protocol)?.targetPort;
  return pods.map((pod) => ({ pod, ...(target !== undefined ? { port: target } : {}) }));
}
