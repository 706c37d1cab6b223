import { once } from 'node:events';
import net from 'node:net';
import { fatalMessage } from '../../src/cli.js';

describe('fatalMessage', () => {
  it('names the address in one line when the port is taken', async () => {
    const first = net.createServer();
    first.listen(0, '127.0.0.1');
    await once(first, 'listening');
    const { port } = first.address() as net.AddressInfo;
    const second = net.createServer();
    second.listen(port, '127.0.0.1');
    const [err] = (await once(second, 'error')) as [Error];
    first.close();
    const msg = fatalMessage(err);
    expect(msg).toBe(`cannot listen on 127.0.0.1:${port}: address already in use`);
    expect(msg).not.toContain('\n');
  });

  it('keeps the stack for unexpected errors', () => {
    const err = new Error('boom');
    expect(fatalMessage(err)).toContain('at ');
  });
});
