/** Renders verdicts for people (text) and for programs (JSON). */
import type { RuleMatch, SideVerdict, Verdict } from './engine.js';

function portText(verdict: Verdict): string {
  const resolved =
    typeof verdict.port === 'string' && verdict.resolvedPort !== null ? ` (${verdict.resolvedPort})` : '';
  return `${verdict.port}${resolved}/${verdict.protocol}`;
}

function matchText(match: RuleMatch, direction: SideVerdict['direction']): string {
  const rule = `${direction}[${match.rule}]`;
  const peer =
    match.peer === null
      ? `all ${direction === 'ingress' ? 'sources' : 'destinations'}`
      : `${direction === 'ingress' ? 'from' : 'to'}[${match.peer}]`;
  const port = match.port === null ? 'all ports' : `ports[${match.port}]`;
  return `${match.policy} ${rule} (${peer}, ${port})`;
}

function sideLines(side: SideVerdict): string[] {
  const head = `  ${side.direction}:`;
  if (side.subject === null) return [`${head} not applicable`, ...side.notes.map((n) => `    note: ${n}`)];
  const lines: string[] = [];
  if (!side.isolated)
    lines.push(
      `${head} allowed: ${side.subject} is not isolated for ${side.direction} (no policy selects it)`,
    );
  else {
    lines.push(
      `${head} ${side.allowed ? 'allowed' : 'denied'}: ${side.subject} is isolated by ${side.policies.join(', ')}`,
    );
    if (side.allowed)
      lines.push(...side.allowedBy.map((m) => `    allowed by ${matchText(m, side.direction)}`));
    else lines.push(`    no rule of these policies allows the flow`);
  }
  return [...lines, ...side.notes.map((n) => `    note: ${n}`)];
}

/** One line per verdict, or a few more with `explain`. */
export function renderText(verdict: Verdict, explain = true): string {
  const head = `${verdict.from} -> ${verdict.to} ${portText(verdict)}: ${verdict.status.toUpperCase()}`;
  if (verdict.status === 'unknown') return `${head} (could not evaluate: ${verdict.reason ?? 'unknown'})`;
  if (!explain) return head;
  return [
    head,
    ...sideLines(verdict.egress),
    ...sideLines(verdict.ingress),
    ...verdict.notes.map((n) => `  note: ${n}`),
  ].join('\n');
}

/** The JSON form of a verdict (plain data, stable field order). */
export interface VerdictJson {
  from: string;
  to: string;
  port: number | string;
  protocol: string;
  resolvedPort: number | null;
  status: Verdict['status'];
  allowed: boolean | null;
  reason?: string;
  egress: SideVerdict;
  ingress: SideVerdict;
  notes: string[];
}

/** A verdict as JSON-ready data. */
export function verdictToJson(verdict: Verdict): VerdictJson {
  return {
    from: verdict.from,
    to: verdict.to,
    port: verdict.port,
    protocol: verdict.protocol,
    resolvedPort: verdict.resolvedPort,
    status: verdict.status,
    allowed: verdict.allowed,
    ...(verdict.reason !== undefined ? { reason: verdict.reason } : {}),
    egress: verdict.egress,
    ingress: verdict.ingress,
    notes: verdict.notes,
  };
}
