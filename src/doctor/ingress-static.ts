import { countEndpoints } from '../inventory/endpoints-record.js';
import {
  checkRoute,
  type IngressRoute,
  type RouteIssue,
  type RouteLookups,
  type RouteProblem,
} from '../inventory/ingress-routes.js';
import { kubectl } from './commands.js';
import type { ClusterView } from './cluster-view.js';
import { groupBy } from './services.js';
import type { DoctorFinding, DoctorSeverity } from './types.js';

/** The finding code of a route problem or issue: ingress_class_missing -> ingress-class-missing. */
function ingressCode(reason: string): string {
  return `ingress-${reason.replace(/^ingress_|_ingress$/, '').replace(/_/g, '-')}`;
}

/** "host/path" as a user would type it ("*" for host-less rules and default backends). */
export function routeText(route: IngressRoute): string {
  if (route.path === '*') return `default backend (${route.host})`;
  return `${route.host}${route.path}`;
}

/** Lookups for checkRoute from the listed Services and EndpointSlices. */
export function routeLookups(view: ClusterView): RouteLookups {
  const services = new Map(view.services.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]));
  const slices = groupBy(view.slices, (s) => `${s.metadata.namespace}/${s.serviceName}`);
  return {
    service: (ns, name) => services.get(`${ns}/${name}`),
    readyEndpoints: (ns, name) => countEndpoints(slices.get(`${ns}/${name}`) ?? []).ready,
  };
}

interface ProblemText {
  severity: DoctorSeverity;
  problem: (r: IngressRoute, backend: string) => string;
  why: string;
}

const PROBLEMS: Record<RouteProblem, ProblemText> = {
  backend_service_missing: {
    severity: 'critical',
    problem: (r, b) => `${routeText(r)} routes to Service ${b}, which does not exist`,
    why: 'requests to this path get an error from the ingress controller (usually 503) now',
  },
  backend_port_missing: {
    severity: 'critical',
    problem: (r, b) => `${routeText(r)} routes to a port that Service ${b} does not have`,
    why: 'requests to this path get an error from the ingress controller (usually 503) now',
  },
  backend_no_ready_endpoints: {
    severity: 'critical',
    problem: (r, b) => `${routeText(r)} routes to Service ${b}, which has no ready endpoint`,
    why: 'requests to this path get 503 from the ingress controller now',
  },
  tls_host_not_covered: {
    severity: 'warning',
    problem: (r) => `host ${r.host} is not listed in spec.tls although the Ingress has TLS entries`,
    why: 'HTTPS clients of this host get the controller default certificate and a name mismatch',
  },
  ingress_class_missing: {
    severity: 'warning',
    problem: (r) =>
      r.ingressClass === undefined
        ? `${routeText(r)} has no ingress class and the cluster has no default IngressClass`
        : `${routeText(r)} uses ingress class ${r.ingressClass}, which does not exist`,
    why: 'no ingress controller serves this route: its host is routed nowhere',
  },
};

function problemNext(route: IngressRoute, problem: RouteProblem, backend: string): string {
  const ns = route.namespace;
  if (problem === 'backend_service_missing') return kubectl(ns, 'get', 'services');
  if (problem === 'backend_port_missing') return kubectl(ns, 'get', 'service', backend, '-o', 'yaml');
  if (problem === 'backend_no_ready_endpoints')
    return kubectl(ns, 'get', 'endpointslices', '-l', `kubernetes.io/service-name=${backend}`, '-o', 'wide');
  if (problem === 'ingress_class_missing') return kubectl('', 'get', 'ingressclass');
  return kubectl(ns, 'get', 'ingress', route.ingress, '-o', 'yaml');
}

/** Findings of the static checks of one route (checkRoute of the Ingress inventory). */
export function staticRouteFindings(route: IngressRoute, lookups: RouteLookups): DoctorFinding[] {
  const backend =
    route.backend.type === 'service' ? route.backend.name : `${route.backend.kind} ${route.backend.name}`;
  return checkRoute(route, lookups).map((p) => ({
    severity: PROBLEMS[p].severity,
    stage: 'ingress',
    code: ingressCode(p),
    object: { kind: 'Ingress', namespace: route.namespace, name: route.ingress },
    problem: PROBLEMS[p].problem(route, backend),
    why: PROBLEMS[p].why,
    next: problemNext(route, p, backend),
  }));
}

/** Findings for the parts of an Ingress that could not be read (malformed rules, invalid hosts, bad annotations). */
export function issueFinding(issue: RouteIssue): DoctorFinding {
  const annotation = issue.reason === 'invalid_probe_path' || issue.reason === 'invalid_expect_status';
  return {
    severity: annotation ? 'info' : 'warning',
    stage: 'ingress',
    code: ingressCode(issue.reason),
    object: { kind: 'Ingress', namespace: issue.namespace, name: issue.ingress },
    problem: issue.detail,
    why: annotation
      ? 'netprobe ignores the annotation and probes the route with its defaults'
      : 'controllers skip or reject this part of the Ingress, so it routes nothing',
    next:
      issue.ingress === '' || issue.namespace === ''
        ? kubectl('', 'get', 'ingress', '-A')
        : kubectl(issue.namespace, 'get', 'ingress', issue.ingress, '-o', 'yaml'),
  };
}
