// Ingress probing cost: 1,000 routes every 30 s through a real nginx (its own process, so its CPU is not
// counted as netprobe's), with a bounded concurrency runner, for 2 intervals. Loopback only, bounded.
// Run: npx tsx bench/ingress.ts [--routes 1000] [--interval 30] [--intervals 2] [--concurrency 20]
// Figures go to docs/performance/ingress.md by hand.
import { rm } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  createIngressTrust,
  fingerprintDefaultBackend,
  probeIngressRoute,
  type IngressProbeResult,
  type IngressProbeTarget,
} from '../src/probers/ingress.js';
import { createCertAuthority, issueLeafCert, makeCertDir, validity } from '../sandbox/certs.js';
import { freePort, startNginx } from '../test/helpers/nginx.js';

const { values } = parseArgs({
  options: {
    routes: { type: 'string', default: '1000' },
    interval: { type: 'string', default: '30' },
    intervals: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '20' },
    timeout: { type: 'string', default: '5' },
  },
});
const ROUTES = Number(values.routes);
const INTERVAL_S = Number(values.interval);
const INTERVALS = Number(values.intervals);
const CONCURRENCY = Number(values.concurrency);
const TIMEOUT_MS = Number(values.timeout) * 1000;
const HARD_LIMIT_MS = (INTERVAL_S * (INTERVALS + 1) + 60) * 1000;

/** Runs `tasks` with at most `limit` in flight; the bench's own stand-in for the real scheduler. */
async function runBounded<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array<T>(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await (tasks[i] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);

async function main(): Promise<void> {
  const hardLimit = setTimeout(() => {
    console.error('hard time limit reached');
    process.exit(2);
  }, HARD_LIMIT_MS);
  const dir = await makeCertDir('netprobe-bench-ingress-');
  const ca = await createCertAuthority(dir);
  const wild = await issueLeafCert(ca, { name: 'wild', hosts: ['*.bench.test'], ...validity(90) });
  const [httpPort, httpsPort] = [await freePort(), await freePort()];
  const nginx = await startNginx(
    dir,
    `access_log off;
  server { listen 127.0.0.1:${httpPort} default_server; listen 127.0.0.1:${httpsPort} ssl default_server; server_name _;
    ssl_certificate ${wild.certFile}; ssl_certificate_key ${wild.keyFile}; return 404; }
  server { listen 127.0.0.1:${httpPort}; listen 127.0.0.1:${httpsPort} ssl; server_name *.bench.test;
    ssl_certificate ${wild.certFile}; ssl_certificate_key ${wild.keyFile};
    location / { return 200 "routed $host $uri\\n"; } }`,
    [httpPort, httpsPort],
  );
  try {
    await bench(createIngressTrust(ca.certPem), httpPort, httpsPort);
  } finally {
    await nginx.stop();
    await rm(dir, { recursive: true, force: true });
    clearTimeout(hardLimit);
  }
}

/** 80% HTTP routes, 15% HTTPS, 5% to hosts nginx does not serve (no_route). */
function makeTargets(
  httpPort: number,
  httpsPort: number,
  trust: ReturnType<typeof createIngressTrust>,
): IngressProbeTarget[] {
  return Array.from({ length: ROUTES }, (_, i): IngressProbeTarget => {
    const https = i % 20 >= 16 && i % 20 < 19;
    const missing = i % 20 === 19;
    return {
      scheme: https ? 'https' : 'http',
      address: { host: '127.0.0.1', port: https ? httpsPort : httpPort },
      host: missing ? `gone${i}.example.test` : `r${i}.bench.test`,
      path: `/app/${i}`,
      maxBodyBytes: 65_536,
      trust,
    };
  });
}

async function bench(
  trust: ReturnType<typeof createIngressTrust>,
  httpPort: number,
  httpsPort: number,
): Promise<void> {
  const targets = makeTargets(httpPort, httpsPort, trust);
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  let missed = 0;
  const rows: string[] = [];
  for (let n = 0; n < INTERVALS; n++) {
    const due = wallStart + n * INTERVAL_S * 1000;
    const wait = due - performance.now();
    // Missed: started over a second late (the previous interval overran) or did not finish within the interval.
    if (wait < -1000) missed++;
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const started = performance.now();
    const noRoute = await fingerprintDefaultBackend(
      { scheme: 'http', address: { host: '127.0.0.1', port: httpPort }, maxBodyBytes: 65_536 },
      AbortSignal.timeout(TIMEOUT_MS),
    );
    const tasks = targets.map(
      (t) => (): Promise<IngressProbeResult> =>
        probeIngressRoute({ ...t, noRoute }, AbortSignal.timeout(TIMEOUT_MS)),
    );
    const results = await runBounded(tasks, CONCURRENCY);
    const tookS = (performance.now() - started) / 1000;
    if (tookS > INTERVAL_S) missed++;
    const byResult: Record<string, number> = {};
    for (const r of results) byResult[r.result] = (byResult[r.result] ?? 0) + 1;
    const durations = results.map((r) => r.durationSeconds * 1000);
    rows.push(
      `interval ${n + 1}: ${results.length} probes in ${tookS.toFixed(2)} s; ` +
        `p50 ${quantile(durations, 0.5).toFixed(2)} ms, p99 ${quantile(durations, 0.99).toFixed(2)} ms; ${JSON.stringify(byResult)}`,
    );
  }
  // The run lasts the whole last interval, as a real agent would idle until the next one.
  const end = wallStart + INTERVALS * INTERVAL_S * 1000;
  if (end > performance.now()) await new Promise((r) => setTimeout(r, end - performance.now()));
  clearInterval(sampler);
  const cpu = process.cpuUsage(cpuStart);
  const wallS = (performance.now() - wallStart) / 1000;
  const cpuS = (cpu.user + cpu.system) / 1e6;
  console.log(rows.join('\n'));
  console.log(
    `routes ${ROUTES}, interval ${INTERVAL_S} s x ${INTERVALS}, concurrency ${CONCURRENCY}, missed intervals ${missed}`,
  );
  console.log(
    `CPU ${cpuS.toFixed(2)} s over ${wallS.toFixed(1)} s wall = ${((100 * cpuS) / wallS).toFixed(1)}% of one core; ` +
      `${((cpuS * 1000) / (ROUTES * INTERVALS)).toFixed(3)} ms CPU per probe`,
  );
  console.log(
    `RSS peak ${mib(peakRss)} MiB, end ${mib(process.memoryUsage().rss)} MiB, heap used ${mib(process.memoryUsage().heapUsed)} MiB`,
  );
}

await main();
