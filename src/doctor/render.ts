import { safeJson, sanitize } from '../log/terminal.js';
import type { DoctorFinding, DoctorReport, DoctorSeverity } from './types.js';

export { sanitize } from '../log/terminal.js';

const HEADINGS: Record<DoctorSeverity, string> = { critical: 'CRITICAL', warning: 'WARNING', info: 'INFO' };

function objectText(f: DoctorFinding): string {
  const { kind, namespace, name } = f.object;
  return `${kind} ${namespace === '' ? '' : `${namespace}/`}${name}`;
}

function findingText(f: DoctorFinding): string {
  return [
    `  [${f.severity}] ${objectText(f)}  (${f.stage}: ${f.code})`,
    `    problem: ${f.problem}`,
    `    why:     ${f.why}`,
    `    next:    ${f.next}`,
  ]
    .map(sanitize)
    .join('\n');
}

/** The one-line summary ("2 critical, 1 warning, 0 info; 1 check skipped"). */
export function summaryLine(report: DoctorReport): string {
  const { critical, warning, info, skipped } = report.summary;
  const skips =
    skipped.length === 0 ? '' : `; ${skipped.length} check${skipped.length === 1 ? '' : 's'} skipped`;
  const verdict =
    critical > 0
      ? 'users are affected now'
      : warning > 0
        ? 'no critical problem'
        : skipped.length > 0
          ? 'nothing found in what was checked'
          : 'healthy';
  return `Summary: ${critical} critical, ${warning} warning, ${info} info${skips}: ${verdict}`;
}

/** The text report: findings grouped by severity, skipped checks, then the summary line. */
export function renderText(report: DoctorReport): string {
  const parts: string[] = [];
  for (const severity of ['critical', 'warning', 'info'] as const) {
    const group = report.findings.filter((f) => f.severity === severity);
    if (group.length === 0) continue;
    parts.push(`${HEADINGS[severity]} (${group.length})\n${group.map(findingText).join('\n\n')}`);
  }
  if (report.findings.length === 0) parts.push('No problems found.');
  const { skipped, unreadable } = report.summary;
  if (skipped.length > 0)
    parts.push(
      `Skipped:\n${skipped.map((s) => sanitize(`  - ${s.stage}: ${s.check}: ${s.reason}`)).join('\n')}`,
    );
  const bad = Object.entries(unreadable).filter(([, n]) => n > 0);
  if (bad.length > 0)
    parts.push(`Unreadable objects (left out): ${bad.map(([r, n]) => sanitize(`${r} ${n}`)).join(', ')}`);
  parts.push(summaryLine(report));
  return `${parts.join('\n\n')}\n`;
}

/** The JSON report: {findings: [...], summary: {...}} (control characters are escaped by JSON itself). */
export function renderJson(report: DoctorReport): string {
  const findings = report.findings.map((f) => ({
    severity: f.severity,
    stage: f.stage,
    code: f.code,
    object: { kind: f.object.kind, namespace: f.object.namespace, name: f.object.name },
    problem: f.problem,
    why: f.why,
    next: f.next,
  }));
  return `${safeJson({ findings, summary: report.summary })}\n`;
}
