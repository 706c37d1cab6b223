import type { KubeConfig } from '@kubernetes/client-node';
import { ConfigError } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { readCluster, type ClusterView, type ListOptions } from './cluster-view.js';
import { checkDns } from './dns.js';
import { checkIngresses, readTrust } from './ingress.js';
import { checkPods } from './pods.js';
import { checkPolicies } from './policy.js';
import { checkServices } from './services.js';
import {
  DOCTOR_STAGES,
  type DoctorFinding,
  type DoctorReport,
  type DoctorSeverity,
  type DoctorStage,
  type SkippedCheck,
  type StageOutcome,
} from './types.js';

/** Progress events: 'list' while the objects are read, then each stage as it starts. */
export type DoctorProgress =
  { step: 'list' } | { step: 'stage'; stage: DoctorStage; index: number; total: number };

/** How to run doctor. */
export interface DoctorOptions {
  kubeConfig: KubeConfig;
  /** The loaded config (defaults when no file was given). */
  config: Config;
  /** False without --config: live Ingress checks are skipped, and the report says so. */
  configGiven: boolean;
  /** Findings of other namespaces are left out; cluster-wide checks (DNS) still run. */
  namespace?: string;
  onProgress?: (p: DoctorProgress) => void;
  /** Unix ms, for certificate ages (default Date.now()). */
  now?: number;
  list?: ListOptions;
  /** DNS lookups per server (default 5). */
  dnsLookups?: number;
}

const SEVERITY_RANK: Record<DoctorSeverity, number> = { critical: 0, warning: 1, info: 2 };
const STAGE_RANK = Object.fromEntries(DOCTOR_STAGES.map((s, i) => [s, i])) as Record<DoctorStage, number>;

function text(f: DoctorFinding): string {
  return `${f.object.namespace}\u0000${f.object.name}\u0000${f.object.kind}\u0000${f.code}\u0000${f.problem}`;
}

/** Severity first, then the stage order operators triage in, then object and problem (stable output). */
export function compareFindings(a: DoctorFinding, b: DoctorFinding): number {
  const ta = text(a);
  const tb = text(b);
  return (
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    STAGE_RANK[a.stage] - STAGE_RANK[b.stage] ||
    (ta < tb ? -1 : ta > tb ? 1 : 0)
  );
}

/** True when the finding concerns the namespace, or is cluster-wide (DNS, cluster-scoped objects). */
export function inNamespace(f: DoctorFinding, namespace: string | undefined): boolean {
  if (namespace === undefined) return true;
  return f.stage === 'dns' || f.object.namespace === '' || f.object.namespace === namespace;
}

/** Sorts, filters and counts findings into the report. */
export function assembleReport(
  outcomes: readonly StageOutcome[],
  namespace: string | undefined,
  unreadable: Record<string, number>,
): DoctorReport {
  const findings = outcomes
    .flatMap((o) => o.findings)
    .filter((f) => inNamespace(f, namespace))
    .sort(compareFindings);
  const skipped: SkippedCheck[] = outcomes.flatMap((o) => o.skipped);
  const count = (s: DoctorSeverity): number => findings.filter((f) => f.severity === s).length;
  return {
    findings,
    summary: {
      critical: count('critical'),
      warning: count('warning'),
      info: count('info'),
      skipped,
      unreadable,
    },
  };
}

type StageFn = (view: ClusterView) => StageOutcome | Promise<StageOutcome>;

/**
 * Runs the triage once: lists the cluster with plain LIST requests, then the stages in the order
 * operators use (pods, Services, Ingress, DNS, policy). A stage that throws becomes a skipped check.
 * Throws ConfigError for an unreadable caFile, and Error when the API cannot be read at all.
 */
export async function runDoctor(opts: DoctorOptions): Promise<DoctorReport> {
  const { config } = opts;
  const nowMs = opts.now ?? Date.now();
  if (opts.configGiven && config.cluster.ingress.caFile !== undefined) {
    try {
      readTrust(config.cluster.ingress.caFile);
    } catch (err) {
      throw new ConfigError(
        `cluster.ingress.caFile: cannot read ${config.cluster.ingress.caFile}: ${(err as Error).message}`,
      );
    }
  }
  opts.onProgress?.({ step: 'list' });
  const view = await readCluster(opts.kubeConfig, opts.list, opts.namespace);
  const unreadable = { ...view.unreadable };
  const stages: Record<DoctorStage, StageFn> = {
    pods: checkPods,
    services: checkServices,
    ingress: (v) =>
      checkIngresses(v, {
        config,
        live: opts.configGiven,
        nowMs,
        ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
      }),
    dns: (v) =>
      checkDns(v, { config, ...(opts.dnsLookups !== undefined ? { lookups: opts.dnsLookups } : {}) }),
    policy: (v) => checkPolicies(v, { config, unreadable }),
  };
  const outcomes: StageOutcome[] = [];
  for (const [index, stage] of DOCTOR_STAGES.entries()) {
    opts.onProgress?.({ step: 'stage', stage, index, total: DOCTOR_STAGES.length });
    try {
      outcomes.push(await stages[stage](view));
    } catch (err) {
      // One broken stage must not hide the others' findings.
      outcomes.push({
        findings: [],
        skipped: [{ stage, check: stage, reason: `failed: ${(err as Error).message}` }],
      });
    }
  }
  if (view.scoped.length > 0) {
    // Said in the report: checks that look across namespaces (DNS egress to kube-system, the
    // ingress controller's reach) saw only this namespace's objects of these kinds.
    outcomes.push({
      findings: [],
      skipped: [
        {
          stage: 'policy',
          check: 'cluster-wide view',
          reason: `${view.scoped.join(', ')} listed in namespace ${opts.namespace ?? ''} only (cluster-wide LIST forbidden); checks across namespaces may miss problems`,
        },
      ],
    });
  }
  return assembleReport(outcomes, opts.namespace, unreadable);
}
