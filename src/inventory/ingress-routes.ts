import { isIP } from 'node:net';
import { cidrContains, parseCidr, parseIp, type Cidr } from '../policy/cidr.js';
import type { ProbeAddress, StatusRange } from '../probers/ingress.js';

/** How an Ingress path is matched (networking.k8s.io/v1). */
export type PathType = 'Prefix' | 'Exact' | 'ImplementationSpecific';

/** Where a route sends traffic: a Service port (number or name) or another resource. */
export type RouteBackend =
  | { type: 'service'; name: string; port: number | string }
  | { type: 'resource'; apiGroup: string; kind: string; name: string };

/** Route states as counted by netprobe_ingress_routes (invalid_host routes are counted, not built). */
export type RouteState = 'probed' | 'unprobeable' | 'disabled';

/** Why a route is not probed. */
export type UnprobeableReason =
  | 'regex_path'
  | 'invalid_path'
  | 'default_backend'
  | 'no_address'
  /** The Ingress status names an address outside cluster.ingress.statusAddressCidrs. */
  | 'status_address_not_allowed';

/** Where the ingress class of a route came from. */
export type ClassSource = 'spec' | 'annotation' | 'default' | 'none';

/** What the prober needs for a route; the caller adds maxBodyBytes, trust and the no-route fingerprint. */
export interface RouteProbe {
  scheme: 'http' | 'https';
  address: ProbeAddress;
  /** Host header and TLS SNI. */
  host: string;
  path: string;
  expectStatus?: StatusRange[];
  /** False for host-less rules: they answer on the controller's default server, like the fingerprint probe. */
  detectNoRoute: boolean;
}

/** One (namespace, ingress, host, path): the unit probed and labelled in metrics. */
export interface IngressRoute {
  namespace: string;
  ingress: string;
  /** Label value: the rule host as written ("*.example.com" stays), "*" for a host-less rule or default backend. */
  host: string;
  /** Label value: the rule path ("/" when empty), "*" for the Ingress's defaultBackend. */
  path: string;
  pathType: PathType;
  backend: RouteBackend;
  /** The host is covered by a spec.tls entry, so it is probed over HTTPS. */
  tls: boolean;
  /** The Ingress has spec.tls entries at all (a host missing from them is a static problem). */
  ingressHasTls: boolean;
  ingressClass?: string;
  classSource: ClassSource;
  /** The class names an IngressClass object that exists (the legacy annotation is trusted as is). */
  classKnown: boolean;
  state: RouteState;
  reason?: UnprobeableReason;
  /** Where the probe address came from (absent when the route is not probed). */
  addressSource?: AddressSource;
  probe?: RouteProbe;
}

/** Something wrong in an Ingress that made netprobe skip or ignore part of it. */
export interface RouteIssue {
  namespace: string;
  ingress: string;
  reason:
    | 'malformed_ingress'
    | 'malformed_rule'
    | 'malformed_path'
    | 'invalid_host'
    | 'invalid_probe_path'
    | 'invalid_expect_status';
  detail: string;
}

/** Route counts by state, the values of netprobe_ingress_routes. */
export type RouteCounts = Record<RouteState | 'invalid_host', number>;

/** The routes of all Ingresses, what was skipped, and counts by state. */
export interface RouteInventory {
  routes: IngressRoute[];
  issues: RouteIssue[];
  counts: RouteCounts;
}

/** Controller addresses per IngressClass, as in cluster.ingress.controllers ("host:port"). */
export type ControllerAddresses = Record<string, { http?: string; https?: string }>;

/** Options of route discovery (from cluster.ingress). */
export interface RouteOptions {
  wildcardLabel: string;
  controllers: ControllerAddresses;
  /** Probes routes whose class names no IngressClass (or that have none), when set. */
  defaultController?: { http?: string; https?: string } | undefined;
  /** Ranges a status address must fall in to be probed (anyone who can write status chooses it). */
  statusCidrs?: readonly Cidr[];
}

/** The route options of a cluster.ingress config section. */
export function routeOptionsFrom(cfg: {
  wildcardLabel: string;
  controllers: ControllerAddresses;
  defaultController?: { http?: string; https?: string } | undefined;
  statusAddressCidrs: readonly string[];
}): RouteOptions {
  return {
    wildcardLabel: cfg.wildcardLabel,
    controllers: cfg.controllers,
    defaultController: cfg.defaultController,
    statusCidrs: cfg.statusAddressCidrs.map((c) => parseCidr(c)).filter((c): c is Cidr => c !== undefined),
  };
}

/** Static problems exported as netprobe_ingress_route_problem. */
export type RouteProblem =
  | 'backend_service_missing'
  | 'backend_port_missing'
  | 'backend_no_ready_endpoints'
  | 'tls_host_not_covered'
  | 'ingress_class_missing';

/** What the static checks need to know about a Service. */
export interface ServiceInfo {
  type?: string;
  ports: { name?: string; port: number }[];
}

/** Lookups into the cluster cache; the checks stay pure. */
export interface RouteLookups {
  service(namespace: string, name: string): ServiceInfo | undefined;
  /** Ready endpoints of the Service across its EndpointSlices (0 when none are known). */
  readyEndpoints(namespace: string, name: string): number;
}

export const ANNOTATION_PROBE = 'netprobe.io/probe';
export const ANNOTATION_PROBE_PATH = 'netprobe.io/probe-path';
export const ANNOTATION_EXPECT_STATUS = 'netprobe.io/expect-status';
const ANNOTATION_LEGACY_CLASS = 'kubernetes.io/ingress.class';
const ANNOTATION_DEFAULT_CLASS = 'ingressclass.kubernetes.io/is-default-class';

type Json = Record<string, unknown>;

/** Per-Ingress facts shared by all its routes. */
interface IngressContext {
  namespace: string;
  ingress: string;
  ingressClass?: string;
  classSource: ClassSource;
  classKnown: boolean;
  tlsHosts: string[][];
  status: { ip?: string; hostname?: string }[];
  disabled: boolean;
  probePath?: string;
  expectStatus?: StatusRange[];
}

/** Builds every route of `ingresses`; malformed objects are skipped and reported, never thrown on. */
export function buildIngressRoutes(
  ingresses: unknown[],
  ingressClasses: unknown[],
  options: RouteOptions,
): RouteInventory {
  const inv: RouteInventory = {
    routes: [],
    issues: [],
    counts: { probed: 0, unprobeable: 0, disabled: 0, invalid_host: 0 },
  };
  const classes = readIngressClasses(ingressClasses);
  for (const obj of ingresses) {
    const ctx = readIngress(obj, classes, inv.issues);
    if (ctx === undefined) continue;
    const spec = asObject(asObject(obj)?.spec) ?? {};
    readDefaultBackend(spec, ctx, options, inv);
    if (spec.rules !== undefined && !Array.isArray(spec.rules)) {
      issue(inv.issues, ctx, 'malformed_rule', 'spec.rules is not a list');
      continue;
    }
    for (const rule of (spec.rules as unknown[] | undefined) ?? []) readRule(rule, ctx, options, inv);
  }
  return inv;
}

/** Static checks of one route against the cluster cache. */
export function checkRoute(route: IngressRoute, lookups: RouteLookups): RouteProblem[] {
  const problems: RouteProblem[] = [];
  if (route.classSource === 'none' || !route.classKnown) problems.push('ingress_class_missing');
  if (route.ingressHasTls && !route.tls) problems.push('tls_host_not_covered');
  if (route.backend.type !== 'service') return problems;
  const svc = lookups.service(route.namespace, route.backend.name);
  if (svc === undefined) return [...problems, 'backend_service_missing'];
  const port = route.backend.port;
  if (!svc.ports.some((p) => (typeof port === 'number' ? p.port === port : p.name === port)))
    problems.push('backend_port_missing');
  // An ExternalName Service has no endpoints by design.
  if (svc.type !== 'ExternalName' && lookups.readyEndpoints(route.namespace, route.backend.name) === 0) {
    problems.push('backend_no_ready_endpoints');
  }
  return problems;
}

/** True when `host` is an RFC 1123 DNS name, optionally with "*" as its first label; IP literals are refused (Kubernetes refuses them too). */
export function isValidIngressHost(host: string): boolean {
  if (host.length === 0 || host.length > 253 || isIP(host) !== 0) return false;
  const labels = host.split('.');
  if (labels[0] === '*') {
    if (labels.length < 2) return false;
    labels.shift();
  }
  return labels.every((l) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l));
}

/** Parses "200-399" or "200,204,301-302"; undefined when invalid. */
export function parseExpectStatus(text: string): StatusRange[] | undefined {
  const ranges: StatusRange[] = [];
  for (const part of text.split(',')) {
    const m = /^\s*(\d{3})(?:\s*-\s*(\d{3}))?\s*$/.exec(part);
    if (m === null) return undefined;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : Number(m[2]);
    if (min < 100 || max > 599 || min > max) return undefined;
    ranges.push({ min, max });
  }
  return ranges;
}

/** True when `path` is an absolute URL path (with optional query) that cannot change scheme or host. */
export function isSafeProbePath(path: string): boolean {
  return /^\/(?!\/)[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*(\?[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*)?$/.test(path);
}

/** True when a TLS host pattern (maybe "*.example.com") covers `host` (maybe a wildcard itself). */
export function tlsHostCovers(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  if (p === h) return true;
  if (!p.startsWith('*.') || h.startsWith('*.')) return false;
  const dot = h.indexOf('.');
  return dot > 0 && h.slice(dot) === p.slice(1);
}

function readIngressClasses(items: unknown[]): { names: Set<string>; defaultClass?: string } {
  const names = new Set<string>();
  const defaults: string[] = [];
  for (const item of items) {
    const meta = asObject(asObject(item)?.metadata);
    const name = meta?.name;
    if (typeof name !== 'string' || name === '') continue;
    names.add(name);
    if (asObject(meta?.annotations)?.[ANNOTATION_DEFAULT_CLASS] === 'true') defaults.push(name);
  }
  // Several defaults is a cluster misconfiguration (admission then refuses class-less Ingresses); pick deterministically.
  defaults.sort();
  return { names, defaultClass: defaults[0] };
}

function readIngress(
  obj: unknown,
  classes: { names: Set<string>; defaultClass?: string },
  issues: RouteIssue[],
): IngressContext | undefined {
  const meta = asObject(asObject(obj)?.metadata);
  const namespace = meta?.namespace;
  const ingress = meta?.name;
  if (typeof namespace !== 'string' || typeof ingress !== 'string' || namespace === '' || ingress === '') {
    issues.push({
      namespace: typeof namespace === 'string' ? namespace : '',
      ingress: typeof ingress === 'string' ? ingress : '',
      reason: 'malformed_ingress',
      detail: 'metadata.name or metadata.namespace missing',
    });
    return undefined;
  }
  const spec = asObject(asObject(obj)?.spec);
  if (asObject(obj)?.spec !== undefined && spec === undefined) {
    issues.push({ namespace, ingress, reason: 'malformed_ingress', detail: 'spec is not an object' });
    return undefined;
  }
  const annotations = stringMap(meta?.annotations);
  const ctx: IngressContext = {
    namespace,
    ingress,
    classSource: 'none',
    classKnown: false,
    tlsHosts: readTls(spec?.tls),
    status: readStatus(obj),
    disabled: annotations[ANNOTATION_PROBE] === 'false',
  };
  resolveClass(ctx, spec?.ingressClassName, annotations[ANNOTATION_LEGACY_CLASS], classes);
  readAnnotations(ctx, annotations, issues);
  return ctx;
}

function resolveClass(
  ctx: IngressContext,
  specClass: unknown,
  legacy: string | undefined,
  classes: { names: Set<string>; defaultClass?: string },
): void {
  if (typeof specClass === 'string' && specClass !== '') {
    Object.assign(ctx, {
      ingressClass: specClass,
      classSource: 'spec',
      classKnown: classes.names.has(specClass),
    });
  } else if (legacy !== undefined && legacy !== '') {
    // Legacy annotation values name a controller, not necessarily an IngressClass object.
    Object.assign(ctx, { ingressClass: legacy, classSource: 'annotation', classKnown: true });
  } else if (classes.defaultClass !== undefined) {
    Object.assign(ctx, { ingressClass: classes.defaultClass, classSource: 'default', classKnown: true });
  }
}

function readAnnotations(
  ctx: IngressContext,
  annotations: Record<string, string>,
  issues: RouteIssue[],
): void {
  const probePath = annotations[ANNOTATION_PROBE_PATH];
  if (probePath !== undefined) {
    if (isSafeProbePath(probePath)) ctx.probePath = probePath;
    else
      issue(
        issues,
        ctx,
        'invalid_probe_path',
        `${ANNOTATION_PROBE_PATH} ${JSON.stringify(probePath)} is not an absolute path`,
      );
  }
  const expect = annotations[ANNOTATION_EXPECT_STATUS];
  if (expect !== undefined) {
    ctx.expectStatus = parseExpectStatus(expect);
    if (ctx.expectStatus === undefined)
      issue(
        issues,
        ctx,
        'invalid_expect_status',
        `${ANNOTATION_EXPECT_STATUS} ${JSON.stringify(expect)} is not like "200-399" or "200,301-302"`,
      );
  }
}

function readTls(value: unknown): string[][] {
  if (!Array.isArray(value)) return [];
  return value.map((entry) => {
    const hosts = asObject(entry)?.hosts;
    return Array.isArray(hosts) ? hosts.filter((h): h is string => typeof h === 'string') : [];
  });
}

function readStatus(obj: unknown): { ip?: string; hostname?: string }[] {
  const lb = asObject(asObject(asObject(obj)?.status)?.loadBalancer)?.ingress;
  if (!Array.isArray(lb)) return [];
  return lb.map((e) => {
    const o = asObject(e) ?? {};
    return {
      ip: typeof o.ip === 'string' ? o.ip : undefined,
      hostname: typeof o.hostname === 'string' ? o.hostname : undefined,
    };
  });
}

function readDefaultBackend(
  spec: Json,
  ctx: IngressContext,
  options: RouteOptions,
  inv: RouteInventory,
): void {
  if (spec.defaultBackend === undefined) return;
  const backend = readBackend(spec.defaultBackend);
  if (backend === undefined) {
    issue(inv.issues, ctx, 'malformed_path', 'spec.defaultBackend has neither a valid service nor resource');
    return;
  }
  // Which requests reach an Ingress's defaultBackend is controller-specific, so it is checked, not probed.
  addRoute(inv, ctx, options, {
    host: '*',
    path: '*',
    pathType: 'Prefix',
    backend,
    unprobeable: 'default_backend',
  });
}

function readRule(rule: unknown, ctx: IngressContext, options: RouteOptions, inv: RouteInventory): void {
  const r = asObject(rule);
  if (r === undefined || (r.host !== undefined && typeof r.host !== 'string')) {
    issue(inv.issues, ctx, 'malformed_rule', 'rule is not an object or its host is not a string');
    return;
  }
  const paths = asObject(r.http)?.paths;
  if (r.http !== undefined && !Array.isArray(paths)) {
    issue(inv.issues, ctx, 'malformed_rule', 'rule http.paths is not a list');
    return;
  }
  const host = typeof r.host === 'string' ? r.host : '';
  if (host !== '' && !isValidIngressHost(host)) {
    inv.counts.invalid_host += Math.max(1, (paths as unknown[] | undefined)?.length ?? 0);
    issue(inv.issues, ctx, 'invalid_host', `host ${JSON.stringify(host)} is not a DNS name`);
    return;
  }
  for (const p of (paths as unknown[] | undefined) ?? []) readPath(p, host, ctx, options, inv);
}

function readPath(
  value: unknown,
  host: string,
  ctx: IngressContext,
  options: RouteOptions,
  inv: RouteInventory,
): void {
  const p = asObject(value);
  const backend = readBackend(p?.backend);
  const rawPath = p?.path ?? '';
  const pathType = p?.pathType ?? 'ImplementationSpecific';
  if (backend === undefined || typeof rawPath !== 'string' || !isPathType(pathType)) {
    issue(
      inv.issues,
      ctx,
      'malformed_path',
      'path has no valid backend, a non-string path or an unknown pathType',
    );
    return;
  }
  const path = rawPath === '' ? '/' : rawPath;
  let unprobeable: UnprobeableReason | undefined;
  if (pathType === 'ImplementationSpecific' && /[\^$*+?()[\]{}|\\]/.test(path)) unprobeable = 'regex_path';
  else if (!isSafeProbePath(path) || path.includes('?')) unprobeable = 'invalid_path';
  addRoute(inv, ctx, options, {
    host: host === '' ? '*' : host,
    path,
    pathType,
    backend,
    unprobeable,
    hostless: host === '',
  });
}

interface RouteSeed {
  host: string;
  path: string;
  pathType: PathType;
  backend: RouteBackend;
  unprobeable?: UnprobeableReason;
  hostless?: boolean;
}

function addRoute(inv: RouteInventory, ctx: IngressContext, options: RouteOptions, seed: RouteSeed): void {
  const tls = ctx.tlsHosts.some((hosts) =>
    hosts.length === 0 ? true : !seed.hostless && hosts.some((h) => tlsHostCovers(h, seed.host)),
  );
  const route: IngressRoute = {
    namespace: ctx.namespace,
    ingress: ctx.ingress,
    host: seed.host,
    path: seed.path,
    pathType: seed.pathType,
    backend: seed.backend,
    tls,
    ingressHasTls: ctx.tlsHosts.length > 0,
    ingressClass: ctx.ingressClass,
    classSource: ctx.classSource,
    classKnown: ctx.classKnown,
    state: 'probed',
  };
  const chosen = seed.unprobeable === undefined ? probeAddress(ctx, options, tls) : undefined;
  const address = chosen?.address;
  if (chosen !== undefined) route.addressSource = chosen.source;
  if (ctx.disabled) route.state = 'disabled';
  else if (seed.unprobeable !== undefined || address === undefined)
    Object.assign(route, {
      state: 'unprobeable',
      reason: seed.unprobeable ?? (chosen?.refused ? 'status_address_not_allowed' : 'no_address'),
    });
  if (address !== undefined) route.probe = makeProbe(seed, ctx, options, { tls, address });
  inv.counts[route.state] += 1;
  inv.routes.push(route);
}

function makeProbe(
  seed: RouteSeed,
  ctx: IngressContext,
  options: RouteOptions,
  how: { tls: boolean; address: ProbeAddress },
): RouteProbe {
  let host = seed.host;
  if (seed.hostless) host = how.address.host;
  else if (host.startsWith('*.')) host = `${options.wildcardLabel}${host.slice(1)}`;
  const probe: RouteProbe = {
    scheme: how.tls ? 'https' : 'http',
    address: how.address,
    host,
    path: ctx.probePath ?? seed.path,
    detectNoRoute: seed.hostless !== true,
  };
  if (ctx.expectStatus !== undefined) probe.expectStatus = ctx.expectStatus;
  return probe;
}

/** Where a route's probe address came from, for the status page and doctor. */
export type AddressSource = 'controller' | 'status' | 'default_controller';

/** How the status page and doctor say where a probe address came from. */
export function addressSourceText(source: AddressSource | undefined): string {
  switch (source) {
    case 'controller':
      return "the class's configured controller address";
    case 'default_controller':
      return 'the configured default controller';
    case 'status':
      return 'the Ingress status, inside statusAddressCidrs';
    default:
      return 'unknown';
  }
}

/**
 * The address a route is probed through. A configured controller address for the class wins:
 * whoever can write an Ingress's status must not choose where netprobe sends requests. A status
 * address is used only for classes without one, and only inside statusCidrs (IPs; a hostname
 * cannot be checked before it is resolved, so it is refused). Routes whose class names no
 * IngressClass go through defaultController when one is configured.
 */
function probeAddress(
  ctx: IngressContext,
  options: RouteOptions,
  tls: boolean,
): { address?: ProbeAddress; source?: AddressSource; refused?: boolean } {
  const pick = (c: { http?: string; https?: string } | undefined): ProbeAddress | undefined => {
    const hostPort = tls ? c?.https : c?.http;
    return hostPort === undefined ? undefined : parseHostPort(hostPort);
  };
  const configured = ctx.ingressClass === undefined ? undefined : pick(options.controllers[ctx.ingressClass]);
  if (configured !== undefined) return { address: configured, source: 'controller' };
  let refused = false;
  for (const s of ctx.status) {
    const host = s.ip ?? s.hostname;
    if (host === undefined || host === '') continue;
    const ip = parseIp(host);
    if (ip !== undefined && (options.statusCidrs ?? []).some((c) => cidrContains(c, ip)))
      return { address: { host, port: tls ? 443 : 80 }, source: 'status' };
    refused = true;
  }
  const unserved = ctx.classSource === 'none' || !ctx.classKnown;
  const fallback = unserved ? pick(options.defaultController) : undefined;
  if (fallback !== undefined) return { address: fallback, source: 'default_controller' };
  return { refused };
}

/** Parses "host:port" or "[v6]:port". */
function parseHostPort(text: string): ProbeAddress | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  return host === undefined || port < 1 || port > 65535 ? undefined : { host, port };
}

function readBackend(value: unknown): RouteBackend | undefined {
  const b = asObject(value);
  const svc = asObject(b?.service);
  if (svc !== undefined) {
    const port = asObject(svc.port);
    const portValue = typeof port?.number === 'number' ? port.number : port?.name;
    const validPort =
      (typeof portValue === 'number' &&
        Number.isInteger(portValue) &&
        portValue >= 1 &&
        portValue <= 65535) ||
      (typeof portValue === 'string' && portValue !== '');
    if (typeof svc.name !== 'string' || svc.name === '' || !validPort) return undefined;
    return { type: 'service', name: svc.name, port: portValue };
  }
  const res = asObject(b?.resource);
  if (res === undefined || typeof res.kind !== 'string' || typeof res.name !== 'string') return undefined;
  return {
    type: 'resource',
    apiGroup: typeof res.apiGroup === 'string' ? res.apiGroup : '',
    kind: res.kind,
    name: res.name,
  };
}

function isPathType(v: unknown): v is PathType {
  return v === 'Prefix' || v === 'Exact' || v === 'ImplementationSpecific';
}

function issue(
  issues: RouteIssue[],
  ctx: { namespace: string; ingress: string },
  reason: RouteIssue['reason'],
  detail: string,
): void {
  issues.push({ namespace: ctx.namespace, ingress: ctx.ingress, reason, detail });
}

function asObject(v: unknown): Json | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(asObject(v) ?? {})) if (typeof val === 'string') out[k] = val;
  return out;
}
