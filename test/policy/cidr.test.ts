import { cidrContains, cidrWithin, parseCidr, parseIp } from '../../src/policy/cidr.js';

function contains(cidr: string, ip: string): boolean {
  const c = parseCidr(cidr);
  const a = parseIp(ip);
  if (!c || !a) throw new Error(`bad test input ${cidr} ${ip}`);
  return cidrContains(c, a);
}

describe('parseIp', () => {
  it.each([
    ['10.0.0.1', 4, 0x0a000001n],
    ['255.255.255.255', 4, 0xffffffffn],
    ['::1', 6, 1n],
    ['::', 6, 0n],
    ['2001:db8::8:800:200c:417a', 6, 0x20010db8000000000008080020_0c417an],
    ['::ffff:192.168.1.1', 6, 0xffffc0a80101n],
    ['fd00:1::101', 6, 0xfd000001000000000000000000000101n],
  ])('%s', (text, family, value) => {
    expect(parseIp(text)).toEqual({ family, value });
  });

  it.each([
    '10.0.0',
    '10.0.0.256',
    '010.0.0.1',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    'fd00::g',
    '',
    '1.2.3.4/32',
    ':::',
  ])('rejects %j', (text) => {
    expect(parseIp(text)).toBeUndefined();
  });
});

describe('parseCidr / cidrContains', () => {
  it.each([
    ['10.0.0.0/8', '10.255.1.2', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['192.168.1.1/24', '192.168.1.200', true], // host bits set are accepted and cleared
    ['192.168.1.0/24', '192.168.2.1', false],
    ['0.0.0.0/0', '203.0.113.9', true],
    ['0.0.0.0/0', '2001:db8::1', false], // families never mix
    ['10.1.2.3/32', '10.1.2.3', true],
    ['10.1.2.3/32', '10.1.2.4', false],
    ['2001:db8::/64', '2001:db8::1234:1', true],
    ['2001:db8::/64', '2001:db8:0:1::1', false],
    ['::/0', '::1', true],
    ['fd00:1::200/120', 'fd00:1::2ff', true],
    ['fd00:1::200/120', 'fd00:1::300', false],
  ])('%s contains %s: %s', (cidr, ip, expected) => {
    expect(contains(cidr, ip)).toBe(expected);
  });

  it.each(['10.0.0.0', '10.0.0.0/33', '::/129', '10.0.0.0/-1', '10.0.0.0/08', 'x/8'])(
    'rejects %j',
    (text) => {
      expect(parseCidr(text)).toBeUndefined();
    },
  );

  it('cidrWithin tells subsets', () => {
    const outer = parseCidr('10.0.0.0/16');
    const inner = parseCidr('10.0.3.0/24');
    const other = parseCidr('10.1.0.0/24');
    if (!outer || !inner || !other) throw new Error('parse');
    expect(cidrWithin(inner, outer)).toBe(true);
    expect(cidrWithin(outer, inner)).toBe(false);
    expect(cidrWithin(other, outer)).toBe(false);
  });
});
