import { judgeDns, slowThreshold, type ServerSample } from '../../src/doctor/dns.js';
import type { DnsResult } from '../../src/probers/dns.js';

const ok = (seconds: number): DnsResult => ({
  outcome: 'success',
  durationSeconds: seconds,
  queries: 1,
  answers: 1,
});
const fail = (outcome: DnsResult['outcome']): DnsResult => ({
  outcome,
  durationSeconds: 1,
  queries: 1,
  answers: 0,
});

const service = (results: DnsResult[]): ServerSample => ({
  server: { name: 'kube-dns', via: 'service', address: '127.0.10.10', port: 53 },
  results,
});
const replica = (name: string, results: DnsResult[]): ServerSample => ({
  server: { name, via: 'replica', address: '127.0.10.1', port: 53 },
  results,
});
const fqdn = 'kubernetes.default.svc.cluster.local';
const judge = (samples: ServerSample[]) =>
  judgeDns(samples, fqdn, 'kube-system/kube-dns').map(
    (f) => `${f.severity} ${f.code} ${f.object.kind} ${f.object.name}`,
  );
const times = (n: number, r: DnsResult): DnsResult[] => Array.from({ length: n }, () => r);

describe('DNS judgement', () => {
  it('reads NXDOMAIN from every server as a wrong cluster domain, not as failing servers', () => {
    expect(judge([service(times(3, fail('nxdomain'))), replica('a', times(3, fail('nxdomain')))])).toEqual([
      'warning dns-cluster-domain-mismatch Service kube-dns',
    ]);
  });

  it('still fails one replica that answers NXDOMAIN while the others resolve the name', () => {
    expect(judge([replica('a', times(3, ok(0.001))), replica('b', times(3, fail('nxdomain')))])).toEqual([
      'critical dns-server-failing Pod b',
    ]);
  });

  it('counts the servers it asked when none answers, with no Service', () => {
    const [f] = judgeDns(
      [replica('a', times(2, fail('timeout'))), replica('b', times(2, fail('timeout')))],
      fqdn,
      'kube-system/kube-dns',
    );
    expect(f?.problem).toContain('(2 replica(s))');
  });

  it('finds nothing when every server answers quickly', () => {
    expect(
      judge([
        service(times(5, ok(0.001))),
        replica('a', times(5, ok(0.001))),
        replica('b', times(5, ok(0.002))),
      ]),
    ).toEqual([]);
  });

  it('flags a replica slower than 100 ms and 3x the fastest replica', () => {
    expect(
      judge([
        service(times(5, ok(0.001))),
        replica('a', times(5, ok(0.001))),
        replica('b', times(5, ok(0.15))),
      ]),
    ).toEqual(['warning dns-server-slow Pod b']);
  });

  it('does not flag replicas that are all far away (the factor) or close together under the floor', () => {
    expect(judge([replica('a', times(5, ok(0.2))), replica('b', times(5, ok(0.25)))])).toEqual([]);
    expect(judge([replica('a', times(5, ok(0.0002))), replica('b', times(5, ok(0.05)))])).toEqual([]);
    expect(slowThreshold([replica('a', times(3, ok(0.2)))])).toBeCloseTo(0.6);
    expect(slowThreshold([replica('a', times(3, ok(0.001)))])).toBe(0.1);
  });

  it('uses the median, so one slow lookup does not make a replica slow', () => {
    expect(
      judge([replica('a', times(5, ok(0.001))), replica('b', [ok(0.9), ...times(4, ok(0.001))])]),
    ).toEqual([]);
  });

  it('a replica that fails every lookup is critical; one that fails some is a warning', () => {
    expect(
      judge([
        service(times(5, ok(0.001))),
        replica('a', times(5, fail('servfail'))),
        replica('b', [fail('timeout'), ...times(4, ok(0.001))]),
      ]),
    ).toEqual(['critical dns-server-failing Pod a', 'warning dns-server-flaky Pod b']);
  });

  it('NXDOMAIN for kubernetes.default through the Service is critical', () => {
    const f = judgeDns(
      [service(times(3, fail('nxdomain'))), replica('a', times(3, ok(0.001)))],
      fqdn,
      'kube-system/kube-dns',
    );
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({
      severity: 'critical',
      code: 'dns-server-failing',
      object: { kind: 'Service', name: 'kube-dns' },
    });
    expect(f[0]?.problem).toContain('3 nxdomain');
  });

  it('when nothing answers at all, says it may be this machine, not DNS (warning, once)', () => {
    expect(judge([service(times(3, fail('timeout'))), replica('a', times(3, fail('timeout')))])).toEqual([
      'warning dns-unreachable-from-here Service kube-dns',
    ]);
  });
});
