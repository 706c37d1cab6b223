import { Packet } from 'dns2';
import {
  buildReply,
  listenDns,
  replyFromRecords,
  type DnsReply,
  type DnsTransport,
  type SandboxAnswer,
} from '../../sandbox/dns-server.js';

/**
 * How the test server misbehaves. answer: from its records (unknown name = NXDOMAIN, known name
 * with another type = NODATA); servfail/nxdomain/refused: that RCODE; drop: no reply; truncate:
 * TC over UDP with no answers, the real answer over TCP; garbage: 5 undecodable bytes; wrong-id:
 * the right answer with another ID; *-then-answer: the bad packet first, then the real answer;
 * tcp-garbage: truncate over UDP, then garbage over TCP; tcp-truncate: truncate over UDP, then
 * the real answer with TC still set over TCP.
 */
export type TestDnsMode =
  | 'answer'
  | 'servfail'
  | 'nxdomain'
  | 'refused'
  | 'drop'
  | 'truncate'
  | 'garbage'
  | 'wrong-id'
  | 'garbage-then-answer'
  | 'wrong-id-then-answer'
  | 'tcp-garbage'
  | 'tcp-truncate';

/** One query the server received. */
export interface ReceivedQuery {
  name: string;
  type: string;
  transport: DnsTransport;
}

/** A DNS server on loopback whose behaviour each test sets. */
export interface TestDnsServer {
  address: string;
  port: number;
  received: ReceivedQuery[];
  setMode: (mode: TestDnsMode) => void;
  /** Per-name overrides of the mode, e.g. REFUSED for one search candidate only. */
  setModeFor: (name: string, mode: TestDnsMode) => void;
  setDelay: (ms: number) => void;
  /** Forget the received queries and the per-name modes; back to 'answer' with no delay. */
  reset: () => void;
  close: () => Promise<void>;
}

const GARBAGE = Buffer.from('hello');

function recordsFrom(records: ReadonlyMap<string, readonly SandboxAnswer[]>) {
  return (name: string, type: string): readonly SandboxAnswer[] | 'nxdomain' => {
    const all = records.get(name);
    return all === undefined ? 'nxdomain' : all.filter((r) => r.type === type);
  };
}

function withId(reply: Packet, id: number): Packet {
  reply.header.id = id;
  return reply;
}

function withTc(reply: Packet): Packet {
  reply.header.tc = 1;
  return reply;
}

function truncated(request: Packet): Packet {
  return withTc(buildReply(request, Packet.RCODE.NOERROR));
}

/** Starts the server on `host` (127.0.0.1) and a free port; `records` maps lower-case names to answers. */
export async function startTestDnsServer(
  records: ReadonlyMap<string, readonly SandboxAnswer[]>,
  host = '127.0.0.1',
): Promise<TestDnsServer> {
  let mode: TestDnsMode = 'answer';
  let delayMs = 0;
  const modes = new Map<string, TestDnsMode>();
  const received: ReceivedQuery[] = [];
  const lookup = recordsFrom(records);
  const reply = (request: Packet, transport: DnsTransport, current: TestDnsMode): DnsReply => {
    const good = replyFromRecords(request, lookup);
    switch (current) {
      case 'answer':
        return good;
      case 'servfail':
        return buildReply(request, Packet.RCODE.SERVFAIL);
      case 'nxdomain':
        return buildReply(request, Packet.RCODE.NXDOMAIN);
      case 'refused':
        return buildReply(request, Packet.RCODE.REFUSED);
      case 'drop':
        return null;
      case 'garbage':
        return GARBAGE;
      case 'wrong-id':
        return withId(good, (request.header.id + 1) & 0xffff);
      case 'truncate':
        return transport === 'udp' ? truncated(request) : good;
      case 'tcp-garbage':
        return transport === 'udp' ? truncated(request) : GARBAGE;
      case 'tcp-truncate':
        return transport === 'udp' ? truncated(request) : withTc(good);
      case 'garbage-then-answer':
        return [GARBAGE, good];
      case 'wrong-id-then-answer':
        return [withId(replyFromRecords(request, lookup), (request.header.id + 1) & 0xffff), good];
    }
  };

  const listener = await listenDns(host, 0, async (request, transport) => {
    const question = request.questions[0];
    const name = question?.name.toLowerCase() ?? '';
    received.push({ name, type: Packet.typeName(question?.type ?? 0), transport });
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    return reply(request, transport, modes.get(name) ?? mode);
  });
  return {
    address: listener.address,
    port: listener.port,
    received,
    setMode: (m) => {
      mode = m;
    },
    setModeFor: (name, m) => {
      modes.set(name, m);
    },
    setDelay: (ms) => {
      delayMs = ms;
    },
    reset: () => {
      mode = 'answer';
      delayMs = 0;
      modes.clear();
      received.length = 0;
    },
    close: () => listener.close(),
  };
}
