import { projectEndpointSlice } from '../../src/kube/projections.js';
import {
  ENDPOINT_STATES,
  endpointState,
  tallyEndpoints,
  type EndpointState,
} from '../../src/inventory/endpoints-record.js';

// discovery.k8s.io/v1 EndpointConditions, from the API reference:
//   ready: "A nil value should be interpreted as "true"."
//   serving: "identical to ready except that it is set regardless of the terminating state of
//            endpoints ... If nil, consumers should defer to the ready condition."
//   terminating: "A nil value should be interpreted as "false"."
// Every combination of true / false / nil (absent) for the three conditions:
type Cond = boolean | undefined;
const table: Array<[ready: Cond, serving: Cond, terminating: Cond, state: EndpointState]> = [
  [undefined, undefined, undefined, 'ready'],
  [true, undefined, undefined, 'ready'],
  [false, undefined, undefined, 'not_ready'],
  [true, true, false, 'ready'],
  [true, false, false, 'ready'], // ready decides while not terminating (publishNotReadyAddresses may override serving)
  [false, true, false, 'not_ready'],
  [false, false, false, 'not_ready'],
  [undefined, false, false, 'ready'],
  [undefined, true, true, 'terminating_serving'],
  [false, true, true, 'terminating_serving'], // graceful shutdown: still serving, traffic still arriving
  [false, false, true, 'terminating'],
  [false, undefined, true, 'terminating'], // serving defers to ready (false)
  [true, undefined, true, 'terminating_serving'], // serving defers to ready (true)
  [undefined, undefined, true, 'terminating_serving'],
  [true, true, true, 'terminating_serving'], // ready on a terminating endpoint: publishNotReadyAddresses
  [true, false, true, 'terminating'],
  [undefined, false, true, 'terminating'],
  [false, undefined, false, 'not_ready'],
  [true, undefined, false, 'ready'],
  [undefined, true, undefined, 'ready'],
  [false, true, undefined, 'not_ready'],
];

const slice = (addressType: string, endpoints: unknown[]) =>
  projectEndpointSlice({
    metadata: {
      name: `s-${addressType}`,
      namespace: 'shop',
      labels: { 'kubernetes.io/service-name': 'web' },
    },
    addressType,
    endpoints,
  });

const ep = (pod: string, ip: string, conditions: Record<string, boolean>): unknown => ({
  addresses: [ip],
  conditions,
  targetRef: { kind: 'Pod', name: pod },
});

describe('EndpointSlice conditions, as the API reference defines them', () => {
  it.each(table)('ready=%s serving=%s terminating=%s is %s', (ready, serving, terminating, state) => {
    const conditions: Record<string, boolean> = {};
    if (ready !== undefined) conditions.ready = ready;
    if (serving !== undefined) conditions.serving = serving;
    if (terminating !== undefined) conditions.terminating = terminating;
    const e = slice('IPv4', [{ addresses: ['10.0.0.1'], conditions }])?.endpoints[0];
    expect(e && endpointState(e)).toBe(state);
  });
});

describe('dual-stack endpoints whose families disagree', () => {
  it.each<[string, Record<string, boolean>, Record<string, boolean>, EndpointState]>([
    ['not ready beats ready', { ready: true }, { ready: false }, 'not_ready'],
    [
      'terminating beats terminating_serving',
      { terminating: true, serving: true },
      { terminating: true, serving: false },
      'terminating',
    ],
    [
      'terminating_serving beats ready',
      { ready: true },
      { terminating: true, serving: true },
      'terminating_serving',
    ],
    ['not ready beats terminating', { terminating: true, serving: false }, { ready: false }, 'not_ready'],
  ])('%s, and each family is counted', (_name, v4, v6, state) => {
    const slices = [
      slice('IPv4', [ep('a', '10.0.0.1', v4)]),
      slice('IPv6', [ep('a', 'fd00::1', v6)]),
    ].flatMap((s) => (s ? [s] : []));
    const t = tallyEndpoints(slices);
    expect(t.total[state]).toBe(1);
    expect(ENDPOINT_STATES.map((s) => t.total[s])).toEqual(ENDPOINT_STATES.map((s) => (s === state ? 1 : 0)));
    expect(t.byFamily.map((f) => f.family)).toEqual(['IPv4', 'IPv6']);
    // Reversed order of the slices gives the same answer.
    expect(tallyEndpoints([...slices].reverse()).total).toEqual(t.total);
  });

  it('exports no per-family counts while the families agree', () => {
    const slices = [
      slice('IPv4', [ep('a', '10.0.0.1', { ready: true })]),
      slice('IPv6', [ep('a', 'fd00::1', { ready: true })]),
    ].flatMap((s) => (s ? [s] : []));
    expect(tallyEndpoints(slices)).toEqual({
      total: { ready: 1, not_ready: 0, terminating_serving: 0, terminating: 0 },
      byFamily: [],
    });
  });
});
