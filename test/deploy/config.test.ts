// The default config shipped in the netprobe-config ConfigMap: it must load, say what the
// defaults are, and agree with the ports and labels of the manifests that mount it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IDaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { loadConfig } from '../../src/config/load.js';
import { as, parseYamlDocuments, REPO } from './manifests.js';

const file = join(REPO, 'deploy', 'base', 'config.yaml');
const read = (name: string): string => readFileSync(join(REPO, 'deploy', 'base', name), 'utf8');
const daemonSet = as<IDaemonSet>(
  parseYamlDocuments(read('daemonset-node.yaml'))[0] ?? { apiVersion: '', kind: '', metadata: {} },
  'DaemonSet',
);
const deployment = as<IDeployment>(
  parseYamlDocuments(read('deployment-cluster.yaml'))[0] ?? { apiVersion: '', kind: '', metadata: {} },
  'Deployment',
);
const portsOf = (spec: IDaemonSet['spec'] | IDeployment['spec']): Record<string, number> =>
  Object.fromEntries(
    (spec?.template.spec?.containers[0]?.ports ?? []).map((p) => [p.name ?? '', p.containerPort]),
  );

describe('deploy/base/config.yaml', () => {
  const config = loadConfig(file, {});

  test('loads and states exactly the built-in defaults', () => {
    expect(config).toEqual(loadConfig(undefined, {}));
  });

  test('ports agree with the container ports', () => {
    const listenPort = Number(config.listen.split(':').pop());
    expect(portsOf(daemonSet.spec)).toEqual({
      metrics: listenPort,
      sentinel: config.node.sentinelPort,
      neighbour: config.node.neighbourPort,
    });
    expect(portsOf(deployment.spec)).toEqual({ metrics: listenPort });
    // Neighbour probes have a port of their own: a partition of that path never blinds scrapes.
    expect(config.node.neighbourPort).not.toBe(listenPort);
  });

  test('the cluster role finds node agents by the DaemonSet pod labels', () => {
    expect(daemonSet.spec?.template.metadata?.labels).toMatchObject(config.cluster.agentLabels);
    expect(config.cluster.namespace).toBe('netprobe');
  });

  test('the downward API fills in what the file leaves out', () => {
    const fromEnv = loadConfig(file, { NODE_NAME: 'node-1', POD_NAMESPACE: 'observability' });
    expect([fromEnv.node.name, fromEnv.cluster.namespace]).toEqual(['node-1', 'observability']);
  });

  test('the shutdown grace fits in the pod termination grace period', () => {
    for (const spec of [daemonSet.spec, deployment.spec]) {
      expect(spec?.template.spec?.terminationGracePeriodSeconds).toBeGreaterThan(config.shutdownGrace);
    }
  });
});
