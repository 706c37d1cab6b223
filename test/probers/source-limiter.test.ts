import { SourceLimiter, sourceKey } from '../../src/probers/source-limiter.js';

describe('SourceLimiter', () => {
  test('a source gets its burst, then tokens at the rate', () => {
    let now = 0;
    const limiter = new SourceLimiter({ rate: 2, burst: 3, now: () => now });
    expect([1, 2, 3, 4].map(() => limiter.take('10.0.0.1'))).toEqual([true, true, true, false]);
    now += 500; // one token at 2/s
    expect([limiter.take('10.0.0.1'), limiter.take('10.0.0.1')]).toEqual([true, false]);
    expect(limiter.take('10.0.0.2')).toBe(true);
  });

  test('the table of sources stays bounded, forgetting the least recently seen first', () => {
    const limiter = new SourceLimiter({ rate: 0.1, burst: 1, maxSources: 100, now: () => 0 });
    expect(limiter.take('10.0.0.1')).toBe(true);
    for (let i = 0; i < 10_000; i++) limiter.take(`10.1.${i >> 8}.${i & 255}`);
    expect(limiter.size).toBe(100);
    // 10.0.0.1 was forgotten: it starts again with a full bucket.
    expect(limiter.take('10.0.0.1')).toBe(true);
  });

  test('one IPv6 /64 is one source; IPv4-mapped addresses are their IPv4 address', () => {
    expect(sourceKey('2001:db8:1:2::1')).toBe(sourceKey('2001:db8:1:2:ffff:1:2:3'));
    expect(sourceKey('2001:db8:1:2::1')).not.toBe(sourceKey('2001:db8:1:3::1'));
    expect(sourceKey('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(sourceKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    const limiter = new SourceLimiter({ rate: 0.1, burst: 1, now: () => 0 });
    expect([limiter.take('2001:db8::1'), limiter.take('2001:db8::2')]).toEqual([true, false]);
  });
});
