import net from 'node:net';
import { once } from 'node:events';
import { Registry } from 'prom-client';
import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log/logger.js';
import { dialableHost, familyOf, joinHostPort, splitHostPort } from '../../src/net/address.js';
import { startSentinel } from '../../src/probers/sentinel.js';
import { startHttpServer } from '../../src/server/http.js';

const role = { readiness: () => ({ ready: true, reason: '' }), status: () => ({}) };

/** Connects over TCP and resolves true on connect, false on any error. */
async function connects(host: string, port: number): Promise<boolean> {
  const socket = net.connect({ host, port, autoSelectFamily: false });
  try {
    await once(socket, 'connect');
    return true;
  } catch {
    return false;
  } finally {
    socket.destroy();
  }
}

describe('addresses of both families', () => {
  test.each([
    ['10.0.0.1', 'ipv4'],
    ['fd00::a', 'ipv6'],
    ['::ffff:10.0.0.1', 'ipv6'],
  ])('familyOf(%s) is %s', (address, family) => {
    expect(familyOf(address)).toBe(family);
  });

  test.each([
    ['10.0.0.1', 80, '10.0.0.1:80'],
    ['fd00::a', 443, '[fd00::a]:443'],
    ['fe80::1%eth0', 9808, '[fe80::1%eth0]:9808'],
    ['ingress.example', 443, 'ingress.example:443'],
  ])('joinHostPort(%s, %i) is %s and splits back', (host, port, text) => {
    expect(joinHostPort(host, port)).toBe(text);
    expect(splitHostPort(text)).toEqual({ host, port });
  });

  test('an unspecified bound address is dialled on loopback of its family', () => {
    expect(dialableHost('::')).toBe('::1');
    expect(dialableHost('0.0.0.0')).toBe('127.0.0.1');
    expect(dialableHost('fd00::5')).toBe('fd00::5');
  });
});

describe('the default listen address serves IPv4 and IPv6 pods alike', () => {
  test('the metrics server on the default host answers on 127.0.0.1 and on ::1', async () => {
    const defaults = loadConfig(undefined, {});
    // The default's port, with port 0 so the test never collides: the host part is what is tested.
    const listen = defaults.listen.replace(/\d+$/, '0');
    const server = await startHttpServer(listen, new Registry(), role, silentLogger());
    try {
      const { port } = server.address;
      const v4 = await fetch(`http://127.0.0.1:${port}/healthz`);
      const v6 = await fetch(`http://[::1]:${port}/healthz`);
      expect([v4.status, v6.status]).toEqual([200, 200]);
    } finally {
      await server.close();
    }
  });

  test('the sentinel and neighbour listeners on the default address accept both families', async () => {
    const defaults = loadConfig(undefined, {});
    const sentinel = await startSentinel({ address: defaults.node.sentinelAddress, port: 0 });
    try {
      expect(await connects('127.0.0.1', sentinel.port)).toBe(true);
      expect(await connects('::1', sentinel.port)).toBe(true);
    } finally {
      await sentinel.close();
    }
  });

  test('an explicit IPv4 address still binds IPv4 only', async () => {
    const server = await startHttpServer('127.0.0.1:0', new Registry(), role, silentLogger());
    try {
      expect(await connects('::1', server.address.port)).toBe(false);
    } finally {
      await server.close();
    }
  });
});
