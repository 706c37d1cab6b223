import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runPolicyCommand } from '../../src/policy/cli.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const cluster = [`${fixtures}cluster.yaml`, `${fixtures}pods.json`, `${fixtures}policies.yaml`];

/** `query --snapshot <cluster> --from FROM --to TO --port PORT` */
function flow(from: string, to: string, port: string): string[] {
  return ['query', '--snapshot', ...cluster, '--from', from, '--to', to, '--port', port];
}

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runPolicyCommand(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

describe('netprobe policy query', () => {
  it('answers one flow in text, exit 0 also when denied', async () => {
    const allowed = await run(...flow('ingress-nginx/controller-1', 'shop/web-1', 'http'));
    expect(allowed).toEqual({
      code: 0,
      stdout: 'ingress-nginx/controller-1 -> shop/web-1 http (8080)/TCP: ALLOWED\n',
      stderr: '',
    });
    const denied = await run(...flow('shop/web-1', '93.184.216.34', '443/tcp'));
    expect(denied).toEqual({ code: 0, stdout: 'shop/web-1 -> 93.184.216.34 443/TCP: DENIED\n', stderr: '' });
  });

  it('explains with --explain', async () => {
    const out = await run(...flow('ingress-nginx/controller-1', 'shop/admin-1', '9000'), '--explain');
    expect(out.stdout).toBe(
      [
        'ingress-nginx/controller-1 -> shop/admin-1 9000/TCP: DENIED',
        '  egress: allowed: ingress-nginx/controller-1 is not isolated for egress (no policy selects it)',
        '  ingress: denied: shop/admin-1 is isolated by shop/default-deny',
        '    no rule of these policies allows the flow',
        '',
      ].join('\n'),
    );
  });

  it('answers a queries file as JSON, one object per query', async () => {
    const out = await run(
      'query',
      '--snapshot',
      ...cluster,
      '--queries',
      `${fixtures}queries.yaml`,
      '--output',
      'json',
    );
    expect(out.code).toBe(0);
    const results = JSON.parse(out.stdout) as {
      from: string;
      to: string;
      port: number | string;
      protocol: string;
      allowed: boolean;
      egress: { allowedBy: unknown[] };
      ingress: { policies: string[] };
    }[];
    expect(results.map((r) => [r.from, r.to, r.port, r.protocol, r.allowed])).toEqual([
      ['ingress-nginx/controller-1', 'shop/web-1', 'http', 'TCP', true],
      ['ingress-nginx/controller-1', 'shop/admin-1', 9000, 'TCP', false],
      ['shop/web-1', 'kube-system/coredns-1', 53, 'UDP', true],
      ['shop/web-1', '93.184.216.34', 443, 'TCP', false],
    ]);
    expect(results[0]?.ingress.policies).toEqual(['shop/default-deny', 'shop/web-from-ingress']);
    expect(results[2]?.egress.allowedBy).toEqual([{ policy: 'shop/web-egress', rule: 0, peer: 0, port: 0 }]);
  });

  it('honours --deny-self-traffic', async () => {
    const self = await run(...flow('shop/db-1', 'shop/db-1', '5432'), '--deny-self-traffic');
    expect(self.stdout).toBe('shop/db-1 -> shop/db-1 5432/TCP: DENIED\n');
  });

  it('honours --ip-block-matches-pods: an ipBlock covering a pod IP admits that pod only with it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netprobe-policy-'));
    try {
      // db-1 admits 10.244.2.0/24, which holds the ingress controller pod's IP (10.244.2.5).
      const extra = join(dir, 'ipblock.yaml');
      writeFileSync(
        extra,
        [
          'apiVersion: networking.k8s.io/v1',
          'kind: NetworkPolicy',
          'metadata: { name: db-from-cidr, namespace: shop }',
          'spec:',
          '  podSelector: { matchLabels: { app: db } }',
          '  ingress: [{ from: [{ ipBlock: { cidr: 10.244.2.0/24 } }], ports: [{ port: 5432 }] }]',
          '',
        ].join('\n'),
      );
      const ask = (...opts: string[]) =>
        run(
          'query',
          '--snapshot',
          ...cluster,
          extra,
          '--from',
          'ingress-nginx/controller-1',
          '--to',
          'shop/db-1',
          '--port',
          '5432',
          ...opts,
        );
      expect((await ask()).stdout).toBe('ingress-nginx/controller-1 -> shop/db-1 5432/TCP: DENIED\n');
      expect((await ask('--ip-block-matches-pods')).stdout).toBe(
        'ingress-nginx/controller-1 -> shop/db-1 5432/TCP: ALLOWED\n',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [
      ['--snapshot', `${fixtures}bad-policy.yaml`, '--from', 'a/b', '--to', 'c/d', '--port', '80'],
      `netprobe policy: ${fixtures}bad-policy.yaml: NetworkPolicy shop/typo: spec.egress[0].to[0].ipBlock.cidr: invalid CIDR\n`,
    ],
    [
      ['--snapshot', ...cluster, '--queries', `${fixtures}bad-queries.yaml`],
      `netprobe policy: ${fixtures}bad-queries.yaml: query 1: to: expected NAMESPACE/POD or an IP address, got "shop"\n`,
    ],
    [
      ['--snapshot', ...cluster, '--from', 'shop/web-1', '--to', 'shop/db-1', '--port', '80/ICMP'],
      'netprobe policy: --port: expected PORT[/TCP|UDP|SCTP], got "80/ICMP"\n',
    ],
    [
      ['--snapshot', ...cluster, '--from', 'shop/web-1', '--to', 'shop/db-1', '--port', '70000'],
      'netprobe policy: --port: port 70000 is out of range 1-65535\n',
    ],
    [
      ['--snapshot', ...cluster, '--from', 'shop/web-1', '--to', 'shop/db-1'],
      'netprobe policy: --from, --to and --port are required (or --queries FILE)\n',
    ],
    [
      ['--from', 'shop/web-1', '--to', 'shop/db-1', '--port', '80'],
      'netprobe policy: --snapshot FILE is required\n',
    ],
    [
      ['--snapshot', ...cluster, '--output', 'yaml', '--queries', `${fixtures}queries.yaml`],
      'netprobe policy: --output: expected text or json, got "yaml"\n',
    ],
    [
      ['stray', '--snapshot', ...cluster, '--queries', `${fixtures}queries.yaml`],
      'netprobe policy: unexpected argument "stray"\n',
    ],
  ])('exits 2 on bad input %j', async (args, message) => {
    expect(await run('query', ...args)).toEqual({ code: 2, stdout: '', stderr: message });
  });

  it('prints what it could not evaluate and exits 2', async () => {
    const out = await run(...flow('shop/web-1', 'shop/nope', '80'));
    expect(out).toEqual({
      code: 2,
      stdout: 'shop/web-1 -> shop/nope 80/TCP: UNKNOWN (could not evaluate: unknown pod shop/nope)\n',
      stderr: 'query 1 (shop/web-1 -> shop/nope 80/TCP): could not evaluate: unknown pod shop/nope\n',
    });
  });
});

describe('netprobe policy lint', () => {
  it('prints findings by severity and exits 1 on warnings or errors', async () => {
    const out = await run('lint', '--snapshot', ...cluster);
    expect(out.code).toBe(1);
    const lines = out.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(
      'ERROR   dns-egress-blocked Pod shop/admin-1: DNS to kube-system/kube-dns (UDP 53) is denied: egress of shop/admin-1 is isolated by shop/default-deny and no rule allows it',
    );
    expect(lines.at(-2)).toBe(
      'INFO    namespace-without-default-deny Namespace kube-system: no policy isolates every pod for ingress and egress',
    );
    expect(lines.at(-1)).toBe('9 finding(s): 3 error, 3 warning, 3 info');
  });

  it('exits 0 when only info findings remain, and prints JSON', async () => {
    const out = await run(
      'lint',
      '--snapshot',
      `${fixtures}cluster.yaml`,
      `${fixtures}pods.json`,
      '--output',
      'json',
    );
    expect(out.code).toBe(0);
    const doc = JSON.parse(out.stdout) as {
      findings: { severity: string; code: string }[];
      summary: Record<string, number>;
    };
    expect(doc.summary).toEqual({ error: 0, warning: 0, info: 4 });
    expect(doc.findings.map((f) => f.code)).toEqual(Array(4).fill('namespace-without-default-deny'));
  });

  it('takes --dns-service and the controller selector', async () => {
    const out = await run(
      'lint',
      '--snapshot',
      ...cluster,
      '--dns-service',
      'kube-system/coredns',
      '--controller-namespace',
      'ingress-nginx',
      '--controller-labels',
      'app.kubernetes.io/name=traefik',
    );
    expect(out.stdout).toContain(
      'INFO    dns-service-not-found Service kube-system/coredns: DNS checks skipped: it is not in the snapshot\n',
    );
    expect(out.stdout).toContain(
      'INFO    ingress-controller-not-found Pod ingress-nginx/app.kubernetes.io/name=traefik: Ingress backend checks skipped: no pod labelled app.kubernetes.io/name=traefik in ingress-nginx\n',
    );
  });

  it.each([
    [
      ['--snapshot', `${fixtures}bad-yaml.yaml`],
      `netprobe policy: ${fixtures}bad-yaml.yaml: line 5: invalid YAML/JSON: Flow sequence in block collection must be sufficiently indented and end with a ]\n`,
    ],
    [
      ['--snapshot', `${fixtures}missing.yaml`],
      `netprobe policy: ${fixtures}missing.yaml: cannot read file (ENOENT)\n`,
    ],
    [
      ['--snapshot', ...cluster, '--dns-service', 'kube-dns'],
      'netprobe policy: --dns-service: expected NAMESPACE/NAME, got "kube-dns"\n',
    ],
    [
      ['--snapshot', ...cluster, '--controller-labels', 'app'],
      'netprobe policy: --controller-labels: expected k=v[,k=v...], got "app"\n',
    ],
  ])('exits 2 on bad input %j', async (args, message) => {
    expect(await run('lint', ...args)).toEqual({ code: 2, stdout: '', stderr: message });
  });
});

describe('netprobe policy', () => {
  it('prints help', async () => {
    const out = await run('--help');
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('netprobe policy query --snapshot FILE...');
  });

  it('rejects an unknown command and unknown options', async () => {
    expect(await run('check')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'netprobe policy: unknown command "check" (expected query or lint)\n',
    });
    const unknown = await run('lint', '--snapshot', ...cluster, '--bogus');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^netprobe policy: Unknown option '--bogus'/);
  });
});

describe('hostile names in snapshots', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netprobe-policy-names-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string): string => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  const pod = (ns: string, name: string): string =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { namespace: ns, name },
      status: { podIP: '10.0.0.9' },
    });

  it.each([
    ['an escape sequence', 'web\u001b[31m-1'],
    ['markup', '<script>x</script>'],
    ['upper case', 'Web-1'],
  ])(
    'a pod name with %s is refused naming the file and what was expected, and nothing raw is printed',
    async (_what, name) => {
      const file = write(
        `pods-${Buffer.from(name).toString('hex')}.json`,
        `{"kind":"List","items":[${pod('shop', name)}]}`,
      );
      const out = await run('lint', '--snapshot', file);
      expect(out.code).toBe(2);
      expect(out.stdout).toBe('');
      expect(out.stderr).toContain(file);
      expect(out.stderr).toContain('metadata.name');
      expect(out.stderr).toContain('expected a DNS-1123 subdomain');
      // No control byte reaches the terminal: the ESC is shown as an escape.
      // eslint-disable-next-line no-control-regex -- matching control characters is the point
      expect(out.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    },
  );

  it('a namespace that is not a DNS-1123 label is refused', async () => {
    const file = write('ns.json', `{"kind":"List","items":[${pod('shop.example', 'web-1')}]}`);
    const out = await run('lint', '--snapshot', file);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('expected a DNS-1123 label');
  });
});
