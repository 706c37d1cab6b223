import { projectPod } from '../../src/kube/projections.js';

const pod = (name: string): unknown => ({
  metadata: { name, namespace: 'shop', resourceVersion: '7', labels: { app: 'web', tier: 'front' } },
  spec: {
    nodeName: 'node-a',
    containers: [
      {
        name: 'c',
        ports: [
          { name: 'http', containerPort: 8080 },
          { containerPort: 9090, protocol: 'UDP' },
        ],
      },
    ],
  },
  status: { phase: 'Running', podIPs: [{ ip: '10.0.0.1' }], conditions: [{ type: 'Ready', status: 'True' }] },
});

describe('projectPod', () => {
  it('projects the fields the inventory uses', () => {
    expect(projectPod(pod('web-1'))).toEqual({
      metadata: {
        name: 'web-1',
        namespace: 'shop',
        resourceVersion: '7',
        labels: { app: 'web', tier: 'front' },
      },
      nodeName: 'node-a',
      phase: 'Running',
      ready: true,
      terminating: false,
      ips: ['10.0.0.1'],
      ports: [
        { name: 'http', port: 8080, protocol: 'TCP' },
        { port: 9090, protocol: 'UDP' },
      ],
      hostNetwork: false,
      unreadyContainers: [],
    });
  });

  it('skips objects without a name', () => {
    expect(projectPod({ metadata: { namespace: 'x' } })).toBeUndefined();
  });

  // Native sidecars (initContainers with restartPolicy: Always) serve ports and hold Ready back
  // like containers do; an ordinary init container has exited and counts for neither.
  const withSidecar = (sidecarReady: boolean, conditions?: unknown[]): unknown => ({
    metadata: { name: 'web-2', namespace: 'shop' },
    spec: {
      containers: [{ name: 'app', ports: [{ name: 'http', containerPort: 8080 }] }],
      initContainers: [
        { name: 'migrate', ports: [{ name: 'admin', containerPort: 7000 }] },
        { name: 'proxy', restartPolicy: 'Always', ports: [{ name: 'admin', containerPort: 15000 }] },
      ],
    },
    status: {
      phase: 'Running',
      podIPs: [{ ip: '10.0.0.2' }],
      containerStatuses: [{ name: 'app', ready: true }],
      initContainerStatuses: [
        { name: 'migrate', ready: false },
        { name: 'proxy', ready: sidecarReady },
      ],
      ...(conditions ? { conditions } : {}),
    },
  });

  it('resolves ports against containers and native sidecars, not ordinary init containers', () => {
    expect(projectPod(withSidecar(true))?.ports).toEqual([
      { name: 'http', port: 8080, protocol: 'TCP' },
      { name: 'admin', port: 15000, protocol: 'TCP' },
    ]);
  });

  it.each([
    ['all ready, no Ready condition yet', true, undefined, true, []],
    ['sidecar not ready, no Ready condition yet', false, undefined, false, ['proxy']],
    [
      'sidecar not ready, the kubelet says Ready=False',
      false,
      [{ type: 'Ready', status: 'False' }],
      false,
      ['proxy'],
    ],
    ['the kubelet says Ready=True', true, [{ type: 'Ready', status: 'True' }], true, []],
  ])('readiness as the kubelet counts it: %s', (_name, sidecarReady, conditions, ready, unready) => {
    const p = projectPod(withSidecar(sidecarReady, conditions));
    expect(p?.ready).toBe(ready);
    expect(p?.unreadyContainers).toEqual(unready);
  });
});
