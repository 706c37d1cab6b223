import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect, isIP, isIPv6 } from 'node:net';
import { Packet } from 'dns2';
import { searchCandidates, type Candidate } from './resolv.js';
import { secondsSince } from './types.js';

/** Record types a DNS check may ask for. */
export type DnsRecordType = 'A' | 'AAAA' | 'SRV' | 'TXT' | 'CNAME';

/** How a lookup ended; the `result` label of netprobe_dns_lookups_total. */
export type DnsOutcome = 'success' | 'nxdomain' | 'servfail' | 'refused' | 'timeout' | 'error';

/** One DNS server (an IP literal: the prober never resolves the server's own name). */
export interface DnsServerAddress {
  address: string;
  port: number;
}

/** What to look up, where, and how. */
export interface DnsTarget {
  server: DnsServerAddress;
  name: string;
  type: DnsRecordType;
  /** fqdn: one query for the name as written; search: glibc's search-list expansion. */
  mode: 'fqdn' | 'search';
  search: readonly string[];
  ndots: number;
  /** Budget of the whole lookup (every wire query of it), not of one query. */
  timeoutSeconds: number;
  /**
   * Budget of one candidate's query (UDP and any TCP retry), within the whole lookup's. A search
   * lookup needs a budget for up to seven candidates, but a dead server must cost only this.
   */
  queryTimeoutSeconds?: number;
}

/** What one lookup observed. */
export interface DnsResult {
  outcome: DnsOutcome;
  /** The whole lookup: every candidate name, UDP and any TCP retry. */
  durationSeconds: number;
  /** Wire queries sent (each candidate's UDP query, plus a TCP query when a reply was truncated). */
  queries: number;
  /** RCODE name of the reply that decided the outcome (absent on timeout and socket errors). */
  rcode?: string;
  /** Answer records of the requested type in the deciding reply (0 for NODATA). */
  answers: number;
  /** The candidate name whose reply decided the outcome. */
  name?: string;
  /** Why, in words (for logs and the status page; never a metric label). */
  detail?: string;
}

// RFC 1035 §4.2.2: a TCP message carries a 2-octet length, so no reply can exceed this.
const MAX_TCP_MESSAGE = 0xffff;

const TYPE_CODES: Record<DnsRecordType, number> = {
  A: Packet.TYPE.A,
  AAAA: Packet.TYPE.AAAA,
  SRV: Packet.TYPE.SRV,
  TXT: Packet.TYPE.TXT,
  CNAME: Packet.TYPE.CNAME,
};

/** The abort reason of the lookup's own deadline, to tell it from the caller's abort. */
class DeadlineReached extends Error {}

const RCODE_NAMES = new Map<number, string>(Object.entries(Packet.RCODE).map(([name, code]) => [code, name]));

interface EncodedQuery {
  id: number;
  /** Lower-cased, to compare with the reply's question. */
  name: string;
  type: number;
  bytes: Buffer;
}

/** A reply that matched our query (ID, QR, question). */
interface WireReply {
  kind: 'reply';
  rcode: number;
  ancount: number;
  answers: number;
  truncated: boolean;
}

interface WireFailure {
  kind: 'timeout' | 'error';
  detail: string;
}

type WireResult = WireReply | WireFailure;

interface WireContext {
  server: DnsServerAddress;
  /** Fires at the lookup deadline or when the caller aborts. */
  signal: AbortSignal;
  /** Deadline of one candidate's query, if shorter than the lookup's. */
  queryTimeoutSeconds?: number;
  countQuery: () => void;
}

/** One candidate's verdict from a reply, in glibc's terms (answer = NOERROR with answer records). */
interface ReplyStep {
  kind: 'answer' | 'nodata' | 'nxdomain' | 'servfail' | 'refused' | 'rcode';
  name: string;
  rcode: number;
  answers: number;
  detail?: string;
}

/** One candidate that got no usable reply. */
interface FailureStep {
  kind: 'timeout' | 'error';
  name: string;
  detail: string;
}

type Step = ReplyStep | FailureStep;

function isFailure(step: Step): step is FailureStep {
  return step.kind === 'timeout' || step.kind === 'error';
}

function rcodeName(rcode: number): string {
  return RCODE_NAMES.get(rcode) ?? `RCODE${rcode}`;
}

function withoutTrailingDot(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/** Builds the query, or says why the name cannot be sent (dns2 silently drops empty labels). */
function encodeQuery(name: string, type: number): EncodedQuery | string {
  const labels = name.split('.');
  if (name === '' || labels.some((l) => l === '')) return `invalid name "${name}": empty label`;
  if (!/^[\x21-\x7e]+$/.test(name)) return `invalid name "${name}": not printable ASCII`;
  const id = randomInt(0x10000);
  try {
    const packet = new Packet();
    packet.header.id = id;
    packet.header.rd = 1;
    packet.questions.push(new Packet.Question(name, type, Packet.CLASS.IN));
    return { id, name: name.toLowerCase(), type, bytes: packet.toBuffer() };
  } catch (err) {
    return `invalid name "${name}": ${errorText(err)}`;
  }
}

function decode(bytes: Buffer): Packet | undefined {
  try {
    return Packet.parse(bytes);
  } catch {
    return undefined;
  }
}

/** Checks a reply against the query; a reason string when it is not ours or is malformed. */
function validateReply(bytes: Buffer, query: EncodedQuery): WireReply | string {
  const packet = decode(bytes);
  if (packet === undefined) return `undecodable reply of ${bytes.length} bytes`;
  const { header } = packet;
  if (header.id !== query.id) return `reply with ID ${header.id}, expected ${query.id}`;
  if (header.qr !== 1) return 'reply without the QR bit';
  const question = packet.questions[0];
  const sameQuestion =
    packet.questions.length === 1 &&
    question !== undefined &&
    question.name.toLowerCase() === query.name &&
    question.type === query.type &&
    question.class === Packet.CLASS.IN;
  if (!sameQuestion) return 'reply to a different question';
  const truncated = header.tc === 1;
  // A truncated reply may be cut inside a record; only its header and question matter.
  const firstError = packet.errors[0];
  if (!truncated && firstError !== undefined) return `malformed reply: ${firstError.message}`;
  const answers = packet.answers.filter((a) => a.type === query.type).length;
  return { kind: 'reply', rcode: header.rcode, ancount: header.ancount, answers, truncated };
}

/** Error text without `instanceof` (errors from node internals may come from another realm, as in jest). */
function errorText(err: unknown): string {
  return typeof err === 'object' && err !== null && 'message' in err ? String(err.message) : String(err);
}

function socketErrorDetail(err: unknown): string {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  if (code === 'ECONNREFUSED') return 'connection refused (nothing listens on the server port)';
  return errorText(err);
}

/** At the deadline: an error if only invalid packets came back (the server is broken), else a timeout. */
function deadlineResult(signal: AbortSignal, invalid: string | undefined): WireFailure {
  if (invalid !== undefined)
    return { kind: 'error', detail: `no valid reply before the deadline; last packet: ${invalid}` };
  const byCaller = signal.reason instanceof DeadlineReached ? '' : ' (aborted by the caller)';
  return { kind: 'timeout', detail: `no reply before the deadline${byCaller}` };
}

/** Settles a wire query once: runs cleanup and drops the abort listener. */
function settleOnce(
  signal: AbortSignal,
  resolve: (r: WireResult) => void,
  cleanup: () => void,
): { finish: (r: WireResult) => void; onAbort: (fn: () => void) => void } {
  let settled = false;
  let abortListener: (() => void) | undefined;
  const finish = (result: WireResult): void => {
    if (settled) return;
    settled = true;
    if (abortListener !== undefined) signal.removeEventListener('abort', abortListener);
    cleanup();
    resolve(result);
  };
  const onAbort = (fn: () => void): void => {
    if (settled) return;
    abortListener = fn;
    if (signal.aborted) fn();
    else signal.addEventListener('abort', fn, { once: true });
  };
  return { finish, onAbort };
}

/** One UDP query on a fresh connected socket (the kernel then drops datagrams from other peers). */
function queryUdp(ctx: WireContext, query: EncodedQuery): Promise<WireResult> {
  return new Promise((resolve) => {
    const socket = createSocket(isIPv6(ctx.server.address) ? 'udp6' : 'udp4');
    let invalid: string | undefined;
    const { finish, onAbort } = settleOnce(ctx.signal, resolve, () => {
      try {
        socket.close();
      } catch {
        // already closed
      }
    });
    socket.on('error', (err) => finish({ kind: 'error', detail: socketErrorDetail(err) }));
    socket.on('message', (bytes) => {
      const reply = validateReply(bytes, query);
      // Keep waiting after an invalid packet: it may be a stray, and the real reply may follow.
      if (typeof reply === 'string') invalid = reply;
      else finish(reply);
    });
    // The deadline may close the socket before it connects; then send throws, and finish is a no-op.
    const send = (): void => {
      try {
        socket.send(query.bytes, (err) => {
          if (err) finish({ kind: 'error', detail: socketErrorDetail(err) });
          else ctx.countQuery();
        });
      } catch (err) {
        finish({ kind: 'error', detail: socketErrorDetail(err) });
      }
    };
    socket.connect(ctx.server.port, ctx.server.address, send);
    onAbort(() => finish(deadlineResult(ctx.signal, invalid)));
  });
}

/** Collects one length-prefixed message, never holding more than 2 + 65535 bytes. */
function tcpFramer(onMessage: (message: Buffer) => void): {
  push: (chunk: Buffer) => void;
  received: () => number;
} {
  let buffer = Buffer.alloc(0);
  let done = false;
  const push = (chunk: Buffer): void => {
    if (done) return;
    const room = 2 + MAX_TCP_MESSAGE - buffer.length;
    buffer = Buffer.concat([buffer, chunk.subarray(0, Math.max(0, room))]);
    if (buffer.length < 2) return;
    const length = buffer.readUInt16BE(0);
    if (buffer.length < 2 + length) return;
    done = true;
    onMessage(buffer.subarray(2, 2 + length));
  };
  return { push, received: () => buffer.length };
}

/** One query over a fresh TCP connection (RFC 1035 §4.2.2 framing). */
function queryTcp(ctx: WireContext, query: EncodedQuery): Promise<WireResult> {
  return new Promise((resolve) => {
    const socket = connect({ host: ctx.server.address, port: ctx.server.port, noDelay: true });
    const { finish, onAbort } = settleOnce(ctx.signal, resolve, () => socket.destroy());
    const framer = tcpFramer((message) => {
      const reply = validateReply(message, query);
      if (typeof reply === 'string') finish({ kind: 'error', detail: `over TCP: ${reply}` });
      // TC means the message did not fit the channel (RFC 1035 §4.1.1); over TCP there is no
      // larger channel to retry on, so the answer is incomplete: the server is broken, not working.
      else if (reply.truncated)
        finish({ kind: 'error', detail: 'over TCP: reply still truncated (TC bit set)' });
      else finish(reply);
    });
    socket.on('connect', () => {
      const frame = Buffer.alloc(2 + query.bytes.length);
      frame.writeUInt16BE(query.bytes.length, 0);
      query.bytes.copy(frame, 2);
      socket.write(frame);
      ctx.countQuery();
    });
    socket.on('data', (chunk: Buffer) => framer.push(chunk));
    socket.on('error', (err) => finish({ kind: 'error', detail: `over TCP: ${socketErrorDetail(err)}` }));
    socket.on('close', () =>
      finish({
        kind: 'error',
        detail: `over TCP: connection closed after ${framer.received()} bytes, before a whole reply`,
      }),
    );
    onAbort(() => finish(deadlineResult(ctx.signal, undefined)));
  });
}

/** One candidate name: UDP, then TCP when the UDP reply is truncated (as glibc does without use-vc). */
async function queryName(ctx: WireContext, name: string, type: number): Promise<Step> {
  const query = encodeQuery(name, type);
  if (typeof query === 'string') return { kind: 'error', name, detail: query };
  if (ctx.signal.aborted)
    return { kind: 'timeout', name, detail: deadlineResult(ctx.signal, undefined).detail };
  const own =
    ctx.queryTimeoutSeconds === undefined ? undefined : lookupDeadline(ctx.signal, ctx.queryTimeoutSeconds);
  const qctx = own === undefined ? ctx : { ...ctx, signal: own.signal };
  let wire: WireResult;
  let detail: string | undefined;
  try {
    wire = await queryUdp(qctx, query);
    if (wire.kind === 'reply' && wire.truncated) {
      detail = 'UDP reply truncated, retried over TCP';
      wire = await queryTcp(qctx, query);
    }
  } finally {
    own?.cancel();
  }
  if (wire.kind !== 'reply')
    return {
      kind: wire.kind,
      name,
      detail: detail === undefined ? wire.detail : `${detail}: ${wire.detail}`,
    };
  const common = {
    name,
    rcode: wire.rcode,
    answers: wire.answers,
    ...(detail === undefined ? {} : { detail }),
  };
  switch (wire.rcode) {
    case Packet.RCODE.NOERROR:
      return { kind: wire.ancount > 0 ? 'answer' : 'nodata', ...common };
    case Packet.RCODE.NXDOMAIN:
      return { kind: 'nxdomain', ...common };
    case Packet.RCODE.SERVFAIL:
      return { kind: 'servfail', ...common };
    case Packet.RCODE.REFUSED:
      return { kind: 'refused', ...common };
    default:
      return { kind: 'rcode', ...common, detail: `server answered ${rcodeName(wire.rcode)}` };
  }
}

function outcomeOf(step: Step): DnsOutcome {
  switch (step.kind) {
    case 'answer':
    case 'nodata':
      return 'success';
    case 'rcode':
      return 'error';
    default:
      return step.kind;
  }
}

function resultOf(step: Step, queries: number): Omit<DnsResult, 'durationSeconds'> {
  const base = { outcome: outcomeOf(step), queries, name: step.name };
  if (isFailure(step)) return { ...base, answers: 0, detail: step.detail };
  const detail = step.kind === 'nodata' ? 'no records of the requested type (NODATA)' : step.detail;
  return {
    ...base,
    rcode: rcodeName(step.rcode),
    answers: step.answers,
    ...(detail === undefined ? {} : { detail }),
  };
}

/** glibc's res_search bookkeeping: what it remembers to pick the error when no candidate answers. */
interface SearchState {
  asIsFirst?: Step;
  nodata?: Step;
  servfail?: Step;
  last?: Step;
  searchDone: boolean;
}

/** Whether the lookup ends here; updates the state otherwise. */
function recordStep(state: SearchState, candidate: Candidate, step: Step): boolean {
  // A timeout spends the lookup's whole budget; a socket error means no server (glibc gives up on ECONNREFUSED).
  if (step.kind === 'answer' || step.kind === 'timeout' || step.kind === 'error') return true;
  state.last = step;
  if (candidate.role === 'as-is-first') state.asIsFirst = step;
  if (step.kind === 'nodata') state.nodata ??= step;
  if (step.kind === 'servfail') state.servfail ??= step;
  // NXDOMAIN, NODATA and SERVFAIL go on down the search list; any other answer ends the search
  // list, but glibc still tries the name as is afterwards "in case it's fully-qualified".
  if (candidate.role === 'search' && (step.kind === 'refused' || step.kind === 'rcode'))
    state.searchDone = true;
  return false;
}

/** glibc's choice when nothing answered: the as-is result, else NODATA, else SERVFAIL, else the last. */
function finalStep(state: SearchState): Step | undefined {
  return state.asIsFirst ?? state.nodata ?? state.servfail ?? state.last;
}

function candidatesOf(target: DnsTarget): Candidate[] {
  if (target.mode === 'fqdn') return [{ name: withoutTrailingDot(target.name), role: 'as-is-first' }];
  return searchCandidates(target.name, { search: target.search, ndots: target.ndots });
}

async function lookup(
  target: DnsTarget,
  ctx: WireContext,
  queries: () => number,
): Promise<Omit<DnsResult, 'durationSeconds'>> {
  const state: SearchState = { searchDone: false };
  const type = TYPE_CODES[target.type];
  for (const candidate of candidatesOf(target)) {
    if (candidate.role === 'search' && state.searchDone) continue;
    const step = await queryName(ctx, candidate.name, type);
    if (recordStep(state, candidate, step)) return resultOf(step, queries());
  }
  const step = finalStep(state);
  return step === undefined
    ? { outcome: 'error', queries: queries(), answers: 0, detail: 'no name to query' }
    : resultOf(step, queries());
}

/** One signal for "stop now": the caller's abort or the lookup's own deadline, whichever is first. */
function lookupDeadline(parent: AbortSignal, seconds: number): { signal: AbortSignal; cancel: () => void } {
  const controller = new AbortController();
  const onParentAbort = (): void => controller.abort(parent.reason);
  const timer = setTimeout(
    () => controller.abort(new DeadlineReached('deadline')),
    Math.max(0, seconds * 1000),
  );
  if (parent.aborted) onParentAbort();
  else parent.addEventListener('abort', onParentAbort, { once: true });
  return {
    signal: controller.signal,
    cancel: () => {
      clearTimeout(timer);
      parent.removeEventListener('abort', onParentAbort);
    },
  };
}

/**
 * Looks `target.name` up on one server with raw queries, as glibc's resolver would (search list,
 * ndots, TCP on truncation), and measures the whole lookup. Never throws; failures are outcomes.
 * NODATA is a success with `answers: 0`: the server worked, and the name exists. Unlike glibc,
 * each query is sent once (no `attempts` retransmission, no other server), `timeoutSeconds`
 * bounds the whole lookup and `queryTimeoutSeconds` each query, and a timeout ends the lookup: the
 * probe measures this one server.
 */
export async function probeDns(target: DnsTarget, signal: AbortSignal): Promise<DnsResult> {
  const start = process.hrtime.bigint();
  let queries = 0;
  if (isIP(target.server.address) === 0) {
    return {
      outcome: 'error',
      durationSeconds: secondsSince(start),
      queries,
      answers: 0,
      detail: `server address ${target.server.address} is not an IP address`,
    };
  }
  const deadline = lookupDeadline(signal, target.timeoutSeconds);
  const ctx: WireContext = {
    server: target.server,
    signal: deadline.signal,
    ...(target.queryTimeoutSeconds === undefined ? {} : { queryTimeoutSeconds: target.queryTimeoutSeconds }),
    countQuery: () => (queries += 1),
  };
  try {
    const result = await lookup(target, ctx, () => queries);
    return { ...result, durationSeconds: secondsSince(start) };
  } catch (err) {
    return {
      outcome: 'error',
      durationSeconds: secondsSince(start),
      queries,
      answers: 0,
      detail: errorText(err),
    };
  } finally {
    deadline.cancel();
  }
}
