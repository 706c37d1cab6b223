/** The data doctor's stages produce and the renderers read. */

/** critical: users are hurt now; warning: something is wrong or about to be; info: worth knowing. */
export type DoctorSeverity = 'critical' | 'warning' | 'info';

/** The stages, in the order operators triage (and doctor runs them). */
export const DOCTOR_STAGES = ['pods', 'services', 'ingress', 'dns', 'policy'] as const;
export type DoctorStage = (typeof DOCTOR_STAGES)[number];

/** What each stage checks, for the progress line and the docs. */
export const STAGE_TITLES: Record<DoctorStage, string> = {
  pods: 'pod readiness',
  services: 'Service selectors and endpoints',
  ingress: 'Ingress rules and backends',
  dns: 'DNS',
  policy: 'NetworkPolicy findings',
};

/** The Kubernetes object a finding is about; namespace is '' for cluster-scoped objects. */
export interface ObjectRef {
  kind: string;
  namespace: string;
  name: string;
}

/** One finding: what is wrong with which object, why it matters, and what to run next. */
export interface DoctorFinding {
  severity: DoctorSeverity;
  stage: DoctorStage;
  /** Stable kind of finding (docs/doctor.md lists them), e.g. "service-no-ready-endpoints". */
  code: string;
  object: ObjectRef;
  problem: string;
  why: string;
  /** A concrete command to run next, with the real names. */
  next: string;
}

/** A check that did not run, and why (shown in the output so that silence is not read as health). */
export interface SkippedCheck {
  stage: DoctorStage;
  check: string;
  reason: string;
}

/** What one stage returns. */
export interface StageOutcome {
  findings: DoctorFinding[];
  skipped: SkippedCheck[];
}

/** Counts by severity, and the checks that were skipped. */
export interface DoctorSummary {
  critical: number;
  warning: number;
  info: number;
  skipped: SkippedCheck[];
  /** Objects the API returned that were too malformed to read, by resource. */
  unreadable: Record<string, number>;
}

/** The whole result: findings sorted by severity, then stage order, then object. */
export interface DoctorReport {
  findings: DoctorFinding[];
  summary: DoctorSummary;
}

/** An empty stage outcome, to fill in. */
export function emptyOutcome(): StageOutcome {
  return { findings: [], skipped: [] };
}
