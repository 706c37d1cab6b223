import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { arr, rec, str } from './json.js';

/** An API error with the HTTP status, so callers can tell 404/409/410 apart. */
export class KubeApiError extends Error {
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

/** Limits on one API request. */
export interface RestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
  /** Responses larger than this are refused: lists are paged, so a bigger page means a fault. */
  maxBytes?: number;
  /** Total time for the whole exchange; `timeoutMs` only bounds socket idleness (a trickle). */
  deadlineMs?: number;
}

/** Default bound on one response (one list page). */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
/** Default total deadline for one request. */
export const DEFAULT_REQUEST_DEADLINE_MS = 30_000;

/**
 * Sends one request to the API server with the kubeconfig's credentials and returns the parsed JSON.
 * Raw JSON (not client-node's typed models) keeps field names as the API spells them.
 */
export async function kubeRequest(kc: KubeConfig, path: string, opts: RestOptions = {}): Promise<unknown> {
  const { status, text, url } = await kubeExchange(kc, path, opts);
  let parsed: unknown;
  try {
    parsed = text === '' ? {} : JSON.parse(text);
  } catch {
    throw new KubeApiError(
      `${opts.method ?? 'GET'} ${url.pathname}: HTTP ${status}, body is not JSON`,
      status,
    );
  }
  if (status >= 200 && status < 300) return parsed;
  throw new KubeApiError(
    `${opts.method ?? 'GET'} ${url.pathname}: HTTP ${status}: ${statusMessage(parsed)}`,
    status,
  );
}

/**
 * One request with the kubeconfig's credentials, within the same limits, returning the status and
 * the body as text (for the plain-text endpoints such as /readyz).
 */
export async function kubeExchange(
  kc: KubeConfig,
  path: string,
  opts: RestOptions = {},
): Promise<{ status: number; text: string; url: URL }> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const url = new URL(cluster.server + path);
  const reqOpts: https.RequestOptions = {
    method: opts.method ?? 'GET',
    headers: { Accept: 'application/json' },
  };
  await kc.applyToHTTPSOptions(reqOpts);
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  if (payload !== undefined) {
    reqOpts.headers = { ...reqOpts.headers, 'Content-Type': opts.contentType ?? 'application/json' };
  }
  const lib = url.protocol === 'https:' ? https : http;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const deadlineMs = opts.deadlineMs ?? DEFAULT_REQUEST_DEADLINE_MS;
  return new Promise((resolve, reject) => {
    const req = lib.request(url, { ...reqOpts, timeout: opts.timeoutMs ?? 60_000 }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let tooLarge = false;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= maxBytes) chunks.push(c);
        else if (!tooLarge) {
          // Reject first: a destroyed response may still emit 'end' with the partial body.
          tooLarge = true;
          reject(
            new Error(
              `response from ${url.pathname} exceeds ${maxBytes} bytes; lists are paged, so a page this large is refused`,
            ),
          );
          req.destroy();
        }
      });
      res.on('end', () => {
        if (!tooLarge) settle(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'));
      });
      res.on('error', reject);
    });
    const settle = (status: number, text: string): void => resolve({ status, text, url });
    req.on('timeout', () => req.destroy(new Error(`request to ${url.pathname} timed out`)));
    // The idle timeout never fires on a server that trickles bytes: bound the whole exchange too.
    const deadline = setTimeout(
      () => req.destroy(new Error(`request to ${url.pathname} exceeded its ${deadlineMs} ms deadline`)),
      deadlineMs,
    );
    deadline.unref();
    req.on('close', () => clearTimeout(deadline));
    req.on('error', reject);
    req.end(payload);
  });
}

function statusMessage(body: unknown): string {
  if (typeof body === 'object' && body !== null && 'message' in body) return String(body.message);
  return 'no message';
}

/** How to page through one collection. */
export interface ListPagesOptions {
  /** Extra query parameters (labelSelector, fieldSelector). */
  params?: Record<string, string>;
  /** Items per page (default 500). */
  pageSize?: number;
  timeoutMs?: number;
  /** Total deadline per page (default 30 s). */
  deadlineMs?: number;
  /** Largest page accepted (default 16 MiB). */
  maxBytes?: number;
}

/**
 * Lists every page of a collection with plain LIST requests, handing each page's items to `onItems`
 * as it arrives (so callers can project them and never hold whole objects all at once). Returns the
 * list's resourceVersion. A server that repeats a continue token would page forever: that is an error.
 */
export async function listPages(
  kc: KubeConfig,
  path: string,
  opts: ListPagesOptions,
  onItems: (items: unknown[]) => void,
): Promise<string> {
  let cont = '';
  let resourceVersion = '';
  do {
    const q = new URLSearchParams({ limit: String(opts.pageSize ?? 500), ...opts.params });
    if (cont !== '') q.set('continue', cont);
    const page = rec(
      await kubeRequest(kc, `${path}?${q.toString()}`, {
        ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
        ...(opts.deadlineMs === undefined ? {} : { deadlineMs: opts.deadlineMs }),
        ...(opts.maxBytes === undefined ? {} : { maxBytes: opts.maxBytes }),
      }),
    );
    onItems(arr(page.items));
    const meta = rec(page.metadata);
    resourceVersion = str(meta.resourceVersion) ?? resourceVersion;
    const next = str(meta.continue) ?? '';
    if (next !== '' && next === cont)
      throw new Error(`${path}: the API server repeated continue token ${next}`);
    cont = next;
  } while (cont !== '');
  return resourceVersion;
}
