import {
  clusterDomainFromSearch,
  expandName,
  parseResolvConf,
  searchCandidates,
} from '../../src/probers/resolv.js';

const K8S_SEARCH = ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'];

describe('parseResolvConf', () => {
  it('reads a Kubernetes pod resolv.conf', () => {
    const conf = parseResolvConf(
      'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n',
    );
    expect(conf).toMatchObject({
      nameservers: ['10.96.0.10'],
      search: K8S_SEARCH,
      ndots: 5,
      timeoutSeconds: 5,
      attempts: 2,
    });
  });

  const cases: { name: string; text: string; hostname?: string; expected: Record<string, unknown> }[] = [
    {
      name: 'defaults',
      text: '',
      expected: { nameservers: ['127.0.0.1'], search: [], ndots: 1, timeoutSeconds: 5, attempts: 2 },
    },
    {
      name: 'last search line wins',
      text: 'search a.example b.example\nsearch c.example\n',
      expected: { search: ['c.example'] },
    },
    {
      name: 'domain after search wins',
      text: 'search a.example b.example\ndomain d.example\n',
      expected: { search: ['d.example'] },
    },
    {
      name: 'search after domain wins',
      text: 'domain d.example\nsearch a.example\n',
      expected: { search: ['a.example'] },
    },
    {
      name: 'domain keeps only its first word',
      text: 'domain d.example e.example\n',
      expected: { search: ['d.example'] },
    },
    {
      name: 'an empty search line is ignored',
      text: 'search a.example\nsearch   \n',
      expected: { search: ['a.example'] },
    },
    {
      name: 'tabs separate search entries',
      text: 'search\ta.example\t b.example\n',
      expected: { search: ['a.example', 'b.example'] },
    },
    {
      name: 'more than six search domains are kept (glibc >= 2.26)',
      text: 'search a b c d e f g h\n',
      expected: { search: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'] },
    },
    {
      name: 'comment lines',
      text: '# search x\n; nameserver 10.0.0.9\nnameserver 10.0.0.1\n',
      expected: { nameservers: ['10.0.0.1'], search: [] },
    },
    {
      name: 'a keyword needs a blank after it',
      text: 'searchx a.example\nnameserver10.0.0.1\n',
      expected: { search: [], nameservers: ['127.0.0.1'] },
    },
    {
      name: 'indented lines are ignored',
      text: ' nameserver 10.0.0.1\n',
      expected: { nameservers: ['127.0.0.1'] },
    },
    {
      name: 'at most three nameservers, invalid ones skipped, IPv6 zone dropped',
      text: 'nameserver bogus\nnameserver 10.0.0.1 # primary\nnameserver fe80::1%eth0\nnameserver 10.0.0.2\nnameserver 10.0.0.3\n',
      expected: { nameservers: ['10.0.0.1', 'fe80::1', '10.0.0.2'] },
    },
    { name: 'ndots capped at 15', text: 'options ndots:20\n', expected: { ndots: 15 } },
    { name: 'ndots:0', text: 'options ndots:0\n', expected: { ndots: 0 } },
    { name: 'ndots without digits is 0 (atoi)', text: 'options ndots:x\n', expected: { ndots: 0 } },
    {
      name: 'timeout and attempts capped at 30 and 5',
      text: 'options timeout:99 attempts:9\n',
      expected: { timeoutSeconds: 30, attempts: 5 },
    },
    {
      name: 'later options override earlier ones',
      text: 'options ndots:2 timeout:1\noptions ndots:3\n',
      expected: { ndots: 3, timeoutSeconds: 1 },
    },
    {
      name: 'flag options',
      text: 'options rotate edns0 use-vc no-tld-query\n',
      expected: { rotate: true, edns0: true, useVc: true, noTldQuery: true },
    },
    {
      name: 'search list from the hostname when none is given',
      text: '',
      hostname: 'node1.corp.example',
      expected: { search: ['corp.example'] },
    },
    {
      name: 'a dotless hostname gives no search list',
      text: '',
      hostname: 'node1',
      expected: { search: [] },
    },
    {
      name: 'the file beats the hostname',
      text: 'search a.example\n',
      hostname: 'node1.corp.example',
      expected: { search: ['a.example'] },
    },
  ];
  it.each(cases)('$name', ({ text, hostname, expected }) => {
    expect(parseResolvConf(text, hostname)).toMatchObject(expected);
  });
});

describe('expandName', () => {
  const cases: {
    name: string;
    query: string;
    search: string[];
    ndots: number;
    noTldQuery?: boolean;
    expected: string[];
  }[] = [
    {
      name: 'ndots:5, short name: every search suffix, then as is',
      query: 'kubernetes.default',
      search: K8S_SEARCH,
      ndots: 5,
      expected: [
        'kubernetes.default.default.svc.cluster.local',
        'kubernetes.default.svc.cluster.local',
        'kubernetes.default.cluster.local',
        'kubernetes.default',
      ],
    },
    {
      name: 'ndots:5, a full cluster name (4 dots) still goes through the search list first',
      query: 'kubernetes.default.svc.cluster.local',
      search: K8S_SEARCH,
      ndots: 5,
      expected: [
        'kubernetes.default.svc.cluster.local.default.svc.cluster.local',
        'kubernetes.default.svc.cluster.local.svc.cluster.local',
        'kubernetes.default.svc.cluster.local.cluster.local',
        'kubernetes.default.svc.cluster.local',
      ],
    },
    {
      name: 'ndots:5, more dots than ndots: as is first, then the search list',
      query: 'a.b.c.d.e.example',
      search: ['svc.cluster.local'],
      ndots: 5,
      expected: ['a.b.c.d.e.example', 'a.b.c.d.e.example.svc.cluster.local'],
    },
    {
      name: 'trailing dot: only as is',
      query: 'kubernetes.default.svc.cluster.local.',
      search: K8S_SEARCH,
      ndots: 5,
      expected: ['kubernetes.default.svc.cluster.local'],
    },
    {
      name: 'ndots:1, dotted name: as is first',
      query: 'www.example.com',
      search: ['corp.example'],
      ndots: 1,
      expected: ['www.example.com', 'www.example.com.corp.example'],
    },
    {
      name: 'ndots:1, dotless name: search first',
      query: 'intranet',
      search: ['corp.example', 'example'],
      ndots: 1,
      expected: ['intranet.corp.example', 'intranet.example', 'intranet'],
    },
    {
      name: 'empty search list, dotless name',
      query: 'intranet',
      search: [],
      ndots: 1,
      expected: ['intranet'],
    },
    {
      name: 'empty search list, dotted name',
      query: 'a.example',
      search: [],
      ndots: 5,
      expected: ['a.example'],
    },
    {
      name: 'no-tld-query: a dotless name is not tried as is',
      query: 'intranet',
      search: ['corp.example'],
      ndots: 1,
      noTldQuery: true,
      expected: ['intranet.corp.example'],
    },
    {
      name: 'no-tld-query does not apply to dotted names',
      query: 'a.b',
      search: ['corp.example'],
      ndots: 5,
      noTldQuery: true,
      expected: ['a.b.corp.example', 'a.b'],
    },
    {
      name: 'root domain in the search list stands for the as-is query',
      query: 'intranet',
      search: ['corp.example', '.'],
      ndots: 1,
      expected: ['intranet.corp.example', 'intranet'],
    },
    {
      name: 'search entries with a trailing dot',
      query: 'api',
      search: ['corp.example.'],
      ndots: 1,
      expected: ['api.corp.example', 'api'],
    },
    {
      name: 'ndots:0: as is first even without dots',
      query: 'api',
      search: ['corp.example'],
      ndots: 0,
      expected: ['api', 'api.corp.example'],
    },
  ];
  it.each(cases)('$name', ({ query, search, ndots, noTldQuery, expected }) => {
    expect(expandName(query, { search, ndots, ...(noTldQuery === undefined ? {} : { noTldQuery }) })).toEqual(
      expected,
    );
  });

  it('labels each candidate with its place in the search order', () => {
    expect(searchCandidates('a.b.c', { search: ['x'], ndots: 2 }).map((c) => c.role)).toEqual([
      'as-is-first',
      'search',
    ]);
    expect(searchCandidates('a', { search: ['x'], ndots: 2 }).map((c) => c.role)).toEqual([
      'search',
      'as-is-last',
    ]);
  });
});

describe('clusterDomainFromSearch', () => {
  const cases: { name: string; search: string[]; expected: string }[] = [
    { name: 'pod search list', search: K8S_SEARCH, expected: 'cluster.local' },
    {
      name: 'custom cluster domain',
      search: ['team.svc.k8s.corp', 'svc.k8s.corp', 'k8s.corp', 'corp'],
      expected: 'k8s.corp',
    },
    { name: 'only the namespace entry', search: ['default.svc.Cluster.Local.'], expected: 'cluster.local' },
    { name: 'no cluster entry: fallback', search: ['corp.example'], expected: 'fallback.local' },
    { name: 'empty list: fallback', search: [], expected: 'fallback.local' },
    { name: 'a bare "svc." entry is not a domain', search: ['svc.'], expected: 'fallback.local' },
  ];
  it.each(cases)('$name', ({ search, expected }) => {
    expect(clusterDomainFromSearch(search, 'fallback.local')).toBe(expected);
  });
});
