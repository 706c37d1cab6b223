import { readFileSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import { routeOptionsFrom, buildIngressRoutes, type IngressRoute } from '../inventory/ingress-routes.js';
import { createIngressTrust, type IngressTrust } from '../probers/ingress.js';
import { missingInput, type ClusterView } from './cluster-view.js';
import { probeRoutesLive } from './ingress-live.js';
import { issueFinding, routeLookups, staticRouteFindings } from './ingress-static.js';
import { emptyOutcome, type DoctorFinding, type StageOutcome } from './types.js';

/** What the Ingress stage needs besides the cluster. */
export interface IngressStageOptions {
  config: Config;
  /** False without --config: live route/TLS checks are skipped and the output says so. */
  live: boolean;
  /** Only routes of this namespace are probed live. */
  namespace?: string;
  nowMs: number;
}

/** The trust store from cluster.ingress.caFile; an unreadable file is a config error the caller reports. */
export function readTrust(caFile: string | undefined): IngressTrust {
  if (caFile === undefined) return createIngressTrust();
  return createIngressTrust(readFileSync(caFile, 'utf8'));
}

/** Stage 3: static checks of every Ingress route, then (with a config) live probes through the controllers. */
export async function checkIngresses(view: ClusterView, opts: IngressStageOptions): Promise<StageOutcome> {
  const out = emptyOutcome();
  const missing = missingInput(view, ['ingresses', 'services', 'endpointslices']);
  if (missing !== undefined) {
    out.skipped.push({ stage: 'ingress', check: 'Ingress rules and backends', reason: missing });
    return out;
  }
  // Without IngressClasses every class looks missing: skip that one check, keep the backend checks.
  const noClasses = missingInput(view, ['ingressclasses']);
  if (noClasses !== undefined)
    out.skipped.push({ stage: 'ingress', check: 'Ingress classes', reason: noClasses });
  const keep = (f: DoctorFinding): boolean => noClasses === undefined || f.code !== 'ingress-class-missing';
  const cfg = opts.config.cluster.ingress;
  const inv = buildIngressRoutes(view.raw.ingresses, view.raw.ingressclasses, routeOptionsFrom(cfg));
  out.findings.push(...inv.issues.map(issueFinding).filter(keep));
  const lookups = routeLookups(view);
  const withBackendProblem = new Set<IngressRoute>();
  for (const route of inv.routes) {
    const found = staticRouteFindings(route, lookups);
    if (found.some((f) => f.code.startsWith('ingress-backend-'))) withBackendProblem.add(route);
    out.findings.push(...found.filter(keep));
  }
  if (inv.routes.length === 0) return out;
  if (!opts.live) {
    out.skipped.push({
      stage: 'ingress',
      check: 'live route and TLS checks',
      reason:
        'no --config given: the controller addresses (cluster.ingress.controllers) and CA (caFile) come from it',
    });
    return out;
  }
  const inScope = inv.routes.filter((r) => opts.namespace === undefined || r.namespace === opts.namespace);
  const unaddressed = inScope.filter((r) => r.state === 'unprobeable' && r.reason === 'no_address');
  if (unaddressed.length > 0) {
    const classes = [...new Set(unaddressed.map((r) => r.ingressClass ?? '(none)'))].sort();
    out.skipped.push({
      stage: 'ingress',
      check: `live checks of ${unaddressed.length} route(s)`,
      reason: `no controller address for class ${classes.join(', ')} in cluster.ingress.controllers and no status address on the Ingress`,
    });
  }
  // The live probe of a route keeps the static route object: compare by identity.
  const findings = await probeRoutesLive(inScope, {
    timeoutSeconds: cfg.timeout,
    maxBodyBytes: cfg.maxBodyBytes,
    trust: readTrust(cfg.caFile),
    now: opts.nowMs,
    hasStaticBackendProblem: (r) => withBackendProblem.has(r),
    concurrency: cfg.concurrency,
  });
  out.findings.push(...findings);
  return out;
}
