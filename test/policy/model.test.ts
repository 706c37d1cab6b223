import { convertObject, toPodInfo, toPolicyInfo } from '../../src/policy/model.js';

function policy(spec: unknown): unknown {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'p', namespace: 'app' },
    spec,
  };
}

describe('toPolicyInfo', () => {
  it('projects the spec, dropping nulls and unknown fields', () => {
    const info = toPolicyInfo({
      kind: 'NetworkPolicy',
      metadata: { name: 'p', namespace: 'app', creationTimestamp: null, annotations: { a: 'b' } },
      spec: {
        podSelector: { matchLabels: { app: 'db' } },
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [{ ipBlock: { cidr: '172.17.0.0/16', except: ['172.17.1.0/24'] } }],
            ports: [{ protocol: 'TCP', port: 6379 }],
          },
        ],
      },
    });
    expect(info).toEqual({
      namespace: 'app',
      name: 'p',
      podSelector: { matchLabels: { app: 'db' } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [{ ipBlock: { cidr: '172.17.0.0/16', except: ['172.17.1.0/24'] } }],
          ports: [{ protocol: 'TCP', port: 6379 }],
        },
      ],
    });
  });

  it('keeps an empty egress list apart from a missing one', () => {
    expect(toPolicyInfo(policy({ podSelector: {}, egress: [] })).egress).toEqual([]);
    expect(toPolicyInfo(policy({ podSelector: {} })).egress).toBeUndefined();
  });

  it('defaults the namespace of objects written without one to "default"', () => {
    expect(
      toPolicyInfo({ kind: 'NetworkPolicy', metadata: { name: 'p' }, spec: { podSelector: {} } }).namespace,
    ).toBe('default');
  });

  it.each([
    [
      { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/33' } }] }] },
      'NetworkPolicy app/p: spec.ingress[0].from[0].ipBlock.cidr: invalid CIDR',
    ],
    [
      { podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/16', except: ['10.1.0.0/24'] } }] }] },
      'NetworkPolicy app/p: spec.egress[0].to[0].ipBlock.except[0]: 10.1.0.0/24 is outside cidr 10.0.0.0/16',
    ],
    [
      { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }] }] },
      'NetworkPolicy app/p: spec.ingress[0].from[0]: ipBlock may not be combined with podSelector or namespaceSelector',
    ],
    [
      { podSelector: {}, ingress: [{ from: [{}] }] },
      'NetworkPolicy app/p: spec.ingress[0].from[0]: must specify a peer (podSelector, namespaceSelector or ipBlock)',
    ],
    [
      { podSelector: {}, ingress: [{ ports: [{ port: 70000 }] }] },
      'NetworkPolicy app/p: spec.ingress[0].ports[0].port: Too big: expected number to be <=65535',
    ],
    [
      { podSelector: {}, ingress: [{ ports: [{ port: 90, endPort: 80 }] }] },
      'NetworkPolicy app/p: spec.ingress[0].ports[0].endPort: endPort must be equal to or greater than port',
    ],
    [
      { podSelector: {}, ingress: [{ ports: [{ port: 'http', endPort: 80 }] }] },
      'NetworkPolicy app/p: spec.ingress[0].ports[0].endPort: endPort requires a numeric port',
    ],
    [
      { podSelector: {}, ingress: [{ ports: [{ protocol: 'ICMP' }] }] },
      'NetworkPolicy app/p: spec.ingress[0].ports[0].protocol: Invalid option: expected one of "TCP"|"UDP"|"SCTP"',
    ],
    [
      { podSelector: { matchExpressions: [{ key: 'a', operator: 'In' }] } },
      'NetworkPolicy app/p: spec.podSelector.matchExpressions[0]: operator In requires values',
    ],
    [
      { podSelector: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] } },
      'NetworkPolicy app/p: spec.podSelector.matchExpressions[0]: operator Exists takes no values',
    ],
    [
      { podSelector: {}, policyTypes: ['Both'] },
      'NetworkPolicy app/p: spec.policyTypes[0]: Invalid option: expected one of "Ingress"|"Egress"',
    ],
  ])('rejects %j', (spec, message) => {
    expect(() => toPolicyInfo(policy(spec))).toThrow(message);
  });

  it('rejects a policy without spec, naming it', () => {
    expect(() => toPolicyInfo({ kind: 'NetworkPolicy', metadata: { name: 'p', namespace: 'app' } })).toThrow(
      'NetworkPolicy app/p: spec: Invalid input: expected object, received undefined',
    );
  });
});

describe('toPodInfo', () => {
  it('takes IPs from podIP and podIPs, ports from containers and init containers', () => {
    const pod = toPodInfo({
      kind: 'Pod',
      metadata: { name: 'web-1', namespace: 'app', labels: { app: 'web' } },
      spec: {
        containers: [
          {
            name: 'web',
            ports: [
              { name: 'http', containerPort: 8080 },
              { containerPort: 53, protocol: 'UDP' },
            ],
          },
        ],
        // A native sidecar serves ports; an ordinary init container has exited before serving.
        initContainers: [
          { name: 'migrate', ports: [{ name: 'admin', containerPort: 7000 }] },
          { name: 'proxy', restartPolicy: 'Always', ports: [{ name: 'admin', containerPort: 15000 }] },
        ],
      },
      status: { phase: 'Running', podIP: '10.0.0.5', podIPs: [{ ip: '10.0.0.5' }, { ip: 'fd00::5' }] },
    });
    expect(pod).toEqual({
      namespace: 'app',
      name: 'web-1',
      labels: { app: 'web' },
      ips: ['10.0.0.5', 'fd00::5'],
      ports: [
        { name: 'http', port: 8080, protocol: 'TCP' },
        { port: 53, protocol: 'UDP' },
        { name: 'admin', port: 15000, protocol: 'TCP' },
      ],
      phase: 'Running',
    });
  });

  it('marks Succeeded and Failed pods terminal, and host-network pods', () => {
    const pod = toPodInfo({
      kind: 'Pod',
      metadata: { name: 'job', namespace: 'a' },
      spec: { hostNetwork: true, containers: [] },
      status: { phase: 'Succeeded' },
    });
    expect(pod.terminal).toBe(true);
    expect(pod.hostNetwork).toBe(true);
  });

  it('rejects a bad pod IP, naming the pod', () => {
    expect(() =>
      toPodInfo({ kind: 'Pod', metadata: { name: 'p', namespace: 'a' }, status: { podIP: '10.0.0.300' } }),
    ).toThrow('Pod a/p: status.podIPs: invalid IP "10.0.0.300"');
  });
});

describe('convertObject', () => {
  it('ignores kinds the engine does not use', () => {
    expect(convertObject({ kind: 'ConfigMap', metadata: { name: 'c' } })).toBeUndefined();
  });

  it('reads Services and Ingress backends', () => {
    expect(
      convertObject({
        kind: 'Service',
        metadata: { name: 's', namespace: 'a' },
        spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
      }),
    ).toEqual({
      kind: 'Service',
      value: {
        namespace: 'a',
        name: 's',
        selector: { app: 'web' },
        ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
      },
    });
    expect(
      convertObject({
        kind: 'Ingress',
        metadata: { name: 'i', namespace: 'a' },
        spec: {
          defaultBackend: { service: { name: 'fallback', port: { number: 8080 } } },
          rules: [
            {
              host: 'shop.example',
              http: { paths: [{ path: '/', backend: { service: { name: 's', port: { name: 'http' } } } }] },
            },
          ],
        },
      }),
    ).toEqual({
      kind: 'Ingress',
      value: {
        namespace: 'a',
        name: 'i',
        backends: [
          { service: 'fallback', port: 8080 },
          { service: 's', port: 'http', host: 'shop.example', path: '/' },
        ],
      },
    });
  });

  it('rejects an object without kind', () => {
    expect(() => convertObject({ metadata: { name: 'n' } })).toThrow('object n: kind: missing kind');
  });
});
