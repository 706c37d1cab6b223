// How the informers treat the API server: bookmarks on, a randomized server-side timeout, resume
// from the last resourceVersion after a watch ends or drops, relist only on 410 Gone. Counted from
// the fake API's request log.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { RestartingInformer } from '../../src/kube/informer.js';
import { projectPod } from '../../src/kube/projections.js';
import { silentLogger } from '../../src/log/logger.js';
import { startFakeApi, type FakeApi } from '../../sandbox/fake-api/index.js';
import { waitFor } from '../helpers/wait.js';

let api: FakeApi;
let inf: RestartingInformer<ReturnType<typeof projectPod> & object>;

const pod = (name: string): object => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'apps', labels: {} },
  spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x' }] },
  status: { phase: 'Running', podIP: '10.0.0.9' },
});

const podRequests = (verb: 'list' | 'watch') =>
  api.requests.filter((r) => r.resource === 'pods' && r.verb === verb && r.status === 200);

beforeAll(async () => {
  api = await startFakeApi({ bookmarkIntervalMs: 200 });
  api.store.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apps' } });
  api.store.apply(pod('a'));
  const kc = new KubeConfig();
  kc.loadFromString(api.kubeconfig());
  inf = new RestartingInformer(
    kc,
    { resource: 'pods', path: '/api/v1/pods', project: projectPod },
    // Short watches so the test sees several; production uses 300–600 s.
    { logger: silentLogger(), watchTimeoutSeconds: [1, 2] },
  );
  inf.start();
  await inf.waitForSync();
});

afterAll(async () => {
  inf.stop();
  await api.close();
});

test('every watch asks for bookmarks and a timeout in range, and resumes without relisting', async () => {
  await waitFor('three watches', () => podRequests('watch').length >= 3, 15_000, 50);
  expect(podRequests('list')).toHaveLength(1);
  for (const w of podRequests('watch')) {
    expect(w.query.allowWatchBookmarks).toBe('true');
    expect(Number(w.query.timeoutSeconds)).toBeGreaterThanOrEqual(1);
    expect(Number(w.query.timeoutSeconds)).toBeLessThanOrEqual(2);
    // Resumed from a known version, never from "" (which would be a fresh list's semantics).
    expect(w.query.resourceVersion).toMatch(/^\d+$/);
  }
  // Versions only move forward: bookmarks and events advance them between watches.
  const versions = podRequests('watch').map((w) => Number(w.query.resourceVersion));
  expect([...versions].sort((a, b) => a - b)).toEqual(versions);
});

test('a dropped watch reconnects from its resourceVersion without a list', async () => {
  const lists = podRequests('list').length;
  const watches = podRequests('watch').length;
  api.faults.dropWatches({ abrupt: true, match: (r) => r.resource === 'pods' });
  api.store.apply(pod('after-drop'));
  await waitFor('the new pod', () => inf.get('after-drop', 'apps') !== undefined, 15_000, 50);
  expect(podRequests('watch').length).toBeGreaterThan(watches);
  expect(podRequests('list')).toHaveLength(lists);
});

test('an expired resourceVersion (410 Gone) relists once', async () => {
  const lists = podRequests('list').length;
  api.faults.expireHistory();
  api.faults.dropWatches({ match: (r) => r.resource === 'pods' });
  api.store.apply(pod('after-expiry'));
  await waitFor('relisted', () => podRequests('list').length === lists + 1, 15_000, 50);
  await waitFor('the new pod', () => inf.get('after-expiry', 'apps') !== undefined, 15_000, 50);
  expect(podRequests('list')).toHaveLength(lists + 1);
});
