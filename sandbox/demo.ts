// `npm run demo`: the sandbox cluster with every classic failure planted (or none with --healthy),
// both netprobe roles running against it, and a summary of where to look. Runs until Ctrl-C.
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { loadConfig } from '../src/config/load.js';
import { runDoctor } from '../src/doctor/runner.js';
import { sanitize, summaryLine } from '../src/doctor/render.js';
import { createLogger } from '../src/log/logger.js';
import { existsSync } from 'node:fs';
import { PLANTED_FAULTS } from './seed.js';
import { startSandbox, type Sandbox } from './cluster.js';
import {
  SHIPPED_RULE_FILE,
  sandboxScrapeJobs,
  startPrometheus,
  type PrometheusHandle,
} from './prometheus.js';

const { values } = parseArgs({
  options: {
    healthy: { type: 'boolean', default: false },
    'log-level': { type: 'string', default: 'error' },
    listen: { type: 'string', default: '127.0.0.1:9807' },
    'prometheus-listen': { type: 'string', default: '127.0.0.1:9806' },
    'prometheus-binary': { type: 'string', default: '/usr/bin/prometheus' },
  },
});
const healthy = values.healthy ?? false;
const level =
  values['log-level'] === 'debug' || values['log-level'] === 'info' || values['log-level'] === 'warn'
    ? values['log-level']
    : 'error';
const out = (s = ''): void => void process.stdout.write(`${s}\n`);

/** What `netprobe doctor` finds on the running sandbox: the proof that the faults are detected. */
async function doctorSummary(sandbox: Sandbox): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(sandbox.kubeconfigPath);
  const report = await runDoctor({
    kubeConfig: kc,
    config: loadConfig(sandbox.configPath, {}),
    configGiven: true,
  });
  out('netprobe doctor, run once against the sandbox:');
  for (const f of report.findings.filter((x) => x.severity !== 'info')) {
    const obj = `${f.object.kind} ${f.object.namespace ? `${f.object.namespace}/` : ''}${f.object.name}`;
    out(sanitize(`  ${f.severity.padEnd(8)} ${obj}: ${f.problem}`));
  }
  out(`  ${summaryLine(report)}`);
}

/** Prometheus (Debian's package) with the shipped rules, scraping both roles; absent, the demo goes on without it. */
async function startDemoPrometheus(sb: Sandbox): Promise<PrometheusHandle | undefined> {
  const binary = values['prometheus-binary'] ?? '/usr/bin/prometheus';
  if (!existsSync(binary)) {
    out(
      `  Prometheus            not started: ${binary} is missing (Debian package prometheus; npm run demo installs it as root)`,
    );
    return undefined;
  }
  try {
    const prom = await startPrometheus({
      binary,
      scrape: sandboxScrapeJobs(sb),
      ruleFiles: [SHIPPED_RULE_FILE],
      scrapeInterval: 5,
      evaluationInterval: 5,
      listen: values['prometheus-listen'] ?? '127.0.0.1:9806',
    });
    out(`  Prometheus            ${prom.url}/alerts   shipped rules, scraping both roles every 5 s`);
    return prom;
  } catch (err) {
    out(
      `  Prometheus            not started: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
    );
    return undefined;
  }
}

const sandbox = await startSandbox({
  healthy,
  logger: createLogger(level),
  clusterListen: values.listen ?? '127.0.0.1:9807',
});
out(
  `netprobe sandbox is running (${healthy ? 'healthy: no faults planted' : `${PLANTED_FAULTS.length} faults planted, listed in sandbox/seed.ts`}).`,
);
out();
out(`  fake Kubernetes API   ${sandbox.urls.api}   (kubeconfig: ${sandbox.kubeconfigPath})`);
out(`  ingress controller    ${sandbox.urls.ingressHttp}  ${sandbox.urls.ingressHttps}`);
out(`  CoreDNS replicas      127.0.10.1, 127.0.10.2 (Service 127.0.10.10), port ${sandbox.dnsPort}`);
out();
out(`  cluster role          ${sandbox.urls.cluster}/          status page  (/metrics, /status)`);
sandbox.urls.nodes.forEach((u, i) =>
  out(`  node role (node-${'ab'[i] ?? i})    ${u}/          status page  (/metrics, /status)`),
);
const prometheus = await startDemoPrometheus(sandbox);
out();
try {
  await doctorSummary(sandbox);
} catch (err) {
  out(`netprobe doctor failed: ${err instanceof Error ? err.message : String(err)}`);
}
out();
out(`Try: npm run netprobe -- doctor --kubeconfig ${sandbox.kubeconfigPath} --config ${sandbox.configPath}`);
out(`     curl -s ${sandbox.urls.nodes[0] ?? ''}/metrics | grep netprobe_dns_lookups_total`);
out('Press Ctrl-C to stop.');

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  out('\nstopping...');
  void Promise.resolve(prometheus?.stop())
    .then(() => sandbox.stop())
    .then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
