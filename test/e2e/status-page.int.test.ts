import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Sandbox } from '../../sandbox/cluster.js';
import { startTestSandbox } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait.js';

// The status page in a real browser on the sandbox: every planted fault the role can see is shown
// as failing (or, for a certificate still valid, as expiring), the strict CSP holds (no violation,
// no console error). Screenshots go to test-output/ on every run; `UPDATE_SCREENSHOTS=1` writes
// them to docs/images/ instead, where the README shows them (tests never touch tracked files otherwise).

// Other test files may hold the sandbox lock for a while (startTestSandbox waits up to 300 s).
const SANDBOX_WAIT_MS = 330_000;

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const IMAGES =
  process.env.UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'images') : join(ROOT, 'test-output');
const LAUNCH = {
  executablePath: '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};

interface Loaded {
  page: Page;
  csp: string | undefined;
  /** Console errors and warnings (CSP violations are reported there), and page errors. */
  problems: string[];
}

interface StatusJson {
  checks: Array<{ prober: string; target: string; ok: boolean }>;
  features: Record<string, unknown>;
}

let browser: Browser;

beforeAll(async () => {
  browser = await chromium.launch(LAUNCH);
}, 30_000);

afterAll(async () => {
  await browser?.close();
});

async function open(url: string): Promise<Loaded> {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  const res = await page.goto(url, { waitUntil: 'load' });
  expect(res?.status()).toBe(200);
  return { page, csp: res?.headers()['content-security-policy'], problems };
}

/** Text of the rows of a section marked with one state. */
async function rows(page: Page, section: string, state: string): Promise<string[]> {
  return page.locator(`#${section} tr[data-state="${state}"]`).allTextContents();
}

async function status(url: string): Promise<StatusJson> {
  const res = await fetch(`${url}/status`);
  return (await res.json()) as StatusJson;
}

/** Waits until every check in `targets` has a result (failing or not). */
async function probed(url: string, prober: string, targets: string[]): Promise<void> {
  await waitFor(
    `${prober} results for ${targets.join(', ')}`,
    async () => {
      const s = await status(url);
      return targets.every((t) => s.checks.some((c) => c.prober === prober && c.target === t));
    },
    30_000,
    250,
  );
}

function expectStrictCsp(l: Loaded): void {
  expect(l.csp).toContain("default-src 'none'");
  expect(l.csp).not.toContain('script-src');
  expect(l.problems).toEqual([]);
}

function withText(list: string[], text: string): string[] {
  return list.filter((r) => r.includes(text));
}

describe('status page on the sandbox with planted faults', () => {
  let sb: Sandbox;
  let cluster: Loaded;
  let node: Loaded;

  beforeAll(async () => {
    sb = await startTestSandbox();
    const ingress = [
      'shop/admin/admin.shop.example/',
      'shop/legacy/old.shop.example/',
      'shop/pay/pay.shop.example/',
      'shop/storefront/shop.example/api',
    ];
    const nodeUrl = sb.urls.nodes[0] ?? '';
    await probed(sb.urls.cluster, 'ingress', ingress);
    await probed(sb.urls.cluster, 'apiserver', ['readyz']);
    await probed(nodeUrl, 'path', ['checkout-to-payments-db']);
    await probed(nodeUrl, 'dns', ['replica/coredns-b/cluster-fqdn', 'replica/coredns-b/cluster-short']);
    // The endpoint inventory and the policy findings are event-driven and settle within a second.
    await waitFor('policy findings', async () => {
      const s = (await status(sb.urls.cluster)).features as { policy?: { findings?: number } };
      return (s.policy?.findings ?? 0) > 0;
    });
    cluster = await open(sb.urls.cluster);
    node = await open(nodeUrl);
    mkdirSync(IMAGES, { recursive: true });
    await cluster.page.screenshot({ path: join(IMAGES, 'status-page.png'), fullPage: true });
    await node.page.screenshot({ path: join(IMAGES, 'status-page-node.png'), fullPage: true });
  }, SANDBOX_WAIT_MS + 60_000);

  afterAll(async () => {
    await sb?.stop();
  });

  test('cluster page: Services shop/orders, shop/inventory, shop/reports are failing, each for its reason', async () => {
    const failing = await rows(cluster.page, 'services', 'failing');
    expect(withText(failing, 'shop/orders')[0]).toContain('selector matches no pod');
    expect(withText(failing, 'shop/inventory')[0]).toContain('no ready endpoint (1 not ready)');
    expect(withText(failing, 'shop/reports')[0]).toContain('targetPort');
    expect(withText(failing, 'shop/frontend')).toEqual([]);
  });

  test('cluster page: Ingress routes /api, old.shop.example and admin.shop.example fail; pay.shop.example is expiring', async () => {
    const failing = await rows(cluster.page, 'routes', 'failing');
    expect(withText(failing, 'shop.example/api')[0]).toContain('backend_service_missing');
    expect(withText(failing, 'old.shop.example/')[0]).toContain('no_route');
    expect(withText(failing, 'admin.shop.example/')[0]).toContain('does not match the host name');
    const warning = await rows(cluster.page, 'routes', 'warning');
    expect(withText(warning, 'pay.shop.example/')[0]).toMatch(/EXPIRING.*certificate expires in [45]\.\dd/);
    const ok = await rows(cluster.page, 'routes', 'ok');
    expect(ok.map((r) => r.replace(/^OK/, '')).join('\n')).toMatch(/^shop\.example\/shop\/storefront/m);
  });

  test('cluster page: the batch namespace egress policy that blocks DNS is a failing finding', async () => {
    const failing = await rows(cluster.page, 'findings', 'failing');
    expect(withText(failing, 'dns-egress-blocked').join('\n')).toContain('batch');
    expect(withText(failing, 'ingress-backend-blocked').join('\n')).toContain('shop/status');
  });

  test('cluster page: the summary counts the failing checks and the CSP holds', async () => {
    const summary = await cluster.page.locator('#summary').textContent();
    // Six Ingress routes and the API server's /readyz.
    expect(summary).toMatch(/7 checks · 3 failing/);
    expect(summary).toMatch(/3 Services with endpoint problems/);
    expectStrictCsp(cluster);
  });

  test('node page: checkout-to-payments-db fails and the slow coredns-b replica is marked SLOW', async () => {
    const failing = await rows(node.page, 'checks', 'failing');
    expect(withText(failing, 'checkout-to-payments-db')[0]).toContain('timeout (expected allow)');
    expect(withText(failing, 'agents-to-shop-database')[0]).toContain('refused (expected deny)');
    const slow = await rows(node.page, 'checks', 'warning');
    expect(slow.length).toBeGreaterThan(0);
    for (const r of slow) expect(r).toMatch(/^SLOWdnsreplica\/coredns-b\//);
    const ok = await rows(node.page, 'checks', 'ok');
    expect(withText(ok, 'dnsreplica/coredns-a/').length).toBeGreaterThan(0);
    expect(withText(ok, 'dnsreplica/coredns-b/')).toEqual([]);
  });

  test('node page: the plan in use lists the DNS servers, the declared path with its expectation, and the neighbour', async () => {
    const plan = await node.page.locator('#plan').textContent();
    expect(plan).toContain('coredns-b');
    expect(plan).toMatch(/checkout-to-payments-db.*allow.*allowed by payments\/allow-netprobe/);
    expect(plan).toContain('node-b');
    const ongoing = await rows(node.page, 'failures', 'failing');
    expect(withText(ongoing, 'checkout-to-payments-db')[0]).toContain('ONGOING');
    expectStrictCsp(node);
  });
});

describe('status page on the healthy sandbox', () => {
  let sb: Sandbox;

  beforeAll(async () => {
    sb = await startTestSandbox({ healthy: true });
  }, SANDBOX_WAIT_MS);

  afterAll(async () => {
    await sb?.stop();
  });

  test('no row is failing on either page once every probe has run', async () => {
    const nodeUrl = sb.urls.nodes[0] ?? '';
    await probed(sb.urls.cluster, 'ingress', [
      'shop/admin/admin.shop.example/',
      'shop/pay/pay.shop.example/',
    ]);
    await probed(nodeUrl, 'path', ['checkout-to-payments-db']);
    await probed(nodeUrl, 'dns', ['replica/coredns-b/cluster-fqdn']);
    for (const url of [sb.urls.cluster, nodeUrl]) {
      const l = await open(url);
      const checks = await l.page.locator('#checks tbody tr').count();
      expect(checks).toBeGreaterThan(0);
      expect(await l.page.locator('tr[data-state="failing"], .banner').allTextContents()).toEqual([]);
      expect(await l.page.locator('#summary').textContent()).toContain(' 0 failing');
      expectStrictCsp(l);
    }
  }, 60_000);
});
