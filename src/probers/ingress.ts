import { createHash, randomBytes, type X509Certificate } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP, type Socket } from 'node:net';
import tls, { type SecureContext, type TLSSocket } from 'node:tls';
import { secondsSince } from './types.js';

/** Where the ingress controller listens; the probe connects here, never to the route's host name. */
export interface ProbeAddress {
  host: string;
  port: number;
}

/** An inclusive range of acceptable status codes. */
export interface StatusRange {
  min: number;
  max: number;
}

/** Outcomes, the `result` label of netprobe_ingress_probes_total. */
export type IngressResult =
  | 'ok'
  | 'no_route'
  | 'backend_unavailable'
  | 'server_error'
  | 'unexpected_status'
  | 'timeout'
  | 'connect_error'
  | 'tls_error'
  | 'protocol_error';

/** Identifies a response well enough to recognise the controller's default backend. */
export interface ResponseFingerprint {
  status: number;
  server: string;
  bodySha256: string;
}

/** Phase durations in seconds (0 for a phase not reached or not applicable). */
export interface IngressPhases {
  resolve: number;
  connect: number;
  tls: number;
  processing: number;
  transfer: number;
}

/** What the probe learnt about the certificate served for the route's SNI. */
export interface TlsInfo {
  /** notAfter as Unix seconds. */
  notAfter: number;
  hostnameMatch: boolean;
  /** The chain verifies against the system roots plus the configured CA bundle (validity dates included). */
  verified: boolean;
  subject?: string;
  /** OpenSSL's verification error code, e.g. CERT_HAS_EXPIRED (a small fixed set). */
  verifyError?: string;
}

/** Result of one route probe. */
export interface IngressProbeResult {
  result: IngressResult;
  /** 0 when no response was received. */
  statusCode: number;
  durationSeconds: number;
  phases: IngressPhases;
  tls?: TlsInfo;
  /** Set only when the response was read to its end or to the cap. */
  fingerprint?: ResponseFingerprint;
  /** Body bytes read (at most maxBodyBytes). */
  bodyBytes: number;
  truncated: boolean;
  /** A short error code (ECONNREFUSED, ERR_SSL_..., hostname_mismatch), for logs; never a label. */
  error?: string;
}

/** CAs trusted when verifying served chains. */
export interface IngressTrust {
  secureContext?: SecureContext;
}

/** One probe: controller address, Host/SNI and path, and how to judge the answer. */
export interface IngressProbeTarget {
  scheme: 'http' | 'https';
  address: ProbeAddress;
  /** Host header and TLS SNI. */
  host: string;
  path: string;
  /** Default: any status below 400 is ok (a 3xx means the route was matched). */
  expectStatus?: StatusRange[];
  maxBodyBytes: number;
  trust?: IngressTrust;
  /** The controller's default-backend fingerprint; a matching response is no_route. */
  noRoute?: ResponseFingerprint;
  /** An unverified chain or wrong host name makes the probe a tls_error (default true, as a browser would fail). */
  tlsErrorsFailProbe?: boolean;
}

/** Builds the trust store once: the system roots plus an optional PEM bundle (cluster.ingress.caFile's content). */
export function createIngressTrust(caPem?: string): IngressTrust {
  if (caPem === undefined || caPem.trim() === '') return {};
  return { secureContext: tls.createSecureContext({ ca: [...tls.rootCertificates, caPem] }) };
}

/** GETs target.path from the controller with the route's Host and SNI; never throws, never follows redirects. */
export async function probeIngressRoute(
  target: IngressProbeTarget,
  signal: AbortSignal,
): Promise<IngressProbeResult> {
  const x = await exchange(target, signal);
  return judge(x, target, signal);
}

/** Probes a host no Ingress uses and returns how the controller answers it, or undefined if it did not answer. */
export async function fingerprintDefaultBackend(
  controller: Pick<IngressProbeTarget, 'scheme' | 'address' | 'maxBodyBytes' | 'trust'>,
  signal: AbortSignal,
): Promise<ResponseFingerprint | undefined> {
  const host = `netprobe-${randomBytes(6).toString('hex')}.invalid`;
  const r = await probeIngressRoute({ ...controller, host, path: '/', tlsErrorsFailProbe: false }, signal);
  return r.fingerprint;
}

/** Re-judges a result against the default-backend fingerprint: a response identical to it means no route matched. */
export function classify(
  result: IngressProbeResult,
  noRoute: ResponseFingerprint | undefined,
): IngressProbeResult {
  // A fingerprint exists only when the whole response (up to the cap) was read, so transport errors never match.
  if (result.fingerprint === undefined || noRoute === undefined) return result;
  return sameFingerprint(result.fingerprint, noRoute) ? { ...result, result: 'no_route' } : result;
}

/** True when two responses have the same status, Server header and body. */
export function sameFingerprint(a: ResponseFingerprint, b: ResponseFingerprint): boolean {
  return a.status === b.status && a.server === b.server && a.bodySha256 === b.bodySha256;
}

/** The outcome of a response's status, given what the route expects. */
export function classifyStatus(status: number, expect: StatusRange[] | undefined): IngressResult {
  if (expect === undefined ? status < 400 : expect.some((r) => status >= r.min && status <= r.max))
    return 'ok';
  if (status === 502 || status === 503 || status === 504) return 'backend_unavailable';
  if (status >= 500) return 'server_error';
  return 'unexpected_status';
}

/** Timestamps (hrtime ns) of what happened during one exchange. */
interface Exchange {
  start: bigint;
  resolved?: bigint;
  connected?: bigint;
  secured?: bigint;
  sent?: bigint;
  firstByte?: bigint;
  end?: bigint;
  status: number;
  tls?: TlsInfo;
  fingerprint?: ResponseFingerprint;
  bodyBytes: number;
  truncated: boolean;
  error?: string;
}

async function exchange(target: IngressProbeTarget, signal: AbortSignal): Promise<Exchange> {
  const x: Exchange = { start: process.hrtime.bigint(), status: 0, bodyBytes: 0, truncated: false };
  const ip = await resolve(target.address.host, signal).catch((err: unknown) => {
    x.error = errorCode(err);
    return undefined;
  });
  if (ip === undefined) return x;
  x.resolved = process.hrtime.bigint();
  await new Promise<void>((done) => request(target, ip, signal, x, done));
  return x;
}

/** The Host header: an IPv6 literal (a host-less rule probed by address) goes in brackets (RFC 9110 §7.2). */
function hostHeader(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

async function resolve(host: string, signal: AbortSignal): Promise<string> {
  signal.throwIfAborted();
  if (isIP(host) !== 0) return host;
  // dns.lookup takes no signal: race it, and drop the listener so a long-lived signal does not collect them.
  let onAbort = (): void => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return (await Promise.race([lookup(host), aborted])).address;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function request(
  target: IngressProbeTarget,
  ip: string,
  signal: AbortSignal,
  x: Exchange,
  done: () => void,
): void {
  let finished = false;
  const finish = (error?: string): void => {
    if (finished) return;
    finished = true;
    if (error !== undefined && x.error === undefined) x.error = error;
    x.end = process.hrtime.bigint();
    req.destroy();
    done();
  };
  const options: https.RequestOptions = {
    host: ip,
    port: target.address.port,
    method: 'GET',
    path: target.path,
    headers: { host: hostHeader(target.host), 'user-agent': 'netprobe', accept: '*/*', connection: 'close' },
    agent: false,
    signal,
  };
  if (target.scheme === 'https') {
    // The probe accepts any certificate; the chain is judged from socket.authorized afterwards.
    options.rejectUnauthorized = false;
    // Keep socket.authorized about the chain alone; the host name is checked separately (hostnameMatch).
    options.checkServerIdentity = () => undefined;
    // https.request hands secureContext to tls.connect; RequestOptions' type just does not list it.
    if (target.trust?.secureContext !== undefined)
      Object.assign(options, { secureContext: target.trust.secureContext });
    // RFC 6066 forbids IP literals as SNI (a host-less rule probed by address).
    if (isIP(target.host) === 0) options.servername = target.host;
  }
  const req: ClientRequest = (target.scheme === 'https' ? https : http).request(options);
  req.on('socket', (socket: Socket) => watchSocket(socket, target, x));
  req.on('finish', () => (x.sent = process.hrtime.bigint()));
  req.on('error', (err) => finish(errorCode(err)));
  req.on('response', (res) => readResponse(res, target.maxBodyBytes, x, finish));
  req.end();
}

function watchSocket(socket: Socket, target: IngressProbeTarget, x: Exchange): void {
  socket.once('connect', () => (x.connected = process.hrtime.bigint()));
  if (target.scheme !== 'https') return;
  socket.once('secureConnect', () => {
    x.secured = process.hrtime.bigint();
    x.tls = tlsInfo(socket as TLSSocket, target.host);
  });
}

function tlsInfo(socket: TLSSocket, host: string): TlsInfo | undefined {
  const cert: X509Certificate | undefined = socket.getPeerX509Certificate();
  if (cert === undefined) return undefined;
  const match = isIP(host) === 0 ? cert.checkHost(host) : cert.checkIP(host);
  const info: TlsInfo = {
    notAfter: Math.floor(new Date(cert.validTo).getTime() / 1000),
    hostnameMatch: match !== undefined,
    verified: socket.authorized,
    subject: cert.subject,
  };
  const verifyError = socket.authorizationError as unknown;
  if (verifyError instanceof Error) info.verifyError = errorCode(verifyError);
  else if (typeof verifyError === 'string') info.verifyError = verifyError;
  return info;
}

function readResponse(
  res: IncomingMessage,
  cap: number,
  x: Exchange,
  finish: (error?: string) => void,
): void {
  x.firstByte = process.hrtime.bigint();
  x.status = res.statusCode ?? 0;
  const hash = createHash('sha256');
  const server = String(res.headers.server ?? '');
  let read = true;
  const complete = (): void => {
    if (!read) return;
    read = false;
    x.fingerprint = { status: x.status, server, bodySha256: hash.digest('hex') };
    finish();
  };
  res.on('data', (chunk: Buffer) => {
    // Chunks already buffered may still arrive after the cap was reached.
    if (!read) return;
    const take = Math.min(chunk.length, cap - x.bodyBytes);
    hash.update(take === chunk.length ? chunk : chunk.subarray(0, take));
    x.bodyBytes += take;
    if (take < chunk.length) {
      // Read no more than the cap: whatever is left is not the route's concern.
      x.truncated = true;
      complete();
    }
  });
  res.on('end', complete);
  res.on('error', (err) => finish(errorCode(err)));
  res.on('close', () => finish(res.complete ? undefined : 'body_incomplete'));
}

function judge(x: Exchange, target: IngressProbeTarget, signal: AbortSignal): IngressProbeResult {
  const result: IngressProbeResult = {
    result: 'ok',
    statusCode: x.status,
    durationSeconds: secondsSince(x.start),
    phases: phases(x),
    bodyBytes: x.bodyBytes,
    truncated: x.truncated,
  };
  if (x.tls !== undefined) result.tls = x.tls;
  if (x.fingerprint !== undefined) result.fingerprint = x.fingerprint;
  const tlsProblem = target.tlsErrorsFailProbe === false ? undefined : certProblem(x.tls);
  if (x.error !== undefined || tlsProblem !== undefined) result.error = x.error ?? tlsProblem;
  result.result = outcome(x, target, signal, tlsProblem);
  return result;
}

function outcome(
  x: Exchange,
  target: IngressProbeTarget,
  signal: AbortSignal,
  tlsProblem: string | undefined,
): IngressResult {
  if (x.error !== undefined) {
    if (signal.aborted) return 'timeout';
    // Connected over TCP but no TLS session: the handshake failed.
    if (target.scheme === 'https' && x.connected !== undefined && x.secured === undefined) return 'tls_error';
    // The peer answered, but not in HTTP (not a status line, headers over the parser's limit, a bad
    // chunk): a wrong service behind the port, not a network fault.
    if (isHttpParseError(x.error)) return 'protocol_error';
    return 'connect_error';
  }
  // A host the controller has no route for is also served its default certificate: the cause is the missing route.
  const unrouted =
    target.noRoute !== undefined &&
    x.fingerprint !== undefined &&
    sameFingerprint(x.fingerprint, target.noRoute);
  if (unrouted) return 'no_route';
  if (tlsProblem !== undefined) return 'tls_error';
  return classifyStatus(x.status, target.expectStatus);
}

/** Node's HTTP parser (llhttp) names its errors HPE_*: HPE_HEADER_OVERFLOW, HPE_INVALID_CONSTANT, ... */
function isHttpParseError(code: string): boolean {
  return code.startsWith('HPE_');
}

function certProblem(info: TlsInfo | undefined): string | undefined {
  if (info === undefined) return undefined;
  if (!info.verified) return info.verifyError ?? 'unverified';
  return info.hostnameMatch ? undefined : 'hostname_mismatch';
}

function phases(x: Exchange): IngressPhases {
  const span = (from: bigint | undefined, to: bigint | undefined): number =>
    from === undefined || to === undefined || to < from ? 0 : Number(to - from) / 1e9;
  const ready = x.secured ?? x.connected;
  // The request may be queued before the socket is ready: processing starts when both happened.
  const sentAt = x.sent !== undefined && ready !== undefined && x.sent > ready ? x.sent : ready;
  return {
    resolve: span(x.start, x.resolved),
    connect: span(x.resolved, x.connected),
    tls: span(x.connected, x.secured),
    processing: span(sentAt, x.firstByte),
    transfer: span(x.firstByte, x.end),
  };
}

function errorCode(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const name = (err as { name?: unknown }).name;
    if (typeof name === 'string' && name !== 'Error') return name;
  }
  return 'error';
}
