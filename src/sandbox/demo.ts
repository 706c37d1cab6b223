// `npm run demo`: the sandbox cluster with every classic failure planted (or none with --healthy),
// both netprobe roles running against it, and a summary of where to look. Runs until Ctrl-C.
import { parseArgs } from 'node:util';
import { createLogger } from '../log/logger.js';
import { PLANTED_FAULTS } from './seed.js';
import { startSandbox } from './cluster.js';

const { values } = parseArgs({
  options: {
    healthy: { type: 'boolean', default: false },
    'log-level': { type: 'string', default: 'error' },
    listen: { type: 'string', default: '127.0.0.1:9807' },
  },
});
const healthy = values.healthy ?? false;
const level =
  values['log-level'] === 'debug' || values['log-level'] === 'info' || values['log-level'] === 'warn'
    ? values['log-level']
    : 'error';

const sandbox = await startSandbox({
  healthy,
  logger: createLogger(level),
  clusterListen: values.listen ?? '127.0.0.1:9807',
});
const out = (s = ''): void => void process.stdout.write(`${s}\n`);
out(
  `netprobe sandbox is running (${healthy ? 'healthy: no faults planted' : `${PLANTED_FAULTS.length} faults planted`}).`,
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
if (!healthy) {
  out();
  out('Planted faults netprobe should find:');
  for (const f of PLANTED_FAULTS) out(`  - ${f}`);
}
out();
out(`Try: curl -s ${sandbox.urls.nodes[0] ?? ''}/metrics | grep netprobe_dns_lookups_total`);
out(
  `     npx tsx src/cli.ts policy lint --snapshot <(kubectl --kubeconfig ${sandbox.kubeconfigPath} get ns,pods,svc,netpol,ingress -A -o yaml)`,
);
out('Press Ctrl-C to stop.');

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  out('\nstopping...');
  void sandbox.stop().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
