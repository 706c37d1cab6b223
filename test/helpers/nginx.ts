import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import http, { type RequestListener } from 'node:http';
import { connect, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';

/** A running Debian nginx in the foreground with everything under `dir`. */
export interface NginxHandle {
  dir: string;
  /** Stops nginx and waits for it to exit; safe to call twice. */
  stop(): Promise<void>;
  errorLog(): Promise<string>;
}

/** A port that was free a moment ago (nginx cannot listen on 0 and tell us the port). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A Node HTTP backend on 127.0.0.1 (port 0) for nginx or the sandbox proxy to forward to. */
export interface Backend {
  port: number;
  close(): Promise<void>;
}

/** Starts a loopback HTTP server; close() also drops held connections (the slow backend keeps some). */
export async function startBackend(handler: RequestListener): Promise<Backend> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Starts `nginx -p DIR -c nginx.conf -g 'daemon off;'` with `httpBlock` inside `http { }`, and waits until every
 * port in `ports` accepts connections. Temp paths, pid and logs stay in `dir`; workers run as root so they can read it.
 */
export async function startNginx(dir: string, httpBlock: string, ports: number[]): Promise<NginxHandle> {
  await mkdir(join(dir, 'tmp'), { recursive: true });
  const conf = `user root root;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 4096; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  server_names_hash_bucket_size 128;
${httpBlock}
}
`;
  await writeFile(join(dir, 'nginx.conf'), conf);
  const child = spawn(
    'nginx',
    ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log'), '-g', 'daemon off;'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const handle: NginxHandle = {
    dir,
    stop: () => stop(child, exited),
    errorLog: async () => readFile(join(dir, 'error.log'), 'utf8').catch(() => ''),
  };
  const ready = await Promise.race([waitForPorts(ports, 10_000), exited.then(() => false)]);
  if (!ready) {
    await handle.stop();
    throw new Error(`nginx did not start: ${stderr}\n${await handle.errorLog()}`);
  }
  return handle;
}

async function stop(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

async function waitForPorts(ports: number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (const port of ports) {
    while (!(await accepts(port))) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return true;
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
