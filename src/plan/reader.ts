import { parse as parseYaml } from 'yaml';
import { formatIssues } from '../config/load.js';
import { PLAN_VERSION, planSchema, type Plan } from './schema.js';

/** A plan, or why it was refused. */
export type PlanParse = { ok: true; plan: Plan } | { ok: false; error: string };

/** Parses and validates a plan document (JSON or YAML text); never throws. */
export function parsePlan(text: string, source: string): PlanParse {
  let doc: unknown;
  try {
    doc = parseYaml(text); // YAML is a superset of JSON
  } catch (err) {
    return {
      ok: false,
      error: `${source}: not valid JSON or YAML: ${(err as Error).message.split('\n')[0] ?? ''}`,
    };
  }
  // A plan of another version (cluster and node roles mid-upgrade) would otherwise be refused with
  // a list of key errors that hides the one cause; its version alone decides.
  const version =
    typeof doc === 'object' && doc !== null ? (doc as { version?: unknown }).version : undefined;
  if (version !== undefined && version !== PLAN_VERSION) {
    return {
      ok: false,
      error: `${source}: version: plan version ${JSON.stringify(version)} is not supported by this netprobe (it reads version ${PLAN_VERSION}); run the same netprobe version in the cluster and node roles`,
    };
  }
  const result = planSchema.safeParse(doc);
  if (!result.success)
    return { ok: false, error: formatIssues(source, result.error.issues, 'src/plan/schema.ts') };
  return { ok: true, plan: result.data };
}

/**
 * Holds the plan in use: a new document replaces it only when valid; an invalid one is reported
 * and the last good plan stays in use.
 */
export class PlanHolder {
  private current: Plan | undefined;
  private lastAcceptedAt = 0;
  private readonly listeners: Array<(plan: Plan) => void> = [];

  /** Offers a new plan document; returns the parse result. */
  offer(text: string, source: string): PlanParse {
    const parsed = parsePlan(text, source);
    if (!parsed.ok) return parsed;
    const same = this.current !== undefined && JSON.stringify(this.current) === JSON.stringify(parsed.plan);
    this.current = parsed.plan;
    this.lastAcceptedAt = Date.now();
    if (!same) for (const l of this.listeners) l(parsed.plan);
    return parsed;
  }

  /** The plan in use, if any was ever accepted. */
  get plan(): Plan | undefined {
    return this.current;
  }

  /** Unix time (ms) of the last accepted document. */
  get acceptedAt(): number {
    return this.lastAcceptedAt;
  }

  /** Called with each new plan whose content differs from the one in use. */
  onChange(cb: (plan: Plan) => void): void {
    this.listeners.push(cb);
  }
}
