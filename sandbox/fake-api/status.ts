/** A metav1.Status body, the shape every apiserver error (and some successes) takes. */
export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message: string;
  reason: string;
  details?: { name?: string; group?: string; kind?: string };
  code: number;
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** An error a handler raises to answer with a Status; anything else thrown becomes a 500. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly reason: string = REASONS[code] ?? 'Unknown',
    readonly details?: StatusBody['details'],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Builds the Status body for an error code and message. */
export function statusBody(
  code: number,
  message: string,
  reason?: string,
  details?: StatusBody['details'],
): StatusBody {
  const body: StatusBody = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: code < 400 ? 'Success' : 'Failure',
    message,
    reason: reason ?? REASONS[code] ?? 'Unknown',
    code,
  };
  if (details !== undefined) body.details = details;
  return body;
}
