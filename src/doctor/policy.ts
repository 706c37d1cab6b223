import type { Config } from '../config/schema.js';
import { buildPlan } from '../plan/builder.js';
import type { PlanPath } from '../plan/schema.js';
import type { PolicyEngine } from '../policy/engine.js';
import { computePolicyFindings, type Finding, type FindingCode } from '../policy/findings.js';
import { convertObject, type PodInfo } from '../policy/model.js';
import { buildSnapshot, type Snapshot, type SourcedObject } from '../policy/snapshot.js';
import { compare, probePath } from '../probers/path.js';
import { expectationsFor } from '../policy/expectations.js';
import { kubectl } from './commands.js';
import { missingInput, type ClusterView } from './cluster-view.js';
import { emptyOutcome, type DoctorFinding, type DoctorSeverity, type StageOutcome } from './types.js';

/** What the policy stage needs besides the cluster. */
export interface PolicyStageOptions {
  config: Config;
  /** Count of objects the policy model refused, by resource. */
  unreadable: Record<string, number>;
}

/**
 * The policy snapshot from the listed objects, the same input `netprobe policy lint` reads from
 * files; an object the model refuses is counted and left out instead of failing the whole stage.
 */
export function snapshotFromView(view: ClusterView, unreadable: Record<string, number>): Snapshot {
  const kept: SourcedObject[] = [];
  const kinds = ['namespaces', 'pods', 'services', 'ingresses', 'networkpolicies'] as const;
  for (const resource of kinds) {
    for (const raw of view.raw[resource]) {
      try {
        convertObject(raw);
        kept.push({ raw, source: resource });
      } catch {
        unreadable[`${resource} (policy model)`] = (unreadable[`${resource} (policy model)`] ?? 0) + 1;
      }
    }
  }
  return buildSnapshot(kept);
}

const WHY: Record<FindingCode, string> = {
  'dns-egress-blocked': 'the pod cannot resolve any name: every connection it makes by name fails',
  'dns-ingress-blocked': 'the DNS pods refuse these clients: their name lookups time out',
  'ingress-backend-blocked': 'the ingress controller may not reach the backend: the route fails with 502/504',
  'unreachable-service': 'no client may connect to the Service: its pods admit nobody on its ports',
  'policy-selects-nothing': 'a policy that selects no pod protects nothing; usually a label typo',
  'namespace-without-default-deny': 'pods of the namespace accept (or send) any traffic no policy mentions',
  'dns-service-not-found':
    'the DNS checks need the DNS Service; set cluster.dnsService if it has another name',
  'ingress-controller-not-found':
    'the ingress checks need the controller pods; set cluster.policy.ingressController*',
};

const SEVERITY: Record<Finding['severity'], DoctorSeverity> = {
  error: 'critical',
  warning: 'warning',
  info: 'info',
};

function nextFor(f: Finding): string {
  const { kind, namespace, name } = f.object;
  if (kind === 'NetworkPolicy') return kubectl(namespace, 'get', 'networkpolicy', name, '-o', 'yaml');
  if (kind === 'Namespace') return kubectl(name, 'get', 'networkpolicy');
  if (f.code === 'dns-ingress-blocked') return kubectl(namespace, 'get', 'networkpolicy');
  if (f.code === 'dns-service-not-found')
    return kubectl('', 'get', 'services', '-A', '-l', 'k8s-app=kube-dns');
  if (f.code === 'ingress-controller-not-found') return kubectl('', 'get', 'pods', '-A', '-o', 'wide');
  return kubectl(namespace, 'get', 'networkpolicy', '-o', 'yaml');
}

/** A policy-engine finding as a doctor finding. */
export function fromPolicyFinding(f: Finding): DoctorFinding {
  return {
    severity: SEVERITY[f.severity],
    stage: 'policy',
    code: f.code,
    object: { ...f.object },
    problem: f.message,
    why: WHY[f.code],
    next: nextFor(f),
  };
}

function agentsOf(snapshot: Snapshot, config: Config): PodInfo[] {
  const { namespace, agentLabels } = config.cluster;
  return snapshot.pods.filter(
    (p) =>
      p.namespace === namespace &&
      p.terminal !== true &&
      Object.entries(agentLabels).every(([k, v]) => p.labels[k] === v),
  );
}

function pathObject(config: Config, path: PlanPath): DoctorFinding['object'] {
  const decl = config.cluster.paths.find((d) => d.name === path.name);
  if (decl !== undefined && 'service' in decl.to) {
    const [namespace = '', name = ''] = decl.to.service.split('/');
    return { kind: 'Service', namespace, name };
  }
  return { kind: 'DeclaredPath', namespace: '', name: path.name };
}

async function probeDeclared(path: PlanPath, config: Config): Promise<DoctorFinding[]> {
  const timeoutSeconds = config.node.paths.timeout;
  const r = await probePath(
    {
      kind: 'declared',
      address: path.address,
      port: path.port,
      protocol: path.protocol,
      check: path.check,
      ...(path.httpPayloadBytes !== undefined ? { httpPayloadBytes: path.httpPayloadBytes } : {}),
      timeoutSeconds,
    },
    AbortSignal.timeout(timeoutSeconds * 1000 + 1000),
  );
  const object = pathObject(config, path);
  const target = `${path.protocol} ${path.address}:${path.port}`;
  const seen = `${r.outcome}${r.errno === undefined ? '' : ` (${r.errno})`}`;
  const next =
    object.kind === 'Service'
      ? kubectl(
          object.namespace,
          'get',
          'endpointslices',
          '-l',
          `kubernetes.io/service-name=${object.name}`,
          '-o',
          'wide',
        )
      : kubectl('', 'get', 'networkpolicy', '-A');
  const decided = path.decidedBy === '' ? '' : ` (${path.decidedBy})`;
  switch (compare(path.expected, r.verdict)) {
    case 'blocked_but_allowed':
      return [
        {
          // Probed from where doctor runs, not from the node agents the policy verdict is for: a
          // laptop outside the cluster network sees this too. The agents' netprobe_path_reachable
          // (and NetprobePathBlocked) is the authoritative, critical signal.
          severity: 'warning',
          stage: 'policy',
          code: 'declared-path-blocked',
          object,
          problem: `declared path ${path.name} (${target}) is blocked from where doctor runs: ${seen}, although policy allows it for the node agents${decided}`,
          why: "a path the operator declared must work looks down: if doctor runs inside the cluster network, something other than NetworkPolicy (firewall, CNI, a hung backend) drops it; the node agents' netprobe_path_reachable says for sure",
          next,
        },
      ];
    case 'reachable_but_denied':
      return [
        {
          severity: 'warning',
          stage: 'policy',
          code: 'declared-path-open',
          object,
          problem: `declared path ${path.name} (${target}) is reachable (${seen}), although policy denies it${decided}`,
          why: 'the network plugin does not enforce this NetworkPolicy: traffic it should stop gets through',
          next: kubectl('', 'get', 'networkpolicy', '-A'),
        },
      ];
    default:
      return [];
  }
}

/** Declared paths (cluster.paths) with the expectation the probe plan would give them, probed from here. */
async function checkDeclaredPaths(
  view: ClusterView,
  snapshot: Snapshot,
  engine: PolicyEngine,
  config: Config,
): Promise<DoctorFinding[]> {
  if (config.cluster.paths.length === 0) return [];
  const agents = agentsOf(snapshot, config);
  const expect = expectationsFor(engine, snapshot.services, agents[0], agents);
  const plan = buildPlan(
    { services: view.services, endpointSlices: view.slices, pods: view.pods },
    config,
    expect,
  );
  const planned = plan.paths.filter((p) => p.kind === 'declared');
  const findings: DoctorFinding[] = [];
  for (const d of config.cluster.paths) {
    if (planned.some((p) => p.name === d.name) || !('service' in d.to)) continue;
    const [namespace = '', name = ''] = d.to.service.split('/');
    findings.push({
      severity: 'warning',
      stage: 'policy',
      code: 'declared-path-target-missing',
      object: { kind: 'Service', namespace, name },
      problem: `declared path ${d.name} targets Service ${d.to.service} port ${d.to.port}, which does not exist (or has no ClusterIP)`,
      why: 'the path cannot be checked, and whatever needs it cannot connect',
      next: kubectl(namespace, 'get', 'service', name, '-o', 'yaml'),
    });
  }
  const probed = await Promise.all(planned.map((p) => probeDeclared(p, config)));
  return [...findings, ...probed.flat()];
}

/** Stage 5: NetworkPolicy findings of the policy engine, then declared paths probed against their expected verdict. */
export async function checkPolicies(view: ClusterView, opts: PolicyStageOptions): Promise<StageOutcome> {
  const out = emptyOutcome();
  const missing = missingInput(view, ['namespaces', 'pods', 'services', 'ingresses', 'networkpolicies']);
  if (missing !== undefined) {
    out.skipped.push({
      stage: 'policy',
      check: 'NetworkPolicy findings and declared paths',
      reason: missing,
    });
    return out;
  }
  const cfg = opts.config.cluster;
  const snapshot = snapshotFromView(view, opts.unreadable);
  const [dnsNs = 'kube-system', dnsName = 'kube-dns'] = cfg.dnsService.split('/');
  const result = computePolicyFindings(snapshot, {
    dnsService: { namespace: dnsNs, name: dnsName },
    ...(cfg.policy.ingressControllerNamespace
      ? { controllerNamespace: cfg.policy.ingressControllerNamespace }
      : {}),
    controllerLabels: cfg.policy.ingressControllerLabels,
    engine: {
      ipBlockMatchesPods: cfg.policy.ipBlockMatchesPods,
      allowSelfTraffic: cfg.policy.allowSelfTraffic,
    },
  });
  out.findings.push(...result.findings.map(fromPolicyFinding));
  out.findings.push(...(await checkDeclaredPaths(view, snapshot, result.engine, opts.config)));
  return out;
}
