import net from 'node:net';
import os from 'node:os';
import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { secondsSince } from './types.js';
import { MAX_PAYLOAD_BYTES, payloadPath } from './sentinel.js';

/** Why a path is probed; decides its metric `kind` label and nothing in the prober itself. */
export type PathKind = 'dns-egress' | 'apiserver' | 'neighbour' | 'sentinel' | 'declared';

/** connect: TCP handshake only; dns: a DNS query (UDP); http: GET a payload of N bytes (TCP). */
export type PathCheck = 'connect' | 'dns' | 'http';

/** One path to probe, as the plan lists it. */
export interface PathTarget {
  kind: PathKind;
  /** An IP literal (a host name works too, but its lookup then counts against the timeout). */
  address: string;
  port: number;
  protocol: 'TCP' | 'UDP';
  check: PathCheck;
  /** For check 'http': body size to request from the sentinel contract; 0 when absent. */
  httpPayloadBytes?: number;
  timeoutSeconds: number;
}

/** What the network did: see docs/paths.md for the mapping from errors. */
export type PathOutcome = 'open' | 'refused' | 'timeout' | 'unreachable' | 'no_answer' | 'error';

/** reachable = open|refused, blocked = timeout|unreachable, inconclusive = no_answer|error. */
export type PathVerdict = 'reachable' | 'blocked' | 'inconclusive';

/** The plan's expectation for a path (from the policy engine or the operator). */
export type ExpectedVerdict = 'allow' | 'deny' | 'unknown' | 'mixed';

/** Expected versus observed; only the two mismatches are worth an alert. */
export type PathComparison = 'ok' | 'blocked_but_allowed' | 'reachable_but_denied' | 'inconclusive';

/** Why a probe was inconclusive when no errno says it (a small fixed set, safe as a label). */
export type PathReason = 'invalid_target' | 'aborted' | 'http_status' | 'http_malformed' | 'http_short_body';

/** The result of one path probe. */
export interface PathResult {
  outcome: PathOutcome;
  verdict: PathVerdict;
  durationSeconds: number;
  /** TCP only: seconds until the handshake completed. */
  connectSeconds?: number;
  /** The system error code behind refused/unreachable/error (ECONNREFUSED, EHOSTUNREACH, ...). */
  errno?: string;
  reason?: PathReason;
}

/** Maps an outcome to the verdict compared with the plan. */
export function verdictOf(outcome: PathOutcome): PathVerdict {
  switch (outcome) {
    case 'open':
    case 'refused':
      return 'reachable';
    case 'timeout':
    case 'unreachable':
      return 'blocked';
    case 'no_answer':
    case 'error':
      return 'inconclusive';
  }
}

/** Compares the expected verdict with the observed one; unknown/mixed expectations cannot mismatch. */
export function compare(expected: ExpectedVerdict, verdict: PathVerdict): PathComparison {
  if (verdict === 'inconclusive' || expected === 'unknown' || expected === 'mixed') return 'inconclusive';
  if (expected === 'allow') return verdict === 'reachable' ? 'ok' : 'blocked_but_allowed';
  return verdict === 'blocked' ? 'ok' : 'reachable_but_denied';
}

/**
 * Errors that are answers from the network. Linux reports every ICMP destination-unreachable
 * received during the handshake as a hard error: admin-prohibited (what `reject with icmp type
 * admin-prohibited` and most CNI rejects send), host-prohibited and host-unreachable give
 * EHOSTUNREACH, net-* give ENETUNREACH. EPERM/EACCES come from a local firewall or cgroup hook
 * refusing the packet on this node: blocked too. Everything else (EMFILE, EADDRNOTAVAIL, ENOTFOUND,
 * ECONNRESET mid-body, ...) says nothing about the path: inconclusive.
 */
const ERRNO_OUTCOME: Readonly<Record<string, PathOutcome>> = {
  ECONNREFUSED: 'refused',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EHOSTDOWN: 'unreachable',
  ENONET: 'unreachable',
  EPERM: 'unreachable',
  EACCES: 'unreachable',
  ETIMEDOUT: 'timeout',
};

interface Observation {
  outcome: PathOutcome;
  errno?: string;
  reason?: PathReason;
  connectSeconds?: number;
}

type Settle = (observation: Observation) => void;

/** What an attempt reports to its deadline: its end, and the handshake time when it gets that far. */
interface Attempt {
  settle: Settle;
  /** Records the TCP handshake time, kept in the result whatever ends the attempt (timeout too). */
  connected: () => void;
  /** What the deadline reports; an attempt may replace plain `timeout` with what else it learnt. */
  atDeadline: () => Observation;
}

/** Probes one path: TCP connect, HTTP payload or DNS over UDP. Never throws; honours `signal`. */
export async function probePath(target: PathTarget, signal: AbortSignal): Promise<PathResult> {
  const start = process.hrtime.bigint();
  const observation = await observe(target, signal);
  return { ...observation, verdict: verdictOf(observation.outcome), durationSeconds: secondsSince(start) };
}

function observe(target: PathTarget, signal: AbortSignal): Promise<Observation> {
  if (!isValid(target)) return Promise.resolve({ outcome: 'error', reason: 'invalid_target' });
  if (signal.aborted) return Promise.resolve({ outcome: 'error', reason: 'aborted' });
  // Node 24 waits out the whole timeout on a zone that names no interface, which would read as a
  // blocked path; the kernel's answer on older runtimes was EINVAL, a local failure.
  if (!zoneExists(target.address)) return Promise.resolve({ outcome: 'error', errno: 'EINVAL' });
  const begin =
    target.protocol === 'UDP'
      ? (attempt: Attempt) => queryDns(target, attempt)
      : target.check === 'http'
        ? (attempt: Attempt) => fetchPayload(target, attempt)
        : (attempt: Attempt) => connectTcp(target, attempt);
  return withDeadline(target, signal, begin);
}

/** An IPv6 zone (fe80::1%eth0, fe80::1%2) must name a local interface by name or index. */
function zoneExists(address: string): boolean {
  const at = address.indexOf('%');
  if (at < 0) return true;
  const zone = address.slice(at + 1);
  const interfaces = os.networkInterfaces();
  if (zone in interfaces) return true;
  return (
    /^[0-9]+$/.test(zone) &&
    Object.values(interfaces).some((list) => list?.some((a) => String(a.scopeid) === zone))
  );
}

function isValid(target: PathTarget): boolean {
  const bytes = target.httpPayloadBytes ?? 0;
  return (
    target.address.length > 0 &&
    Number.isInteger(target.port) &&
    target.port >= 1 &&
    target.port <= 65535 &&
    Number.isFinite(target.timeoutSeconds) &&
    target.timeoutSeconds > 0 &&
    (target.protocol === 'TCP' ? target.check !== 'dns' : target.check === 'dns') &&
    Number.isInteger(bytes) &&
    bytes >= 0 &&
    bytes <= MAX_PAYLOAD_BYTES
  );
}

/**
 * Runs one attempt until it settles, the target's timeout passes (timeout: no answer, which is what
 * a NetworkPolicy drop looks like) or the caller aborts (inconclusive: we did not wait the full
 * timeout, so silence proves nothing). `begin` returns its cleanup.
 */
function withDeadline(
  target: PathTarget,
  signal: AbortSignal,
  begin: (attempt: Attempt) => () => void,
): Promise<Observation> {
  const start = process.hrtime.bigint();
  return new Promise((resolve) => {
    let done = false;
    let connectSeconds: number | undefined;
    let cleanup: () => void = () => undefined;
    const settle: Settle = (observation) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      cleanup();
      resolve(connectSeconds === undefined ? observation : { ...observation, connectSeconds });
    };
    const connected = (): void => {
      connectSeconds = secondsSince(start);
    };
    const onAbort = (): void => settle({ outcome: 'error', reason: 'aborted' });
    const attempt: Attempt = { settle, connected, atDeadline: () => ({ outcome: 'timeout' }) };
    const timer = setTimeout(() => settle(attempt.atDeadline()), target.timeoutSeconds * 1000);
    signal.addEventListener('abort', onAbort, { once: true });
    cleanup = begin(attempt);
    if (done) cleanup();
  });
}

function fromError(err: unknown): Observation {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? 'UNKNOWN';
  return { outcome: ERRNO_OUTCOME[code] ?? 'error', errno: code };
}

function openSocket(target: PathTarget, settle: Settle): net.Socket {
  // autoSelectFamily off: one address, one error code (happy eyeballs folds errors together).
  const socket = net.connect({ host: target.address, port: target.port, autoSelectFamily: false });
  socket.once('error', (err) => settle(fromError(err)));
  return socket;
}

/** TCP handshake only, no data sent: open on connect, the error's meaning otherwise. */
function connectTcp(target: PathTarget, attempt: Attempt): () => void {
  const socket = openSocket(target, attempt.settle);
  socket.once('connect', () => {
    attempt.connected();
    attempt.settle({ outcome: 'open' });
  });
  return () => socket.destroy();
}

/**
 * GET the sentinel's payload and require all of it before the deadline: an MTU black hole lets
 * the handshake and small replies through and stalls full-size segments, so it ends in timeout.
 */
function fetchPayload(target: PathTarget, attempt: Attempt): () => void {
  const bytes = target.httpPayloadBytes ?? 0;
  const socket = openSocket(target, attempt.settle);
  const reader = payloadReader(bytes, attempt.settle);
  socket.once('connect', () => {
    attempt.connected();
    const host = net.isIPv6(target.address) ? `[${target.address}]` : target.address;
    socket.write(
      `GET ${payloadPath(bytes)} HTTP/1.1\r\nHost: ${host}:${target.port}\r\n` +
        'User-Agent: netprobe\r\nConnection: close\r\n\r\n',
    );
  });
  socket.on('data', reader.push);
  socket.once('end', reader.end);
  return () => socket.destroy();
}

const MAX_RESPONSE_HEAD = 8192;

/** Parses an HTTP/1.x response just enough to count body bytes; settles once. */
function payloadReader(bytes: number, settle: Settle): { push: (c: Buffer) => void; end: () => void } {
  let head: Buffer | undefined = Buffer.alloc(0);
  let body = 0;
  const push = (chunk: Buffer): void => {
    if (head === undefined) {
      body += chunk.length;
    } else {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > MAX_RESPONSE_HEAD) settle({ outcome: 'error', reason: 'http_malformed' });
        return;
      }
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head.subarray(0, end).toString('latin1'));
      if (status === null) return settle({ outcome: 'error', reason: 'http_malformed' });
      if (status[1] !== '200') return settle({ outcome: 'error', reason: 'http_status' });
      body = head.length - end - 4;
      head = undefined;
    }
    if (body >= bytes) settle({ outcome: 'open' });
  };
  // The peer closed before the whole body: a server problem, not a path verdict.
  const end = (): void => settle({ outcome: 'error', reason: 'http_short_body' });
  return { push, end };
}

/** A DNS query for the root NS set: every resolver can answer it, and any answer proves the path. */
export function dnsProbeQuery(id: number): Buffer {
  const query = Buffer.alloc(17);
  query.writeUInt16BE(id, 0);
  query.writeUInt16BE(0x0100, 2); // RD
  query.writeUInt16BE(1, 4); // QDCOUNT
  // Bytes 6..11 (AN/NS/AR counts) stay 0; byte 12 is the root label.
  query.writeUInt16BE(2, 13); // QTYPE NS
  query.writeUInt16BE(1, 15); // QCLASS IN
  return query;
}

/**
 * DNS over a connected UDP socket, so the kernel hands us ICMP errors: port unreachable arrives as
 * ECONNREFUSED, admin-prohibited as EHOSTUNREACH. The query is sent again at half the timeout, as
 * resolvers do, so one lost datagram is not reported as a blocked path.
 *
 * A TCP handshake to the same address and port runs alongside as a witness: when the query goes
 * unanswered but the handshake completed, the server is reachable and simply not answering (a hung
 * or overloaded DNS server), which is `no_answer`, a DNS fault for the DNS alerts, not a blocked path.
 * A drop of both protocols (what NetworkPolicy does) still ends in `timeout`.
 */
function queryDns(target: PathTarget, attempt: Attempt): () => void {
  const { settle } = attempt;
  let tcpOpen = false;
  const witness = net.connect({ host: target.address, port: target.port, autoSelectFamily: false });
  witness.on('error', () => undefined);
  witness.once('connect', () => {
    tcpOpen = true;
    witness.destroy();
  });
  attempt.atDeadline = () => (tcpOpen ? { outcome: 'no_answer' } : { outcome: 'timeout' });
  const socket = dgram.createSocket(net.isIPv6(target.address) ? 'udp6' : 'udp4');
  const id = randomInt(0, 65536);
  const query = dnsProbeQuery(id);
  let resend: NodeJS.Timeout | undefined;
  const send = (): void => socket.send(query, (err) => err && settle(fromError(err)));
  socket.on('error', (err) => settle(fromError(err)));
  socket.on('message', (msg) => {
    if (msg.length >= 12 && msg.readUInt16BE(0) === id && (msg[2] ?? 0) & 0x80) settle({ outcome: 'open' });
  });
  socket.connect(target.port, target.address, () => {
    send();
    resend = setTimeout(send, (target.timeoutSeconds * 1000) / 2);
  });
  return () => {
    clearTimeout(resend);
    witness.destroy();
    socket.removeAllListeners('message');
    socket.on('error', () => undefined);
    try {
      socket.close();
    } catch {
      // Already closed by an error: nothing left to release.
    }
  };
}
