import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { listPages } from '../../src/kube/rest.js';

/** A real HTTP server whose handler misbehaves; returns a kubeconfig pointing at it. */
async function faultyApi(handler: http.RequestListener): Promise<{ kc: KubeConfig; close: () => void }> {
  const server = http.createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser(
    { name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true },
    { name: 'u' },
  );
  return {
    kc,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

describe('listPages limits', () => {
  it('fails a page that trickles past its total deadline', async () => {
    const api = await faultyApi((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      // One byte every 50 ms keeps the socket-idle timeout from ever firing.
      const t = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(t));
    });
    try {
      await expect(
        listPages(api.kc, '/api/v1/pods', { timeoutMs: 1_000, deadlineMs: 400 }, () => {}),
      ).rejects.toThrow(/exceeded its 400 ms deadline/);
    } finally {
      api.close();
    }
  });

  it('fails a page that never answers at the deadline', async () => {
    const api = await faultyApi(() => {});
    try {
      await expect(
        listPages(api.kc, '/api/v1/pods', { timeoutMs: 60_000, deadlineMs: 300 }, () => {}),
      ).rejects.toThrow(/deadline/);
    } finally {
      api.close();
    }
  });

  it('refuses a page larger than the bound with a clear message', async () => {
    const api = await faultyApi((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ metadata: {}, items: [{ pad: 'x'.repeat(4096) }] }));
    });
    try {
      await expect(listPages(api.kc, '/api/v1/pods', { maxBytes: 1024 }, () => {})).rejects.toThrow(
        /exceeds 1024 bytes; lists are paged/,
      );
    } finally {
      api.close();
    }
  });
});
