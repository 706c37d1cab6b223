import type { Socket } from 'node:net';
import { Packet, TCPServer, UDPServer, type Question, type Resource } from 'dns2';

/** Which socket a request came in on. */
export type DnsTransport = 'udp' | 'tcp';

/** What to send back: one message, several in order (tests send a stray first), or nothing. */
export type DnsReply = Packet | Buffer | readonly (Packet | Buffer)[] | null;

/** Turns a request into the reply to send. */
export type DnsRequestHandler = (request: Packet, transport: DnsTransport) => Promise<DnsReply> | DnsReply;

/** A UDP socket and a TCP listener bound to the same address and port. */
export interface DnsListener {
  address: string;
  port: number;
  close: () => Promise<void>;
}

/** One answer record the sandbox serves; the owner name is the question's name. */
export type SandboxAnswer = { ttl?: number } & (
  | { type: 'A' | 'AAAA'; address: string }
  | { type: 'SRV'; priority: number; weight: number; port: number; target: string }
  | { type: 'TXT'; data: string }
  | { type: 'CNAME'; domain: string }
);

/** Answers for a lower-case name without trailing dot and a type name ('A', 'SRV', 'TYPE65'...); [] is NODATA. */
export type SandboxRecords = (name: string, type: string) => readonly SandboxAnswer[] | 'nxdomain';

/** Where the sandbox DNS listens and what it serves. */
export interface SandboxDnsOptions {
  /** Any 127.x.y.z works on Linux without configuring an interface. */
  address: string;
  /** 0 picks a free port (the same one for UDP and TCP). */
  port: number;
  delayMs?: number;
  records: SandboxRecords;
}

/** A running sandbox DNS server (a CoreDNS replica stand-in). */
export interface SandboxDns {
  address: string;
  port: number;
  /** Delay every reply by this much (a slow replica). */
  setDelay: (ms: number) => void;
  /** Answer this share of queries (0 to 1, picked at random) with SERVFAIL; 1 is a broken replica. */
  setServfail: (ratio: number) => void;
  /** Keep the port but answer nothing, as a dead replica behind a still-routed IP looks. */
  stop: () => void;
  /** Answer again after stop(). */
  start: () => void;
  close: () => Promise<void>;
}

const BIND_ATTEMPTS = 5;

function bindUdp(socket: UDPServer, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, address, () => {
      socket.removeListener('error', reject);
      resolve();
    });
  });
}

function listenTcp(server: TCPServer, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
}

function closeUdp(socket: UDPServer): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve();
    }
  });
}

function closeTcp(server: TCPServer, connections: Set<Socket>): Promise<void> {
  return new Promise((resolve) => {
    for (const connection of connections) connection.destroy();
    server.close(() => resolve());
  });
}

type Send = (response: Packet | Buffer) => Promise<Buffer>;

function messagesOf(reply: DnsReply): readonly (Packet | Buffer)[] {
  if (reply === null) return [];
  return reply instanceof Packet || Buffer.isBuffer(reply) ? [reply] : reply;
}

function respond(handler: DnsRequestHandler, transport: DnsTransport): (request: Packet, send: Send) => void {
  return (request, send) => {
    Promise.resolve()
      .then(() => handler(request, transport))
      .then(async (reply) => {
        for (const message of messagesOf(reply)) await send(message);
      })
      // A client that went away is not the server's problem.
      .catch(() => undefined);
  };
}

async function listenOnce(address: string, port: number, handler: DnsRequestHandler): Promise<DnsListener> {
  const udp = new UDPServer({ type: address.includes(':') ? 'udp6' : 'udp4' });
  const tcp = new TCPServer();
  const connections = new Set<Socket>();
  udp.on('request', respond(handler, 'udp'));
  tcp.on('request', respond(handler, 'tcp'));
  // Undecodable requests and reset connections must not crash the process.
  udp.on('requestError', () => undefined);
  tcp.on('requestError', () => undefined);
  tcp.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
  });
  await bindUdp(udp, port, address);
  const bound = udp.address().port;
  try {
    await listenTcp(tcp, bound, address);
  } catch (err) {
    await closeUdp(udp);
    throw err;
  }
  udp.on('error', () => undefined);
  tcp.on('error', () => undefined);
  return {
    address,
    port: bound,
    close: async () => {
      await Promise.all([closeUdp(udp), closeTcp(tcp, connections)]);
    },
  };
}

function isAddressInUse(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === 'EADDRINUSE';
}

/**
 * Binds UDP and TCP on the same address and port with dns2's servers. With port 0 the UDP port
 * is picked first and TCP follows it, retried a few times if another process holds it for TCP.
 */
export async function listenDns(
  address: string,
  port: number,
  handler: DnsRequestHandler,
): Promise<DnsListener> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await listenOnce(address, port, handler);
    } catch (err) {
      if (port !== 0 || attempt >= BIND_ATTEMPTS || !isAddressInUse(err)) throw err;
    }
  }
}

function rdata(answer: SandboxAnswer): Partial<Resource> {
  switch (answer.type) {
    case 'A':
    case 'AAAA':
      return { address: answer.address };
    case 'SRV':
      return { priority: answer.priority, weight: answer.weight, port: answer.port, target: answer.target };
    case 'TXT':
      return { data: answer.data };
    case 'CNAME':
      return { domain: answer.domain };
  }
}

/** Answer records for `question`, in the Packet form dns2 encodes. */
export function answerRecords(question: Question, answers: readonly SandboxAnswer[]): Resource[] {
  return answers.map((answer) =>
    Packet.createResourceFromQuestion(question, {
      ...rdata(answer),
      name: question.name,
      type: Packet.TYPE[answer.type],
      class: Packet.CLASS.IN,
      ttl: answer.ttl ?? 30,
    }),
  );
}

/** A reply with `rcode` and, for NOERROR, the given answers; authoritative, as CoreDNS is for its zone. */
export function buildReply(request: Packet, rcode: number, answers: readonly SandboxAnswer[] = []): Packet {
  const reply = Packet.createResponseFromRequest(request);
  reply.header.aa = 1;
  reply.header.ra = 1;
  reply.header.rcode = rcode;
  const question = request.questions[0];
  if (question !== undefined && rcode === Packet.RCODE.NOERROR)
    reply.answers = answerRecords(question, answers);
  return reply;
}

/** The reply a records provider gives: NXDOMAIN, NOERROR with answers (maybe none), or SERVFAIL if it throws. */
export function replyFromRecords(request: Packet, records: SandboxRecords): Packet {
  const question = request.questions[0];
  if (question === undefined) return buildReply(request, Packet.RCODE.FORMERR);
  try {
    const name = question.name.toLowerCase().replace(/\.$/, '');
    const found = records(name, Packet.typeName(question.type));
    return found === 'nxdomain' ? buildReply(request, Packet.RCODE.NXDOMAIN) : buildReply(request, 0, found);
  } catch {
    return buildReply(request, Packet.RCODE.SERVFAIL);
  }
}

/**
 * Starts a small CoreDNS stand-in for the demo: answers from `records` over UDP and TCP (TC set
 * over UDP when a reply exceeds 512 bytes), with an adjustable delay and a stop/start switch.
 */
export async function startSandboxDns(options: SandboxDnsOptions): Promise<SandboxDns> {
  let delayMs = options.delayMs ?? 0;
  let answering = true;
  let servfailRatio = 0;
  const timers = new Set<NodeJS.Timeout>();
  const wait = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });
  const listener = await listenDns(options.address, options.port, async (request) => {
    if (!answering) return null;
    if (delayMs > 0) await wait(delayMs);
    if (servfailRatio > 0 && Math.random() < servfailRatio) return buildReply(request, Packet.RCODE.SERVFAIL);
    return replyFromRecords(request, options.records);
  });
  return {
    address: listener.address,
    port: listener.port,
    setDelay: (ms) => {
      delayMs = Math.max(0, ms);
    },
    setServfail: (ratio) => {
      servfailRatio = Math.min(1, Math.max(0, ratio));
    },
    stop: () => {
      answering = false;
    },
    start: () => {
      answering = true;
    },
    close: async () => {
      // Replies still waiting out their delay are dropped with the server.
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await listener.close();
    },
  };
}
