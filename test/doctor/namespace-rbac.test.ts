import { KubeConfig } from '@kubernetes/client-node';
import { runDoctor } from '../../src/doctor/runner.js';
import { startFakeApi, type AuthorizeRequest, type FakeApi } from '../../sandbox/fake-api/index.js';
import { defaultConfig } from './support.js';

// A user whose RBAC covers one namespace: cluster-wide LISTs are forbidden, so `doctor -n shop`
// lists that namespace instead, finds its problems, and says that its view was narrowed.
const USER = 'alice';
const onlyShop = (req: AuthorizeRequest): boolean =>
  req.user === USER && req.verb === 'list' && req.namespace === 'shop';

describe('doctor -n with RBAC for one namespace', () => {
  let api: FakeApi;
  let kc: KubeConfig;
  beforeAll(async () => {
    api = await startFakeApi({ tokens: { 'alice-token': USER }, authorize: onlyShop });
    for (const o of [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { namespace: 'shop', name: 'orders' },
        spec: { selector: { app: 'orders' }, clusterIP: '10.96.0.9', ports: [{ port: 80 }] },
      },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { namespace: 'shop', name: 'orders-1', labels: { app: 'orders-v2' } },
        spec: { containers: [{ name: 'c' }] },
        status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
      },
    ])
      api.store.apply(o);
    kc = new KubeConfig();
    kc.loadFromString(api.kubeconfig('alice-token'));
  });
  afterAll(() => api.close());

  it('without -n, every LIST is forbidden and doctor says it cannot read the cluster', async () => {
    await expect(
      runDoctor({ kubeConfig: kc, config: defaultConfig(), configGiven: false, dnsLookups: 1 }),
    ).rejects.toThrow(/cannot read the cluster: .*403/);
  });

  it('with -n shop, finds the namespace problem and reports the narrowed view', async () => {
    const report = await runDoctor({
      kubeConfig: kc,
      config: defaultConfig(),
      configGiven: false,
      namespace: 'shop',
      dnsLookups: 1,
    });
    expect(report.findings.map((f) => `${f.code} ${f.object.namespace}/${f.object.name}`)).toContain(
      'service-selector-matches-nothing shop/orders',
    );
    const narrowed = report.summary.skipped.find((s) => s.check === 'cluster-wide view');
    expect(narrowed?.reason).toBe(
      'endpointslices, ingresses, networkpolicies, pods, services listed in namespace shop only (cluster-wide LIST forbidden); checks across namespaces may miss problems',
    );
  });
});
