import { isIPv6 } from 'node:net';

/** Address family label value of an IP literal ("ipv6" when it has a colon, else "ipv4"). */
export type Family = 'ipv4' | 'ipv6';

export function familyOf(address: string): Family {
  return address.includes(':') ? 'ipv6' : 'ipv4';
}

/** "host:port", with an IPv6 literal in brackets ("[fd00::1]:9808"), as URLs and Host headers need. */
export function joinHostPort(host: string, port: number): string {
  return isIPv6(host.split('%')[0] ?? host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Parses "HOST:PORT" / "[v6]:PORT". An empty host (":9808") means every address: the unspecified
 * IPv6 address with IPv4 mapped onto it where the kernel has IPv6, else 0.0.0.0 (Node's own choice
 * when listen() gets no host), so one default serves IPv4-only, IPv6-only and dual-stack pods.
 */
export function splitHostPort(listen: string): { host: string | undefined; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(listen);
  if (!m) throw new Error(`invalid listen address ${listen}`);
  return { host: m[1] ?? (m[2] || undefined), port: Number(m[3]) };
}

/** The host to show or dial for a bound server: its real address, loopback for an unspecified one. */
export function dialableHost(bound: string): string {
  if (bound === '::' || bound === '') return '::1';
  if (bound === '0.0.0.0') return '127.0.0.1';
  return bound;
}
