// Detection timing: the healthy sandbox with real Prometheus and the rules in alerts/ (read at run
// time), every classic fault injected at runtime one after another and healed. Per fault: seconds
// from injection until the intended alerts are pending (or firing), seconds from heal until they are
// inactive, and every other alert seen meanwhile. Or, with --healthy-minutes, every alert seen on
// the healthy sandbox in that time. Loopback only; takes the sandbox lock like the tests.
// Run (as root, under the integration lock):
//   flock /tmp/netprobe-int.lock npx tsx bench/detection.ts [--interval 5] [--scrape 5] [--eval 1]
//     [--faults id,id] [--max-wait 45] [--settle 45] [--healthy-minutes N] [--rules alerts/netprobe-rules.yaml]
// Figures go to docs/performance/detection.md by hand.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { INHIBITIONS, type Inhibition } from '../src/pack/docs.js';
import { alertGroups } from '../src/pack/rules.js';
import { durationSeconds } from '../src/pack/timing.js';
import { SANDBOX_FAULT_ALERTS } from '../sandbox/pack-faults.js';
import type { Sandbox } from '../sandbox/cluster.js';
import {
  SHIPPED_RULE_FILE,
  sandboxScrapeJobs,
  startPrometheus,
  type PrometheusHandle,
} from '../sandbox/prometheus.js';
import {
  describeFault,
  PLANTED_FAULT_IDS,
  RUNTIME_FAULTS,
  type RuntimeFaultId,
} from '../sandbox/runtime-faults.js';
import { startTestSandbox, waitForSandboxWorking } from '../test/helpers/sandbox.js';

const { values } = parseArgs({
  options: {
    interval: { type: 'string', default: '5' },
    scrape: { type: 'string', default: '5' },
    eval: { type: 'string', default: '1' },
    faults: { type: 'string', default: RUNTIME_FAULTS.join(',') },
    'max-wait': { type: 'string', default: '45' },
    settle: { type: 'string', default: '45' },
    'healthy-minutes': { type: 'string', default: '0' },
    rules: { type: 'string', default: SHIPPED_RULE_FILE },
  },
});
const INTERVAL_S = Number(values.interval);
const SCRAPE_S = Number(values.scrape);
const EVAL_S = Number(values.eval);
const MAX_WAIT_MS = Number(values['max-wait']) * 1000;
/** How long to wait for the previous fault's alerts to go before injecting the next. */
const SETTLE_MS = Number(values.settle) * 1000;
const HEALTHY_MINUTES = Number(values['healthy-minutes']);
const RULES = resolve(values.rules ?? SHIPPED_RULE_FILE);
const POLL_MS = 250;

/** An alert the fault must raise: its name, and the labels (and severity) that name the object. */
interface Intended {
  alert: string;
  severity?: string;
  labels: Record<string, string>;
}

/** The classic DNS faults and the alert meant for each; the planted ones come from sandbox/pack-faults.ts. */
const DNS_INTENDED: Partial<Record<RuntimeFaultId, Intended[]>> = {
  'dns-servfail': [{ alert: 'NetprobeDNSDown', severity: 'critical', labels: {} }],
  'dns-replica-stopped': [{ alert: 'NetprobeDNSReplicaFailing', labels: { server: 'coredns-a' } }],
  'dns-latency-high': [{ alert: 'NetprobeDNSLatencyHigh', labels: {} }],
  'dns-errors': [{ alert: 'NetprobeDNSErrorsHigh', labels: {} }],
};
/** Rate-based faults get one probe interval more (the issue's target). */
const RATE_FAULTS = new Set<RuntimeFaultId>(['dns-latency-high', 'dns-errors']);

function intendedFor(id: RuntimeFaultId): Intended[] {
  const planted = PLANTED_FAULT_IDS.indexOf(id);
  if (planted < 0) return DNS_INTENDED[id] ?? [];
  return (SANDBOX_FAULT_ALERTS[planted]?.alerts ?? []).map((a) => ({ ...a }));
}

const targetSeconds = (id: RuntimeFaultId): number => (RATE_FAULTS.has(id) ? 3 : 2) * INTERVAL_S + SCRAPE_S;

// ---------------------------------------------------------------------------------------------

/** One active alert as /api/v1/alerts lists it. */
interface ActiveAlert {
  labels: Record<string, string>;
  state: string;
  activeAt: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function activeAlerts(prom: PrometheusHandle): Promise<ActiveAlert[]> {
  const data = (await prom.api('/api/v1/alerts')) as { alerts: ActiveAlert[] };
  return data.alerts.filter((a) => a.state === 'pending' || a.state === 'firing');
}

const matches = (a: ActiveAlert, want: Intended): boolean =>
  a.labels.alertname === want.alert &&
  (want.severity === undefined || a.labels.severity === want.severity) &&
  Object.entries(want.labels).every(([k, v]) => a.labels[k] === v);

/** The labels that name an alert's object, without where it was scraped. */
const IDENTITY = [
  'alertname',
  'severity',
  'namespace',
  'service',
  'ingress',
  'host',
  'path',
  'node',
  'server',
  'check',
  'via',
  'problem',
];
const describe = (a: ActiveAlert): string => {
  const l = a.labels;
  const rest = IDENTITY.slice(2)
    .filter((k) => l[k] !== undefined)
    .map((k) => `${k}=${l[k] ?? ''}`);
  return `${l.alertname ?? '?'}/${l.severity ?? '?'}${rest.length ? `{${rest.join(',')}}` : ''}`;
};

/** Alertmanager matcher semantics for the pack's inhibitions: `name="v"`, `name=~"re"`, `!=`, `!~`. */
function matcher(text: string): (labels: Record<string, string>) => boolean {
  const m = /^(\w+)(=~|!~|!=|=)"(.*)"$/.exec(text);
  if (!m?.[1] || !m[2]) throw new Error(`unsupported matcher ${text}`);
  const [name, op, value] = [m[1], m[2], m[3] ?? ''];
  const re = new RegExp(`^(?:${value})$`);
  return (labels) => {
    const v = labels[name] ?? '';
    if (op === '=') return v === value;
    if (op === '!=') return v !== value;
    return op === '=~' ? re.test(v) : !re.test(v);
  };
}

const all = (ms: readonly string[]) => {
  const fs = ms.map(matcher);
  return (l: Record<string, string>): boolean => fs.every((f) => f(l));
};

/** Each alert's `for` in seconds, from the pack's own rules. */
const FOR_SECONDS = new Map(
  alertGroups()
    .flatMap((g) => g.alerts)
    .map((r) => [r.alert, durationSeconds(r.for)] as const),
);
const forOf = (a: ActiveAlert): number => FOR_SECONDS.get(a.labels.alertname ?? '') ?? 0;

/**
 * Whether Alertmanager, with the pack's recommended inhibitions, would mute `target` while the
 * fault lasts: a firing source mutes it now; a pending source whose `for` is no longer than the
 * target's fires first (or with it) and mutes it before it is ever sent.
 */
function inhibited(
  target: ActiveAlert,
  snapshot: readonly ActiveAlert[],
  rules: readonly Inhibition[],
): boolean {
  return rules.some((r) => {
    if (!all(r.target_matchers)(target.labels)) return false;
    const isSource = all(r.source_matchers);
    return snapshot.some(
      (s) =>
        s !== target &&
        (s.state === 'firing' || forOf(s) <= forOf(target)) &&
        isSource(s.labels) &&
        r.equal.every((k) => (s.labels[k] ?? '') === (target.labels[k] ?? '')),
    );
  });
}

// ---------------------------------------------------------------------------------------------

interface FaultResult {
  fault: RuntimeFaultId;
  intended: string[];
  targetSeconds: number;
  pendingSeconds: number | null;
  clearedSeconds: number | null;
  others: string[];
  /** Others Alertmanager would still send with the pack's inhibitions (some were muted while firing). */
  othersUninhibited: string[];
  /** Uninhibited others still active two probe intervals into the fault, or after the heal settled: these would page. */
  othersLasting: string[];
  /** Alerts still active when the fault was injected (left over from the previous one). */
  carriedOver: string[];
  met: boolean;
}

/**
 * Collects the alerts seen that are not intended: every one whose expression was true at some
 * point (`seen`), those not muted by an inhibition (`sent`), and those among them still active in
 * the last snapshot (`lasting`): a one-scrape blip resolves long before any `for` (1m or more)
 * and cannot page; one still active while the fault lasts will.
 */
class OtherAlerts {
  readonly seen = new Set<string>();
  readonly sent = new Set<string>();
  lasting = new Set<string>();
  constructor(
    private readonly intended: readonly Intended[],
    private readonly ignore: ReadonlySet<string>,
  ) {}
  add(snapshot: readonly ActiveAlert[]): void {
    const now = new Set<string>();
    for (const a of snapshot) {
      if (this.intended.some((w) => matches(a, w)) || this.ignore.has(describe(a))) continue;
      this.seen.add(describe(a));
      if (inhibited(a, snapshot, INHIBITIONS)) continue;
      this.sent.add(describe(a));
      now.add(describe(a));
    }
    this.lasting = now;
  }
}

/** Polls alerts until `done` holds or `capMs` passes; returns the time it held (ms since epoch) or null. */
async function watch(
  prom: PrometheusHandle,
  others: OtherAlerts,
  done: (snapshot: ActiveAlert[]) => boolean,
  capMs: number,
): Promise<number | null> {
  const deadline = Date.now() + capMs;
  for (;;) {
    const snapshot = await activeAlerts(prom);
    others.add(snapshot);
    if (done(snapshot)) return Date.now();
    if (Date.now() > deadline) return null;
    await sleep(POLL_MS);
  }
}

/** When the intended alerts were all active: the latest activeAt Prometheus reports (evaluation time). */
function pendingAt(
  snapshot: readonly ActiveAlert[],
  intended: readonly Intended[],
  injectedAt: number,
  seenAt: number,
): number {
  const times = intended.map((w) => {
    const first = snapshot
      .filter((a) => matches(a, w))
      .map((a) => Date.parse(a.activeAt))
      .filter((t) => Number.isFinite(t) && t >= injectedAt);
    return first.length ? Math.min(...first) : seenAt;
  });
  return Math.max(...times);
}

const seconds = (ms: number): number => Math.round(ms / 100) / 10;

async function runFault(prom: PrometheusHandle, sandbox: Sandbox, id: RuntimeFaultId): Promise<FaultResult> {
  const intended = intendedFor(id);
  const target = targetSeconds(id);
  // Start from quiet: the previous fault's alerts gone (or give up and note them).
  const quiet = new OtherAlerts([], new Set());
  await watch(prom, quiet, (s) => s.length === 0, SETTLE_MS);
  const carriedOver = (await activeAlerts(prom)).map(describe);
  const others = new OtherAlerts(intended, new Set(carriedOver));
  // An intended alert left over from the previous fault does not count as detecting this one.
  const fresh = (s: ActiveAlert[]): ActiveAlert[] => s.filter((a) => !carriedOver.includes(describe(a)));
  const allActive = (s: ActiveAlert[]): boolean => intended.every((w) => fresh(s).some((a) => matches(a, w)));

  const injectedAt = Date.now();
  await sandbox.faults.inject(id);
  let pendingSeconds: number | null = null;
  if (intended.length > 0) {
    let last: ActiveAlert[] = [];
    const seenAt = await watch(
      prom,
      others,
      (s) => {
        last = s;
        return allActive(s);
      },
      MAX_WAIT_MS,
    );
    if (seenAt !== null) pendingSeconds = seconds(pendingAt(last, intended, injectedAt, seenAt) - injectedAt);
  } else {
    // Nothing should fire: watch for as long as the slowest intended alert may take, with margin.
    await watch(prom, others, () => false, (target + INTERVAL_S) * 1000);
  }

  // The fault lasts two more probe intervals, so that side alerts that would last show as lasting
  // and one-scrape blips have resolved.
  await watch(prom, others, () => false, 2 * INTERVAL_S * 1000);
  const lastingWhileFaulty = new Set(others.lasting);
  const healedAt = Date.now();
  await sandbox.faults.heal(id);
  const clearedAt = await watch(
    prom,
    others,
    (s) => !intended.some((w) => s.some((a) => matches(a, w))),
    MAX_WAIT_MS,
  );
  // A fault whose alerts never became pending has no clear time.
  const clearedSeconds = pendingSeconds === null || clearedAt === null ? null : seconds(clearedAt - healedAt);
  // Keep watching until every alert is gone, so that late side effects of the heal count too.
  await watch(prom, others, (s) => s.every((a) => carriedOver.includes(describe(a))), MAX_WAIT_MS);

  const detected = intended.length === 0 || (pendingSeconds !== null && pendingSeconds <= target);
  const cleared = intended.length === 0 || (clearedSeconds !== null && clearedSeconds <= target);
  return {
    fault: id,
    intended: intended.map((w) => w.alert),
    targetSeconds: target,
    pendingSeconds,
    clearedSeconds,
    others: [...others.seen].sort(),
    othersUninhibited: [...others.sent].sort(),
    othersLasting: [...new Set([...lastingWhileFaulty, ...others.lasting])].sort(),
    carriedOver,
    met: detected && cleared && lastingWhileFaulty.size === 0 && others.lasting.size === 0,
  };
}

function printTable(results: readonly FaultResult[]): void {
  const fmt = (s: number | null, intended: number): string =>
    intended === 0 ? 'n/a' : s === null ? `miss (> ${MAX_WAIT_MS / 1000})` : String(s);
  console.log('| fault | intended alert | pending s | cleared s | target s | other alerts seen | met |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of results) {
    const others = r.others.length
      ? r.others
          .map((o) =>
            r.othersLasting.includes(o)
              ? `${o} (lasting)`
              : r.othersUninhibited.includes(o)
                ? `${o} (blip)`
                : `${o} (inhibited)`,
          )
          .join('; ')
      : 'none';
    const intended = r.intended.length ? [...new Set(r.intended)].join(', ') : 'none (must stay quiet)';
    console.log(
      `| ${r.fault} | ${intended} | ${fmt(r.pendingSeconds, r.intended.length)} | ${r.pendingSeconds === null ? 'n/a' : fmt(r.clearedSeconds, r.intended.length)} | ${r.targetSeconds} | ${others} | ${r.met ? 'yes' : 'no'} |`,
    );
  }
}

async function healthyRun(prom: PrometheusHandle): Promise<void> {
  const seen = new OtherAlerts([], new Set());
  const start = Date.now();
  await watch(prom, seen, () => false, HEALTHY_MINUTES * 60_000);
  const alerts = [...seen.seen].sort();
  console.log(
    `healthy sandbox for ${seconds(Date.now() - start)} s: ${alerts.length} alerts seen${alerts.length ? `: ${alerts.join('; ')}` : ''}`,
  );
  console.log(`detection-healthy ${JSON.stringify({ minutes: HEALTHY_MINUTES, alerts })}`);
}

async function main(): Promise<void> {
  const chosen = (values.faults ?? '').split(',').filter((f) => f !== '');
  const unknown = chosen.filter((f) => !(RUNTIME_FAULTS as readonly string[]).includes(f));
  if (unknown.length)
    throw new Error(`unknown faults ${unknown.join(', ')}; known: ${RUNTIME_FAULTS.join(', ')}`);
  const faults = chosen as RuntimeFaultId[];
  const sandbox = await startTestSandbox({ healthy: true, interval: INTERVAL_S, dnsTimeout: 2 });
  let prom: PrometheusHandle | undefined;
  try {
    prom = await startPrometheus({
      scrape: sandboxScrapeJobs(sandbox),
      ruleFiles: [RULES],
      scrapeInterval: SCRAPE_S,
      evaluationInterval: EVAL_S,
    });
    await waitForSandboxWorking(sandbox, 60_000);
    // Two scrapes of every target, so that rates have their samples before the first fault.
    await prom.waitFor('count_over_time(up[1m]) >= 3 and up == 1', (s) => s.length === 3, 60_000);
    console.log(
      `${new Date().toISOString()}: sandbox healthy; probe interval ${INTERVAL_S} s, scrape ${SCRAPE_S} s, rule evaluation ${EVAL_S} s; rules ${RULES}`,
    );
    if (HEALTHY_MINUTES > 0) {
      await healthyRun(prom);
      return;
    }
    const results: FaultResult[] = [];
    for (const id of faults) {
      const r = await runFault(prom, sandbox, id);
      console.log(`detection ${JSON.stringify({ ...r, description: describeFault(id) })}`);
      results.push(r);
    }
    console.log('');
    printTable(results);
    console.log(`\n${results.filter((r) => r.met).length} of ${results.length} faults met every target.`);
  } finally {
    await prom?.stop();
    await sandbox.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
