import { addressSourceText, type IngressRoute, type RouteProbe } from '../inventory/ingress-routes.js';
import { DEFAULT_RULE_PARAMS } from '../pack/rules.js';
import {
  classify,
  fingerprintDefaultBackend,
  probeIngressRoute,
  type IngressProbeResult,
  type IngressTrust,
  type TlsInfo,
} from '../probers/ingress.js';
import { kubectl } from './commands.js';
import type { DoctorFinding, DoctorSeverity } from './types.js';
import { joinHostPort } from '../net/address.js';

/** How routes are probed live (from cluster.ingress of the config). */
export interface LiveProbeOptions {
  timeoutSeconds: number;
  maxBodyBytes: number;
  trust: IngressTrust;
  /** Unix ms; injectable so that certificate ages can be tested. */
  now: number;
  /** Routes whose static check already found the backend missing: their 503 has the same cause. */
  hasStaticBackendProblem: (route: IngressRoute) => boolean;
  concurrency?: number;
}

const DAY_SECONDS = 86_400;

/** Runs fn over items with at most `limit` in flight, keeping the order of results. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function controllerKey(p: RouteProbe): string {
  return `${p.scheme}://${joinHostPort(p.address.host, p.address.port)}`;
}

function routeFinding(
  route: IngressRoute,
  severity: DoctorSeverity,
  f: { code: string; problem: string; why: string; next?: string },
): DoctorFinding {
  return {
    severity,
    stage: 'ingress',
    code: f.code,
    object: { kind: 'Ingress', namespace: route.namespace, name: route.ingress },
    problem: f.problem,
    why: f.why,
    next: f.next ?? kubectl(route.namespace, 'describe', 'ingress', route.ingress),
  };
}

/** Certificate findings: wrong host name, untrusted chain, expired or expiring soon. */
export function certFindings(route: IngressRoute, tls: TlsInfo, nowMs: number): DoctorFinding[] {
  const out: DoctorFinding[] = [];
  const host = route.probe?.host ?? route.host;
  const secret = kubectl(route.namespace, 'get', 'ingress', route.ingress, '-o', 'jsonpath={.spec.tls}');
  const subject = tls.subject === undefined ? '' : ` (subject ${tls.subject.replace(/\n/g, ', ')})`;
  const days = (tls.notAfter - nowMs / 1000) / DAY_SECONDS;
  if (days <= 0) {
    out.push(
      routeFinding(route, 'critical', {
        code: 'ingress-cert-expired',
        problem: `the certificate served for ${host} expired ${Math.ceil(-days)} day(s) ago`,
        why: 'browsers and most clients refuse the connection now',
        next: secret,
      }),
    );
  } else if (days < DEFAULT_RULE_PARAMS.tlsExpiryWarningDays) {
    const critical = days < DEFAULT_RULE_PARAMS.tlsExpiryCriticalDays;
    out.push(
      routeFinding(route, critical ? 'critical' : 'warning', {
        code: 'ingress-cert-expiring',
        problem: `the certificate served for ${host} expires in ${days >= 1 ? `${Math.round(days)} day(s)` : `${Math.max(1, Math.round(days * 24))} hour(s)`}`,
        why: `clients will refuse the connection once it expires (warning under ${DEFAULT_RULE_PARAMS.tlsExpiryWarningDays} days, critical under ${DEFAULT_RULE_PARAMS.tlsExpiryCriticalDays})`,
        next: secret,
      }),
    );
  }
  if (!tls.hostnameMatch) {
    out.push(
      routeFinding(route, 'critical', {
        code: 'ingress-cert-wrong-host',
        problem: `the certificate served for ${host} does not name that host${subject}`,
        why: 'browsers and most clients refuse the connection now (name mismatch)',
        next: secret,
      }),
    );
  } else if (!tls.verified && days > 0) {
    out.push(
      routeFinding(route, 'critical', {
        code: 'ingress-cert-untrusted',
        problem: `the certificate chain served for ${host} does not verify (${tls.verifyError ?? 'unverified'})`,
        why: 'clients that verify certificates refuse the connection (add the issuing CA as cluster.ingress.caFile if it is private)',
        next: secret,
      }),
    );
  }
  return out;
}

/** Findings of one route's live probe (certificate findings apart). */
function resultFindings(route: IngressRoute, r: IngressProbeResult, opts: LiveProbeOptions): DoctorFinding[] {
  const probe = route.probe;
  if (probe === undefined) return [];
  const via = `${probe.scheme}://${joinHostPort(probe.address.host, probe.address.port)}`;
  const what = `${probe.scheme.toUpperCase()} GET ${probe.host}${probe.path} via ${via} (address from ${addressSourceText(route.addressSource)})`;
  switch (r.result) {
    case 'no_route':
      return [
        routeFinding(route, 'critical', {
          code: 'ingress-route-not-served',
          problem: `${what} gets the controller's default backend (HTTP ${r.statusCode}): no controller serves host ${route.host}${route.ingressClass === undefined ? '' : ` (class ${route.ingressClass})`}`,
          why: 'users of this host get the default backend (usually 404) instead of the application',
          next: kubectl('', 'get', 'ingressclass', '-o', 'wide'),
        }),
      ];
    case 'backend_unavailable':
      if (opts.hasStaticBackendProblem(route)) return [];
      return [
        routeFinding(route, 'critical', {
          code: 'ingress-route-backend-unavailable',
          problem: `${what} answers HTTP ${r.statusCode}`,
          why: 'the controller cannot reach a backend for this path: users get errors now',
        }),
      ];
    case 'server_error':
    case 'unexpected_status':
      return [
        routeFinding(route, 'warning', {
          code:
            r.result === 'server_error' ? 'ingress-route-server-error' : 'ingress-route-unexpected-status',
          problem: `${what} answers HTTP ${r.statusCode}`,
          why: 'the application answers this path with an error (or the netprobe.io/expect-status annotation is wrong)',
        }),
      ];
    case 'timeout':
    case 'connect_error':
      return [
        routeFinding(route, 'critical', {
          code: 'ingress-route-unreachable',
          problem: `${what} failed: ${r.result === 'timeout' ? 'no answer in time' : (r.error ?? 'connection failed')}`,
          why: 'users of this route get no answer now',
        }),
      ];
    case 'protocol_error':
      return [
        routeFinding(route, 'critical', {
          code: 'ingress-route-protocol-error',
          problem: `${what} got an answer that is not valid HTTP (${r.error ?? 'parse error'})`,
          why: 'something answers on the port but HTTP clients cannot read it: another protocol behind the port, or headers over the 16 KiB limit',
        }),
      ];
    case 'tls_error':
      return r.tls === undefined
        ? [
            routeFinding(route, 'critical', {
              code: 'ingress-tls-handshake-failed',
              problem: `${what}: the TLS handshake failed (${r.error ?? 'error'})`,
              why: 'HTTPS clients of this host cannot connect now',
            }),
          ]
        : [];
    case 'ok':
      return [];
  }
}

/** One finding for a controller address that answers nothing at all, instead of one per route. */
function controllerDown(routes: readonly IngressRoute[], key: string, r: IngressProbeResult): DoctorFinding {
  const classes = [...new Set(routes.map((route) => route.ingressClass ?? '(none)'))].sort();
  return {
    severity: 'critical',
    stage: 'ingress',
    code: 'ingress-controller-unreachable',
    object: { kind: 'IngressClass', namespace: '', name: classes.join(',') },
    problem: `the controller address ${key} does not answer (${r.result}${r.error === undefined ? '' : `: ${r.error}`}); ${routes.length} route(s) use it`,
    why: 'every route served through this address fails now (or the configured address is wrong)',
    next: kubectl('', 'get', 'pods', '-A', '-l', 'app.kubernetes.io/component=controller', '-o', 'wide'),
  };
}

/**
 * Probes every probeable route through its controller with the route's Host and SNI, after
 * fingerprinting each controller's default backend once, as the cluster role's Ingress feature does.
 */
export async function probeRoutesLive(
  routes: IngressRoute[],
  opts: LiveProbeOptions,
): Promise<DoctorFinding[]> {
  const byController = new Map<string, Array<{ route: IngressRoute; probe: RouteProbe }>>();
  for (const route of routes) {
    if (route.state !== 'probed' || route.probe === undefined) continue;
    const key = controllerKey(route.probe);
    const group = byController.get(key);
    if (group === undefined) byController.set(key, [{ route, probe: route.probe }]);
    else group.push({ route, probe: route.probe });
  }
  const findings: DoctorFinding[] = [];
  const certSeen = new Set<string>();
  for (const [key, group] of byController) {
    const first = group[0];
    if (first === undefined) continue;
    const base = {
      scheme: first.probe.scheme,
      address: first.probe.address,
      maxBodyBytes: opts.maxBodyBytes,
      trust: opts.trust,
    };
    const noRoute = await fingerprintDefaultBackend(base, AbortSignal.timeout(opts.timeoutSeconds * 1000));
    const limit = opts.concurrency ?? 8;
    const probeOne = async ({ probe }: { probe: RouteProbe }): Promise<IngressProbeResult> => {
      const raw = await probeIngressRoute(
        { ...probe, maxBodyBytes: opts.maxBodyBytes, trust: opts.trust },
        AbortSignal.timeout(opts.timeoutSeconds * 1000),
      );
      return classify(raw, probe.detectNoRoute ? noRoute : undefined);
    };
    const down = (r: IngressProbeResult): boolean => r.result === 'connect_error' || r.result === 'timeout';
    // The fingerprint failed: try one batch first, so a dead address costs one timeout, not one
    // per batch of its routes.
    const head = await mapLimit(noRoute === undefined ? group.slice(0, limit) : group, limit, probeOne);
    if (noRoute === undefined && head[0] !== undefined && head.every(down)) {
      findings.push(
        controllerDown(
          group.map((g) => g.route),
          key,
          head[0],
        ),
      );
      continue;
    }
    const results = [...head, ...(await mapLimit(group.slice(head.length), limit, probeOne))];
    group.forEach(({ route, probe }, i) => {
      const r = results[i];
      if (r === undefined) return;
      findings.push(...resultFindings(route, r, opts));
      const certKey = `${route.namespace}/${route.ingress}/${probe.host}`;
      if (r.tls !== undefined && !certSeen.has(certKey)) {
        certSeen.add(certKey);
        findings.push(...certFindings(route, r.tls, opts.now));
      }
    });
  }
  return findings;
}
