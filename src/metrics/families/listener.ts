import { counter, type DefineContext } from '../define.js';

/** Why one of netprobe's own listeners turned a client away. */
export const REFUSAL_REASONS = ['connections', 'timeout', 'body', 'bad_request', 'rate_limited'] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** netprobe's own listeners: the metrics/status server and the node's sentinel and neighbour ports. */
export function listenerMetrics(ctx: DefineContext) {
  return {
    refusals: counter(ctx, {
      name: 'netprobe_listener_refusals_total',
      help: 'Clients a netprobe listener (metrics, sentinel, neighbour) turned away, by reason: connections (over the connection cap), timeout (request head too slow, or idle), body (a request body, which no route takes), bad_request (malformed request, payload over the cap), rate_limited (payload requests over the per-source budget).',
      labelNames: ['listener', 'reason'] as const,
      role: 'both',
    }),
  };
}
