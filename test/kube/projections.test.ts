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
    });
  });

  it('skips objects without a name', () => {
    expect(projectPod({ metadata: { namespace: 'x' } })).toBeUndefined();
  });
});
