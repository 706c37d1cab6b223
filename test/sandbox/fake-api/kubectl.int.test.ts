import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startFakeApi, type FakeApi } from '../../../sandbox/fake-api/index.js';

const run = promisify(execFile);

// kubectl (client-go) sends credentials only over TLS, so this uses the HTTPS server.
describe('kubectl against the fake API', () => {
  let api: FakeApi;
  let dir: string;
  let kubeconfig: string;
  const kubectl = async (...args: string[]): Promise<string> =>
    (
      await run('kubectl', ['--kubeconfig', kubeconfig, '--request-timeout=10s', ...args], {
        encoding: 'utf8',
      })
    ).stdout;

  beforeAll(async () => {
    api = await startFakeApi({ tls: true });
    dir = await mkdtemp(join(tmpdir(), 'fake-api-kubectl-'));
    kubeconfig = join(dir, 'kubeconfig');
    await api.writeKubeconfig(kubeconfig);
    api.store.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'netprobe' } });
    api.store.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'netprobe-plan', namespace: 'netprobe' },
    });
  });
  afterAll(async () => {
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists resources through discovery', async () => {
    const out = await kubectl('api-resources', '-o', 'name');
    expect(out.trim().split('\n').sort()).toEqual([
      'configmaps',
      'endpointslices.discovery.k8s.io',
      'ingressclasses.networking.k8s.io',
      'ingresses.networking.k8s.io',
      'leases.coordination.k8s.io',
      'namespaces',
      'networkpolicies.networking.k8s.io',
      'nodes',
      'pods',
      'services',
    ]);
    expect(await kubectl('get', 'configmaps', '-A', '-o', 'name')).toBe('configmap/netprobe-plan\n');
  });

  it('applies and deletes a manifest (without OpenAPI validation, which the fake does not serve)', async () => {
    const file = join(dir, 'np.json');
    const policy = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'default-deny', namespace: 'netprobe' },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    };
    await writeFile(file, JSON.stringify(policy));
    expect(await kubectl('apply', '--validate=false', '-f', file)).toContain('created');
    expect(api.store.get('NetworkPolicy', 'netprobe', 'default-deny')?.spec).toEqual(policy.spec);
    expect(await kubectl('apply', '--validate=false', '-f', file)).toContain('unchanged');
    await kubectl('delete', '-f', file);
    expect(api.store.get('NetworkPolicy', 'netprobe', 'default-deny')).toBeUndefined();
  });
});
