import net from 'node:net';

/** Token-bucket rate per source address, with a bounded table of sources. */
export interface SourceLimiterOptions {
  /** Tokens added per second to each source's bucket. */
  rate: number;
  /** Bucket size: what a source may spend at once. */
  burst: number;
  /** Sources remembered at most; the least recently seen one is forgotten first. */
  maxSources?: number;
  /** Milliseconds, monotonic (tests pass a fake clock). */
  now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * The key a source is limited under: the address itself for IPv4 (also when IPv4-mapped), the /64
 * for IPv6, since one host commonly owns a whole /64 and could otherwise rotate addresses.
 */
export function sourceKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1] !== undefined) return mapped[1];
  if (!net.isIPv6(address)) return address;
  const bare = address.split('%')[0] ?? address;
  const [head = '', tail = ''] = bare.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = bare.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = bare.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

/** Per-source token buckets; `take` answers whether the source may have one more. */
export class SourceLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxSources: number;
  private readonly now: () => number;

  constructor(private readonly options: SourceLimiterOptions) {
    this.maxSources = options.maxSources ?? 4096;
    this.now = options.now ?? (() => performance.now());
  }

  /** Spends one token of `address`'s bucket; false when it is empty. */
  take(address: string): boolean {
    const key = sourceKey(address);
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.options.burst, at: now };
    const refilled = Math.min(
      this.options.burst,
      bucket.tokens + ((now - bucket.at) / 1000) * this.options.rate,
    );
    // Re-inserted on every use, so the Map's first key is the least recently seen source.
    this.buckets.delete(key);
    const allowed = refilled >= 1;
    this.buckets.set(key, { tokens: allowed ? refilled - 1 : refilled, at: now });
    if (this.buckets.size > this.maxSources) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    return allowed;
  }

  /** Sources currently remembered. */
  get size(): number {
    return this.buckets.size;
  }
}
