import { readdirSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { parseDuration } from '../../src/config/duration.js';

const dir = fileURLToPath(new URL('./fixtures/invalid/', import.meta.url));
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

describe('loadConfig: invalid fixtures (one per validation rule)', () => {
  test.each(fixtures)('%s is refused with its exact message', (name) => {
    const file = join(dir, name);
    const expected = /^# expect: (.*)$/m.exec(readFileSync(file, 'utf8'))?.[1]?.replace('FILE', file);
    expect(expected).toBeDefined();
    let message = '';
    try {
      loadConfig(file, {});
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message.split('\n')[0]).toBe(expected);
  });
});

describe('loadConfig: defaults and precedence', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'netprobe-config-'));
  const file = join(tmp, 'config.yaml');
  writeFileSync(file, 'listen: 127.0.0.1:1000\nnode:\n  dns:\n    interval: 30s\n');

  test('defaults fill what the file leaves out', () => {
    const c = loadConfig(undefined, {});
    expect(c.listen).toBe(':9808');
    expect(c.node.dns.interval).toBe(10);
    expect(c.node.dns.timeout).toBe(2);
    expect(c.cluster.ingress.maxBodyBytes).toBe(65536);
  });

  test('file < environment < flags', () => {
    expect(loadConfig(file, {}).listen).toBe('127.0.0.1:1000');
    expect(loadConfig(file, { NETPROBE_LISTEN: '127.0.0.1:2000' }).listen).toBe('127.0.0.1:2000');
    expect(loadConfig(file, { NETPROBE_LISTEN: '127.0.0.1:2000' }, { listen: '127.0.0.1:3000' }).listen).toBe(
      '127.0.0.1:3000',
    );
    expect(loadConfig(file, { NODE_NAME: 'n1', POD_NAMESPACE: 'mon' }).node.name).toBe('n1');
    expect(loadConfig(file, { POD_NAMESPACE: 'mon' }).cluster.namespace).toBe('mon');
    expect(loadConfig(file, {}).node.dns.interval).toBe(30);
  });

  test.each([
    [
      'server:\n  headersTimeout: 20s\n  requestTimeout: 10s\n',
      'server.headersTimeout: expected headersTimeout no longer than requestTimeout',
    ],
    ['server:\n  maxConnections: 0\n', 'server.maxConnections'],
    ['server:\n  keepAliveTimeout: 1h\n', 'server.keepAliveTimeout: expected a duration between'],
    ['node:\n  listeners:\n    payloadBurst: 0\n', 'node.listeners.payloadBurst'],
    ['node:\n  listeners:\n    headerTimeout: soon\n', 'node.listeners.headerTimeout: expected a duration'],
  ])('listener limits out of range are refused: %j', (yaml, message) => {
    const bad = join(tmp, 'limits.yaml');
    writeFileSync(bad, yaml);
    expect(() => loadConfig(bad, {})).toThrow(message);
  });

  test('a missing file names the file', () => {
    expect(() => loadConfig(join(tmp, 'nope.yaml'), {})).toThrow(
      `${join(tmp, 'nope.yaml')}: cannot read config file`,
    );
  });
});

describe('parseDuration', () => {
  test.each([
    ['10s', 10],
    ['500ms', 0.5],
    ['2m', 120],
    ['1h30m', 5400],
    [3, 3],
  ] as const)('%s = %d s', (text, secs) => expect(parseDuration(text)).toBe(secs));
  test.each(['', 'soon', '10', '-1s', '5 s'])('%j is not a duration', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );
});
