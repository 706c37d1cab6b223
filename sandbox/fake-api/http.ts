import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, statusBody, type StatusBody } from './status.js';

// The real apiserver caps request bodies at 3 MiB; so does the fake, to answer 413 rather than buffer forever.
const MAX_BODY_BYTES = 3 * 1024 * 1024;

/** Sends a JSON body with the given status code. */
export function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Sends a Status body with its code. */
export function sendStatus(res: ServerResponse, status: StatusBody): void {
  sendJson(res, status.code, status);
}

/** Reads and parses a JSON request body; ApiError 400/413/415 when it is not acceptable JSON. */
export async function readJsonBody(
  req: IncomingMessage,
  accepted: readonly string[],
): Promise<{ body: unknown; type: string }> {
  const type = (req.headers['content-type'] ?? 'application/json').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!accepted.includes(type)) {
    throw new ApiError(
      415,
      `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  // Past the cap the rest is read and dropped: leaving the loop early would destroy the socket, and
  // the client would see a reset instead of the 413.
  for await (const chunk of req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size <= MAX_BODY_BYTES) chunks.push(buf);
  }
  if (size > MAX_BODY_BYTES) throw new ApiError(413, 'the request body is too large');
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new ApiError(400, 'the request body is empty');
  try {
    return { body: JSON.parse(text) as unknown, type };
  } catch (err) {
    throw new ApiError(400, `the body of the request could not be decoded: ${(err as Error).message}`);
  }
}

/** The Status for anything a handler threw. */
export function statusOf(err: unknown): StatusBody {
  if (err instanceof ApiError) return statusBody(err.code, err.message, err.reason, err.details);
  return statusBody(500, `internal error: ${err instanceof Error ? err.message : String(err)}`);
}
