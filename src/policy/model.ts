/**
 * The policy engine's own input types, and their conversion from raw Kubernetes objects as
 * `kubectl get -o yaml|json` prints them. The engine never sees client-node types.
 */
import { z } from 'zod';
import { servingContainers } from '../kube/projections.js';
import { parseCidr, parseIp, cidrWithin } from './cidr.js';

/** Transport protocols a NetworkPolicy port may name. */
export type Protocol = 'TCP' | 'UDP' | 'SCTP';
/** The protocols in the order the API lists them. */
export const PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP'];

/** Label map of an object. */
export type Labels = Readonly<Record<string, string>>;

/** One matchExpressions requirement. */
export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

/** metav1.LabelSelector: matchLabels AND matchExpressions; empty matches everything. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** A namespace with its labels. */
export interface NamespaceInfo {
  name: string;
  labels: Labels;
}

/** A container port a pod declares (the target of named ports). */
export interface ContainerPortInfo {
  name?: string;
  port: number;
  protocol: Protocol;
}

/** A pod as the engine needs it. */
export interface PodInfo {
  namespace: string;
  name: string;
  labels: Labels;
  ips: string[];
  ports: ContainerPortInfo[];
  phase?: string;
  /** Succeeded or Failed: the pod runs nothing and its IP may be reused. */
  terminal?: boolean;
  /** Host-network pods are outside NetworkPolicy (their traffic is the node's). */
  hostNetwork?: boolean;
}

/** networking.k8s.io/v1 IPBlock. */
export interface IpBlock {
  cidr: string;
  except?: string[];
}

/** networking.k8s.io/v1 NetworkPolicyPeer. */
export interface PolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: IpBlock;
}

/** networking.k8s.io/v1 NetworkPolicyPort (protocol defaults to TCP). */
export interface PolicyPort {
  protocol?: Protocol;
  port?: number | string;
  endPort?: number;
}

/** networking.k8s.io/v1 NetworkPolicyIngressRule. */
export interface IngressRule {
  from?: PolicyPeer[];
  ports?: PolicyPort[];
}

/** networking.k8s.io/v1 NetworkPolicyEgressRule. */
export interface EgressRule {
  to?: PolicyPeer[];
  ports?: PolicyPort[];
}

/** Direction named by policyTypes. */
export type PolicyType = 'Ingress' | 'Egress';

/** A faithful projection of a NetworkPolicy (metadata + spec). */
export interface PolicyInfo {
  namespace: string;
  name: string;
  podSelector: LabelSelector;
  policyTypes?: PolicyType[];
  ingress?: IngressRule[];
  egress?: EgressRule[];
}

/** A Service port (targetPort may be a container port name). */
export interface ServicePortInfo {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol: Protocol;
}

/** A Service; selector undefined for Services without one (manual endpoints, ExternalName). */
export interface ServiceInfo {
  namespace: string;
  name: string;
  selector?: Record<string, string>;
  ports: ServicePortInfo[];
}

/** One backend an Ingress routes to. */
export interface IngressBackendInfo {
  service: string;
  port?: number | string;
  host?: string;
  path?: string;
}

/** An Ingress reduced to its backend Services. */
export interface IngressInfo {
  namespace: string;
  name: string;
  backends: IngressBackendInfo[];
}

/** A converted object of a kind the engine or the linter uses. */
export type ConvertedObject =
  | { kind: 'Namespace'; value: NamespaceInfo }
  | { kind: 'Pod'; value: PodInfo }
  | { kind: 'NetworkPolicy'; value: PolicyInfo }
  | { kind: 'Service'; value: ServiceInfo }
  | { kind: 'Ingress'; value: IngressInfo };

/** Malformed input, naming the file (when known), the object and the field. */
export class PolicyInputError extends Error {
  constructor(
    readonly object: string,
    readonly field: string,
    readonly detail: string,
    readonly source?: string,
  ) {
    const where = [source, object, field].filter((part) => part !== undefined && part !== '').join(': ');
    super(`${where}: ${detail}`);
    this.name = 'PolicyInputError';
  }

  /** The same error with the file it came from. */
  withSource(source: string): PolicyInputError {
    return new PolicyInputError(this.object, this.field, this.detail, source);
  }
}

// ---- raw schemas: only the fields we read; unknown fields are ignored (kubectl prints many).

const labelMap = z.record(z.string(), z.string());
const protocol = z.enum(['TCP', 'UDP', 'SCTP']);
const portNumber = z.number().int().min(1).max(65535);
// IANA_SVC_NAME as the API validates port names: lowercase alphanumerics and '-', with a letter.
const portName = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/, 'invalid port name (IANA_SVC_NAME)')
  .refine((name) => /[a-z]/.test(name) && !name.includes('--'), 'invalid port name (IANA_SVC_NAME)');
const intOrName = z.union([portNumber, portName]);

const selector = z.object({
  matchLabels: labelMap.nullish(),
  matchExpressions: z
    .array(
      z
        .object({
          key: z.string().min(1),
          operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
          values: z.array(z.string()).nullish(),
        })
        .superRefine((req, ctx) => {
          const count = req.values?.length ?? 0;
          const needsValues = req.operator === 'In' || req.operator === 'NotIn';
          if (needsValues && count === 0)
            ctx.addIssue({ code: 'custom', message: `operator ${req.operator} requires values` });
          if (!needsValues && count > 0)
            ctx.addIssue({ code: 'custom', message: `operator ${req.operator} takes no values` });
        }),
    )
    .nullish(),
});

const cidrText = z.string().refine((text) => parseCidr(text) !== undefined, { message: 'invalid CIDR' });
const ipBlock = z
  .object({ cidr: cidrText, except: z.array(cidrText).nullish() })
  .superRefine((block, ctx) => {
    const outer = parseCidr(block.cidr);
    (block.except ?? []).forEach((text, i) => {
      const inner = parseCidr(text);
      if (outer && inner && !cidrWithin(inner, outer)) {
        ctx.addIssue({
          code: 'custom',
          path: ['except', i],
          message: `${text} is outside cidr ${block.cidr}`,
        });
      }
    });
  });

const peer = z
  .object({
    podSelector: selector.nullish(),
    namespaceSelector: selector.nullish(),
    ipBlock: ipBlock.nullish(),
  })
  .superRefine((p, ctx) => {
    const selectors = p.podSelector != null || p.namespaceSelector != null;
    if (p.ipBlock != null && selectors)
      ctx.addIssue({
        code: 'custom',
        message: 'ipBlock may not be combined with podSelector or namespaceSelector',
      });
    if (p.ipBlock == null && !selectors)
      ctx.addIssue({
        code: 'custom',
        message: 'must specify a peer (podSelector, namespaceSelector or ipBlock)',
      });
  });

const policyPort = z
  .object({ protocol: protocol.nullish(), port: intOrName.nullish(), endPort: portNumber.nullish() })
  .superRefine((p, ctx) => {
    if (p.endPort == null) return;
    if (typeof p.port !== 'number')
      ctx.addIssue({ code: 'custom', path: ['endPort'], message: 'endPort requires a numeric port' });
    else if (p.endPort < p.port)
      ctx.addIssue({
        code: 'custom',
        path: ['endPort'],
        message: 'endPort must be equal to or greater than port',
      });
  });

// Object names as the API server validates them (k8s.io/apimachinery validation): a DNS-1123
// subdomain for most kinds, a DNS-1123 label for namespaces. A name outside these never came from a
// cluster, and refusing it keeps markup and control bytes out of every report.
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const subdomainName = z.string().refine((v) => v.length <= 253 && DNS1123_SUBDOMAIN.test(v), {
  error: (iss) =>
    `expected a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', at most 253), got ${JSON.stringify(iss.input)}`,
});
const labelName = z.string().refine((v) => v.length <= 63 && DNS1123_LABEL.test(v), {
  error: (iss) =>
    `expected a DNS-1123 label (lowercase letters, digits and '-', at most 63), got ${JSON.stringify(iss.input)}`,
});

const metadata = z.object({
  name: subdomainName,
  namespace: labelName.nullish(),
  labels: labelMap.nullish(),
});

const policySchema = z.object({
  metadata,
  spec: z.object({
    podSelector: selector.nullish(),
    policyTypes: z.array(z.enum(['Ingress', 'Egress'])).nullish(),
    ingress: z
      .array(z.object({ from: z.array(peer).nullish(), ports: z.array(policyPort).nullish() }))
      .nullish(),
    egress: z
      .array(z.object({ to: z.array(peer).nullish(), ports: z.array(policyPort).nullish() }))
      .nullish(),
  }),
});

const containerList = z
  .array(
    z.object({
      restartPolicy: z.string().nullish(),
      ports: z
        .array(
          z.object({ name: portName.nullish(), containerPort: portNumber, protocol: protocol.nullish() }),
        )
        .nullish(),
    }),
  )
  .nullish();

const podSchema = z.object({
  metadata,
  spec: z
    .object({ containers: containerList, initContainers: containerList, hostNetwork: z.boolean().nullish() })
    .nullish(),
  status: z
    .object({
      phase: z.string().nullish(),
      podIP: z.string().nullish(),
      podIPs: z.array(z.object({ ip: z.string() })).nullish(),
    })
    .nullish(),
});

const serviceSchema = z.object({
  metadata,
  spec: z
    .object({
      selector: labelMap.nullish(),
      ports: z
        .array(
          z.object({
            name: z.string().nullish(),
            port: portNumber,
            targetPort: intOrName.nullish(),
            protocol: protocol.nullish(),
          }),
        )
        .nullish(),
    })
    .nullish(),
});

const backendSchema = z
  .object({
    service: z
      .object({
        name: z.string().min(1),
        port: z.object({ number: portNumber.nullish(), name: z.string().nullish() }).nullish(),
      })
      .nullish(),
  })
  .nullish();

const ingressSchema = z.object({
  metadata,
  spec: z
    .object({
      defaultBackend: backendSchema,
      rules: z
        .array(
          z.object({
            host: z.string().nullish(),
            http: z
              .object({ paths: z.array(z.object({ path: z.string().nullish(), backend: backendSchema })) })
              .nullish(),
          }),
        )
        .nullish(),
    })
    .nullish(),
});

const namespaceSchema = z.object({ metadata: metadata.extend({ name: labelName }) });

// ---- conversion

type Raw = Record<string, unknown>;

function isRecord(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, key) =>
      typeof key === 'number' ? `${acc}[${key}]` : acc === '' ? String(key) : `${acc}.${String(key)}`,
    '',
  );
}

/** "Kind ns/name" (or "Kind name") for messages, as far as the raw object allows. */
export function describeRawObject(raw: unknown, index?: number): string {
  if (!isRecord(raw)) return index === undefined ? 'object' : `object #${index + 1}`;
  const kind = typeof raw.kind === 'string' ? raw.kind : 'object';
  const meta = isRecord(raw.metadata) ? raw.metadata : {};
  // Quoted when not a plain name: the object may be rejected for the very characters in it.
  const shown = (v: unknown): string | undefined =>
    typeof v !== 'string' ? undefined : DNS1123_SUBDOMAIN.test(v) ? v : JSON.stringify(v);
  const name = shown(meta.name);
  const ns = shown(meta.namespace);
  if (name === undefined) return index === undefined ? kind : `${kind} #${index + 1}`;
  return ns === undefined ? `${kind} ${name}` : `${kind} ${ns}/${name}`;
}

function parseWith<T>(schema: z.ZodType<T>, raw: unknown, object: string): T {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new PolicyInputError(object, formatPath(issue?.path ?? []), issue?.message ?? 'invalid');
}

function clean<T>(value: T | null | undefined): T | undefined {
  return value ?? undefined;
}

function cleanSelector(sel: z.output<typeof selector> | null | undefined): LabelSelector {
  const out: LabelSelector = {};
  if (sel?.matchLabels) out.matchLabels = sel.matchLabels;
  if (sel?.matchExpressions) {
    out.matchExpressions = sel.matchExpressions.map((req) => ({
      key: req.key,
      operator: req.operator,
      ...(req.values ? { values: req.values } : {}),
    }));
  }
  return out;
}

function cleanPeer(p: z.output<typeof peer>): PolicyPeer {
  const out: PolicyPeer = {};
  if (p.podSelector != null) out.podSelector = cleanSelector(p.podSelector);
  if (p.namespaceSelector != null) out.namespaceSelector = cleanSelector(p.namespaceSelector);
  if (p.ipBlock != null)
    out.ipBlock = { cidr: p.ipBlock.cidr, ...(p.ipBlock.except ? { except: p.ipBlock.except } : {}) };
  return out;
}

function cleanPorts(ports: z.output<typeof policyPort>[] | null | undefined): PolicyPort[] | undefined {
  return ports?.map((p) => {
    const out: PolicyPort = {};
    if (p.protocol != null) out.protocol = p.protocol;
    if (p.port != null) out.port = p.port;
    if (p.endPort != null) out.endPort = p.endPort;
    return out;
  });
}

function namespaceOf(meta: z.output<typeof metadata>): string {
  // Objects written by hand (docs examples) often omit it; kubectl applies them to "default".
  return meta.namespace ?? 'default';
}

/** Converts a raw NetworkPolicy; throws PolicyInputError naming the object. */
export function toPolicyInfo(raw: unknown): PolicyInfo {
  const obj = parseWith(policySchema, raw, describeRawObject(raw));
  const spec = obj.spec;
  const out: PolicyInfo = {
    namespace: namespaceOf(obj.metadata),
    name: obj.metadata.name,
    podSelector: cleanSelector(spec.podSelector),
  };
  if (spec.policyTypes) out.policyTypes = spec.policyTypes;
  if (spec.ingress)
    out.ingress = spec.ingress.map((r) => ({
      ...(r.from ? { from: r.from.map(cleanPeer) } : {}),
      ...(r.ports ? { ports: cleanPorts(r.ports) } : {}),
    }));
  if (spec.egress)
    out.egress = spec.egress.map((r) => ({
      ...(r.to ? { to: r.to.map(cleanPeer) } : {}),
      ...(r.ports ? { ports: cleanPorts(r.ports) } : {}),
    }));
  return out;
}

function podIps(status: z.output<typeof podSchema>['status'], object: string): string[] {
  const ips = new Set<string>();
  if (status?.podIP) ips.add(status.podIP);
  for (const entry of status?.podIPs ?? []) ips.add(entry.ip);
  for (const ip of ips) {
    if (parseIp(ip) === undefined)
      throw new PolicyInputError(object, 'status.podIPs', `invalid IP ${JSON.stringify(ip)}`);
  }
  return [...ips];
}

/** Converts a raw Pod; throws PolicyInputError naming the object. */
export function toPodInfo(raw: unknown): PodInfo {
  const object = describeRawObject(raw);
  const obj = parseWith(podSchema, raw, object);
  const containers = servingContainers(obj.spec?.containers ?? [], obj.spec?.initContainers ?? []);
  const ports = containers.flatMap((c) =>
    (c.ports ?? []).map((p): ContainerPortInfo => ({
      ...(p.name ? { name: p.name } : {}),
      port: p.containerPort,
      protocol: p.protocol ?? 'TCP',
    })),
  );
  const phase = clean(obj.status?.phase);
  const out: PodInfo = {
    namespace: namespaceOf(obj.metadata),
    name: obj.metadata.name,
    labels: obj.metadata.labels ?? {},
    ips: podIps(obj.status, object),
    ports,
  };
  if (phase !== undefined) out.phase = phase;
  if (phase === 'Succeeded' || phase === 'Failed') out.terminal = true;
  if (obj.spec?.hostNetwork === true) out.hostNetwork = true;
  return out;
}

/** Converts a raw Namespace; the API server always sets kubernetes.io/metadata.name, so we do too. */
export function toNamespaceInfo(raw: unknown): NamespaceInfo {
  const obj = parseWith(namespaceSchema, raw, describeRawObject(raw));
  return {
    name: obj.metadata.name,
    labels: { ...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name },
  };
}

/** A namespace that is referenced but not listed, labelled as the API server would label it. */
export function defaultNamespace(name: string): NamespaceInfo {
  return { name, labels: { 'kubernetes.io/metadata.name': name } };
}

/** Converts a raw Service; throws PolicyInputError naming the object. */
export function toServiceInfo(raw: unknown): ServiceInfo {
  const obj = parseWith(serviceSchema, raw, describeRawObject(raw));
  const ports = (obj.spec?.ports ?? []).map((p): ServicePortInfo => ({
    ...(p.name ? { name: p.name } : {}),
    port: p.port,
    ...(p.targetPort != null ? { targetPort: p.targetPort } : {}),
    protocol: p.protocol ?? 'TCP',
  }));
  const selector = obj.spec?.selector;
  return {
    namespace: namespaceOf(obj.metadata),
    name: obj.metadata.name,
    ...(selector && Object.keys(selector).length > 0 ? { selector } : {}),
    ports,
  };
}

function toBackend(
  backend: z.output<typeof backendSchema>,
  host?: string,
  path?: string,
): IngressBackendInfo[] {
  const service = backend?.service;
  if (!service) return []; // resource backends are not Services
  const port = service.port?.number ?? service.port?.name ?? undefined;
  return [
    {
      service: service.name,
      ...(port !== undefined ? { port } : {}),
      ...(host ? { host } : {}),
      ...(path ? { path } : {}),
    },
  ];
}

/** Converts a raw Ingress (networking.k8s.io/v1) to its backend Services. */
export function toIngressInfo(raw: unknown): IngressInfo {
  const obj = parseWith(ingressSchema, raw, describeRawObject(raw));
  const backends = [
    ...toBackend(obj.spec?.defaultBackend),
    ...(obj.spec?.rules ?? []).flatMap((rule) =>
      (rule.http?.paths ?? []).flatMap((p) => toBackend(p.backend, clean(rule.host), clean(p.path))),
    ),
  ];
  return { namespace: namespaceOf(obj.metadata), name: obj.metadata.name, backends };
}

/** Converts one raw object of a used kind; undefined for kinds the engine ignores. */
export function convertObject(raw: unknown): ConvertedObject | undefined {
  if (!isRecord(raw)) throw new PolicyInputError(describeRawObject(raw), '', 'expected a Kubernetes object');
  switch (raw.kind) {
    case 'Namespace':
      return { kind: 'Namespace', value: toNamespaceInfo(raw) };
    case 'Pod':
      return { kind: 'Pod', value: toPodInfo(raw) };
    case 'NetworkPolicy':
      return { kind: 'NetworkPolicy', value: toPolicyInfo(raw) };
    case 'Service':
      return { kind: 'Service', value: toServiceInfo(raw) };
    case 'Ingress':
      return { kind: 'Ingress', value: toIngressInfo(raw) };
    default:
      if (typeof raw.kind !== 'string')
        throw new PolicyInputError(describeRawObject(raw), 'kind', 'missing kind');
      return undefined;
  }
}
