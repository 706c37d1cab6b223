/**
 * Static findings over a snapshot (lint, and the cluster role's policy metrics): DNS blocked by
 * egress policies, Ingress backends the controller may not reach, Services admitting nobody,
 * policies selecting nothing, namespaces without default-deny. Returns data; records nothing.
 */
import {
  compilePolicies,
  effectivePolicyTypes,
  type Direction,
  type EngineOptions,
  type PolicyEngine,
  type SideVerdict,
  type Verdict,
} from './engine.js';
import type { IngressInfo, PodInfo, Protocol, ServiceInfo, ServicePortInfo } from './model.js';
import { isEmptySelector } from './selector.js';
import type { Snapshot } from './snapshot.js';

/** How bad a finding is; lint exits 1 on warning or worse. */
export type Severity = 'error' | 'warning' | 'info';

/** What a finding is about. */
export type FindingCode =
  | 'dns-egress-blocked'
  | 'dns-ingress-blocked'
  | 'ingress-backend-blocked'
  | 'unreachable-service'
  | 'policy-selects-nothing'
  | 'namespace-without-default-deny'
  | 'dns-service-not-found'
  | 'ingress-controller-not-found';

/** One finding, naming the object it is about and why. */
export interface Finding {
  severity: Severity;
  code: FindingCode;
  object: { kind: string; namespace: string; name: string };
  message: string;
}

/** Where the checks look for DNS and the ingress controller, and the engine's options. */
export interface PolicyFindingsOptions {
  dnsService?: { namespace: string; name: string };
  /** Namespace of the ingress controller pods; undefined: any namespace. */
  controllerNamespace?: string;
  controllerLabels?: Record<string, string>;
  engine?: EngineOptions;
}

/** Values for the netprobe_policy_* gauges (src/metrics/families/policy.ts). */
export interface PolicyAggregates {
  dnsEgressBlockedPods: { namespace: string; value: number }[];
  ingressBackendBlocked: { namespace: string; ingress: string; service: string; value: number }[];
  unreachableService: { namespace: string; service: string; value: number }[];
  namespaceDefaultDeny: { namespace: string; direction: Direction; value: number }[];
}

/** Findings ordered by severity, and the metric aggregates. */
export interface PolicyFindings {
  findings: Finding[];
  metrics: PolicyAggregates;
  /** The engine the findings were computed with, for callers that also evaluate flows. */
  engine: PolicyEngine;
}

/** Defaults of the cluster role's config (cluster.dnsService, cluster.policy). */
export const DEFAULT_DNS_SERVICE = { namespace: 'kube-system', name: 'kube-dns' };
/** The ingress-nginx chart's label, the default controller selector. */
export const DEFAULT_CONTROLLER_LABELS: Record<string, string> = {
  'app.kubernetes.io/name': 'ingress-nginx',
};

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

function live(pods: readonly PodInfo[]): PodInfo[] {
  return pods.filter((pod) => pod.terminal !== true);
}

function podName(pod: PodInfo): string {
  return `${pod.namespace}/${pod.name}`;
}

/** Why a side denied, for messages. */
function denial(side: SideVerdict): string {
  return `${side.direction} of ${side.subject ?? '?'} is isolated by ${side.policies.join(', ')} and no rule allows it`;
}

function deniedSide(verdict: Verdict): SideVerdict {
  return verdict.egress.allowed ? verdict.ingress : verdict.egress;
}

/** The container port a Service port sends to, on one pod (named targetPorts differ per pod). */
function targetOn(pod: PodInfo, port: ServicePortInfo): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  return pod.ports.find((p) => p.name === target && p.protocol === port.protocol)?.port;
}

function servicePods(engine: PolicyEngine, svc: ServiceInfo): PodInfo[] {
  return svc.selector ? live(engine.podsMatching(svc.namespace, { matchLabels: svc.selector })) : [];
}

interface Context {
  engine: PolicyEngine;
  snapshot: Snapshot;
  options: PolicyFindingsOptions;
  findings: Finding[];
  metrics: PolicyAggregates;
}

/** Verdicts from one pod to each DNS pod over one protocol; denied only when all are. */
function dnsVerdicts(
  ctx: Context,
  pod: PodInfo,
  dns: { pods: PodInfo[]; svc: ServiceInfo },
  protocol: Protocol,
): Verdict[] {
  const port: ServicePortInfo = dns.svc.ports.find((p) => p.port === 53 && p.protocol === protocol) ?? {
    port: 53,
    protocol,
  };
  return dns.pods.flatMap((target) => {
    const number = targetOn(target, port);
    if (number === undefined) return [];
    return [
      ctx.engine.evaluate({
        from: { namespace: pod.namespace, pod: pod.name },
        to: { namespace: target.namespace, pod: target.name },
        port: number,
        protocol,
      }),
    ];
  });
}

function checkDns(ctx: Context): void {
  const ref = ctx.options.dnsService ?? DEFAULT_DNS_SERVICE;
  const blockedPerNamespace = new Map(ctx.snapshot.namespaces.map((ns) => [ns.name, 0]));
  const svc = ctx.snapshot.services.find((s) => s.namespace === ref.namespace && s.name === ref.name);
  const dnsPods = svc ? servicePods(ctx.engine, svc) : [];
  if (!svc || dnsPods.length === 0) {
    const why = svc ? 'its selector matches no running pod' : 'it is not in the snapshot';
    ctx.findings.push({
      severity: 'info',
      code: 'dns-service-not-found',
      object: { kind: 'Service', ...ref },
      message: `DNS checks skipped: ${why}`,
    });
  } else {
    const dnsKeys = new Set(dnsPods.map(podName));
    for (const pod of live(ctx.engine.pods)) {
      if (pod.hostNetwork === true || dnsKeys.has(podName(pod))) continue;
      for (const protocol of ['UDP', 'TCP'] as const) {
        const verdicts = dnsVerdicts(ctx, pod, { pods: dnsPods, svc }, protocol);
        const first = verdicts[0];
        if (!first || verdicts.some((v) => v.allowed === true)) continue;
        const egress = verdicts.every((v) => !v.egress.allowed);
        if (egress) blockedPerNamespace.set(pod.namespace, (blockedPerNamespace.get(pod.namespace) ?? 0) + 1);
        ctx.findings.push({
          severity: 'error',
          code: egress ? 'dns-egress-blocked' : 'dns-ingress-blocked',
          object: { kind: 'Pod', namespace: pod.namespace, name: pod.name },
          message: `DNS to ${ref.namespace}/${ref.name} (${protocol} 53) is denied: ${denial(deniedSide(first))}`,
        });
        break; // one finding per pod; UDP is checked first as resolvers use it first
      }
    }
  }
  ctx.metrics.dnsEgressBlockedPods = [...blockedPerNamespace].map(([namespace, value]) => ({
    namespace,
    value,
  }));
}

function controllerPods(ctx: Context): PodInfo[] {
  const labels = ctx.options.controllerLabels ?? DEFAULT_CONTROLLER_LABELS;
  const namespaces =
    ctx.options.controllerNamespace !== undefined
      ? [ctx.options.controllerNamespace]
      : ctx.snapshot.namespaces.map((ns) => ns.name);
  return live(namespaces.flatMap((ns) => ctx.engine.podsMatching(ns, { matchLabels: labels })));
}

/** The first controller pod that may reach none of the backend pods, with one denied verdict. */
function blockedController(
  ctx: Context,
  controllers: PodInfo[],
  backend: { pods: PodInfo[]; port: ServicePortInfo },
): Verdict | undefined {
  for (const controller of controllers) {
    const verdicts = backend.pods.flatMap((pod) => {
      const number = targetOn(pod, backend.port);
      if (number === undefined) return [];
      return [
        ctx.engine.evaluate({
          from: { namespace: controller.namespace, pod: controller.name },
          to: { namespace: pod.namespace, pod: pod.name },
          port: number,
          protocol: backend.port.protocol,
        }),
      ];
    });
    const first = verdicts[0];
    if (first && verdicts.every((v) => v.allowed !== true)) return first;
  }
  return undefined;
}

function checkIngressBackend(
  ctx: Context,
  ingress: IngressInfo,
  controllers: PodInfo[],
  service: string,
): void {
  const svc = ctx.snapshot.services.find((s) => s.namespace === ingress.namespace && s.name === service);
  const backends = ingress.backends.filter((b) => b.service === service);
  const ports = backends.flatMap(
    (b) => svc?.ports.find((p) => (typeof b.port === 'number' ? p.port === b.port : p.name === b.port)) ?? [],
  );
  const pods = svc ? servicePods(ctx.engine, svc) : [];
  // A missing Service, port or endpoints is the endpoint inventory's finding, not a policy one.
  if (!svc || pods.length === 0 || ports.length === 0) return;
  const blocked = ports
    .map((port) => blockedController(ctx, controllers, { pods, port }))
    .find((v) => v !== undefined);
  ctx.metrics.ingressBackendBlocked.push({
    namespace: ingress.namespace,
    ingress: ingress.name,
    service,
    value: blocked ? 1 : 0,
  });
  if (!blocked) return;
  ctx.findings.push({
    severity: 'error',
    code: 'ingress-backend-blocked',
    object: { kind: 'Ingress', namespace: ingress.namespace, name: ingress.name },
    message: `ingress controller pod ${blocked.from} may not reach any pod of Service ${svc.namespace}/${svc.name} (${blocked.port}/${blocked.protocol}): ${denial(deniedSide(blocked))}`,
  });
}

function checkIngresses(ctx: Context): void {
  if (ctx.snapshot.ingresses.length === 0) return;
  const controllers = controllerPods(ctx);
  if (controllers.length === 0) {
    const labels = Object.entries(ctx.options.controllerLabels ?? DEFAULT_CONTROLLER_LABELS)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const where = ctx.options.controllerNamespace ?? 'any namespace';
    ctx.findings.push({
      severity: 'info',
      code: 'ingress-controller-not-found',
      object: { kind: 'Pod', namespace: ctx.options.controllerNamespace ?? '', name: labels },
      message: `Ingress backend checks skipped: no pod labelled ${labels} in ${where}`,
    });
    return;
  }
  for (const ingress of ctx.snapshot.ingresses) {
    for (const service of new Set(ingress.backends.map((b) => b.service)))
      checkIngressBackend(ctx, ingress, controllers, service);
  }
}

function checkServices(ctx: Context): void {
  for (const svc of ctx.snapshot.services) {
    const pods = servicePods(ctx.engine, svc);
    if (pods.length === 0 || svc.ports.length === 0) continue;
    const admitsNobody = pods.every((pod) =>
      svc.ports.every((port) => {
        const number = targetOn(pod, port);
        return number === undefined || !ctx.engine.admitsAnySource(pod, number, port.protocol);
      }),
    );
    ctx.metrics.unreachableService.push({
      namespace: svc.namespace,
      service: svc.name,
      value: admitsNobody ? 1 : 0,
    });
    if (!admitsNobody) continue;
    ctx.findings.push({
      severity: 'warning',
      code: 'unreachable-service',
      object: { kind: 'Service', namespace: svc.namespace, name: svc.name },
      message: `all ${pods.length} pod(s) are isolated for ingress and no rule admits any source on the Service's target ports`,
    });
  }
}

function checkPolicies(ctx: Context): void {
  for (const policy of ctx.snapshot.policies) {
    if (live(ctx.engine.selectedPods(policy)).length > 0) continue;
    ctx.findings.push({
      severity: 'warning',
      code: 'policy-selects-nothing',
      object: { kind: 'NetworkPolicy', namespace: policy.namespace, name: policy.name },
      message: 'its podSelector matches no pod in its namespace',
    });
  }
}

function checkDefaultDeny(ctx: Context): void {
  const podsPerNamespace = new Map<string, number>();
  for (const pod of live(ctx.engine.pods))
    podsPerNamespace.set(pod.namespace, (podsPerNamespace.get(pod.namespace) ?? 0) + 1);
  for (const ns of ctx.snapshot.namespaces) {
    // A policy with an empty podSelector isolates every pod of the namespace, present or future.
    const covering = ctx.snapshot.policies
      .filter((p) => p.namespace === ns.name && isEmptySelector(p.podSelector))
      .flatMap(effectivePolicyTypes);
    const missing: Direction[] = [];
    for (const direction of ['ingress', 'egress'] as const) {
      const value = covering.includes(direction === 'ingress' ? 'Ingress' : 'Egress') ? 1 : 0;
      ctx.metrics.namespaceDefaultDeny.push({ namespace: ns.name, direction, value });
      if (value === 0) missing.push(direction);
    }
    if (missing.length === 0 || (podsPerNamespace.get(ns.name) ?? 0) === 0) continue;
    ctx.findings.push({
      severity: 'info',
      code: 'namespace-without-default-deny',
      object: { kind: 'Namespace', namespace: '', name: ns.name },
      message: `no policy isolates every pod for ${missing.join(' and ')}`,
    });
  }
}

function compareFindings(a: Finding, b: Finding): number {
  const keyA = `${a.code}\u0000${a.object.namespace}\u0000${a.object.name}`;
  const keyB = `${b.code}\u0000${b.object.namespace}\u0000${b.object.name}`;
  return SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || (keyA < keyB ? -1 : keyA > keyB ? 1 : 0);
}

/** Computes every policy finding and the metric aggregates over a snapshot. */
export function computePolicyFindings(
  snapshot: Snapshot,
  options: PolicyFindingsOptions = {},
): PolicyFindings {
  const engine = compilePolicies(snapshot.policies, snapshot.namespaces, snapshot.pods, options.engine);
  const metrics: PolicyAggregates = {
    dnsEgressBlockedPods: [],
    ingressBackendBlocked: [],
    unreachableService: [],
    namespaceDefaultDeny: [],
  };
  const ctx: Context = { engine, snapshot, options, findings: [], metrics };
  checkDns(ctx);
  checkIngresses(ctx);
  checkServices(ctx);
  checkPolicies(ctx);
  checkDefaultDeny(ctx);
  return { findings: ctx.findings.sort(compareFindings), metrics, engine };
}
