import { parsePlan, PlanHolder } from '../../src/plan/reader.js';
import { PLAN_VERSION, type Plan, type PlanInput } from '../../src/plan/schema.js';

function doc(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const plan: PlanInput = {
    version: PLAN_VERSION,
    generation: 4,
    generatedAt: '2026-01-01T00:00:00Z',
    dns: { servers: [{ name: 'kube-dns', via: 'service', address: '10.96.0.10' }] },
    agents: {
      port: 9808,
      sentinelPort: 9809,
      ring: { k: 3, vnodes: 1 },
      list: [{ node: 'node-a', address: '10.0.0.1' }],
    },
    paths: [
      {
        name: 'apiserver',
        kind: 'apiserver',
        address: '10.96.0.1',
        port: 443,
        protocol: 'TCP',
        check: 'connect',
        expected: 'allow',
      },
    ],
  };
  return { ...plan, ...overrides };
}

const text = (overrides: Record<string, unknown> = {}): string => JSON.stringify(doc(overrides));

describe('parsePlan', () => {
  test('JSON, with the schema defaults filled in', () => {
    const r = parsePlan(text(), 'cm');
    expect(r.ok).toBe(true);
    const plan = (r as { plan: Plan }).plan;
    expect(plan.clusterDomain).toBe('cluster.local');
    expect(plan.dns.servers[0]?.port).toBe(53);
    expect(plan.paths[0]?.decidedBy).toBe('');
    expect(plan.agents.neighbourExpected).toBe('unknown');
  });

  test('YAML (a standalone plan file) parses to the same plan', () => {
    const yaml = [
      `version: ${PLAN_VERSION}`,
      'generation: 4',
      "generatedAt: '2026-01-01T00:00:00Z'",
      'dns:',
      '  servers:',
      '    - { name: kube-dns, via: service, address: 10.96.0.10 }',
      'agents:',
      '  port: 9808',
      '  sentinelPort: 9809',
      '  ring: { k: 3, vnodes: 1 }',
      '  list: [{ node: node-a, address: 10.0.0.1 }]',
      'paths:',
      '  - { name: apiserver, kind: apiserver, address: 10.96.0.1, port: 443, protocol: TCP, check: connect, expected: allow }',
    ].join('\n');
    expect(parsePlan(yaml, 'plan.yaml')).toEqual(parsePlan(text(), 'cm'));
  });

  test.each([
    ['not JSON or YAML', '{"version": 1,', /^cm: not valid JSON or YAML: /],
    ['empty', '', /^cm: \(root\): Invalid input: expected object, received null$/],
    ['a list', '[1, 2]', /^cm: \(root\): Invalid input: expected object, received array$/],
    [
      'a bad address',
      text({ dns: { servers: [{ name: 'x', via: 'replica', address: '' }] } }),
      /^cm: dns\.servers\.0\.address: /,
    ],
    [
      'a port out of range',
      text({ agents: { ...(doc().agents as object), port: 70000 } }),
      /^cm: agents\.port: Too big/,
    ],
    ['an unknown key', text({ extra: true }), /^cm: extra: unknown key/],
    [
      'an unknown path kind',
      text({ paths: [{ ...(doc().paths as object[])[0], kind: 'teleport' }] }),
      /^cm: paths\.0\.kind: Invalid option/,
    ],
  ])('refuses %s, naming the source and the key', (_what, input, message) => {
    const r = parsePlan(input, 'cm');
    expect(r.ok).toBe(false);
    expect((r as { error: string }).error).toMatch(message);
  });

  test.each([PLAN_VERSION + 1, 0, '1'])(
    'a plan of version %j is refused for its version alone, with a clear reason',
    (version) => {
      // A future version may also change other keys: those must not bury the one real cause.
      expect(parsePlan(text({ version, newSection: {} }), 'cm')).toEqual({
        ok: false,
        error: `cm: version: plan version ${JSON.stringify(version)} is not supported by this netprobe (it reads version ${PLAN_VERSION}); run the same netprobe version in the cluster and node roles`,
      });
    },
  );

  test('a plan without a version is refused by the schema', () => {
    const { version: _omitted, ...rest } = doc();
    const r = parsePlan(JSON.stringify(rest), 'cm');
    expect((r as { error: string }).error).toMatch(/^cm: version: /);
  });

  test('an unknown key names the plan schema, not the config docs', () => {
    const r = parsePlan(text({ surprise: 1 }), 'cm');
    expect((r as { error: string }).error).toBe(
      'cm: surprise: unknown key (expected one of the documented keys, see src/plan/schema.ts)',
    );
  });
});

describe('PlanHolder', () => {
  test('no plan until a valid one is offered', () => {
    const holder = new PlanHolder();
    expect(holder.offer('{}', 'cm').ok).toBe(false);
    expect(holder.plan).toBeUndefined();
    expect(holder.acceptedAt).toBe(0);
  });

  test('keeps the last good plan when a bad one arrives, and says why the bad one was refused', () => {
    const holder = new PlanHolder();
    const seen: number[] = [];
    holder.onChange((p) => seen.push(p.generation));
    expect(holder.offer(text(), 'cm').ok).toBe(true);
    const acceptedAt = holder.acceptedAt;
    expect(acceptedAt).toBeGreaterThan(0);

    const bad = holder.offer(text({ generation: 5, version: PLAN_VERSION + 1 }), 'cm');
    expect(bad).toEqual({
      ok: false,
      error: expect.stringContaining(`plan version ${PLAN_VERSION + 1} is not supported`),
    });
    expect(holder.plan?.generation).toBe(4);
    expect(holder.acceptedAt).toBe(acceptedAt);

    expect(holder.offer('not: [valid', 'cm').ok).toBe(false);
    expect(holder.plan?.generation).toBe(4);
    expect(seen).toEqual([4]);

    expect(holder.offer(text({ generation: 6 }), 'cm').ok).toBe(true);
    expect(holder.plan?.generation).toBe(6);
    expect(seen).toEqual([4, 6]);
  });

  test('the same plan offered again is accepted without notifying the features', () => {
    const holder = new PlanHolder();
    const seen: number[] = [];
    holder.onChange((p) => seen.push(p.generation));
    holder.offer(text(), 'file');
    expect(holder.offer(text(), 'file').ok).toBe(true);
    // Same content in another formatting is still the same plan.
    expect(holder.offer(JSON.stringify(doc(), null, 2), 'file').ok).toBe(true);
    expect(seen).toEqual([4]);
  });
});
