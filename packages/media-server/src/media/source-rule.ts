/**
 * Which sources a session takes RTP from (symmetric RTP with a safe latch), as a pure decision.
 *
 * - No remote signalled yet: nothing is accepted.
 * - Not latched: any port of the signalled IP (port-rewriting NAT), nothing else.
 * - Latched: only the latched address:port, except that the exact signalled address:port is
 *   always accepted and takes the latch back, so a stranger on the same IP cannot lock the real
 *   peer out.
 *
 * The caller latches (`latch: true`) only once the packet has proved to be valid RTP.
 */
export interface Endpoint {
  address: string;
  port: number;
}

export type SourceVerdict = { accept: false } | { accept: true; latch: boolean };

export function checkSource(
  from: Endpoint,
  signalled: Endpoint | undefined,
  latched: Endpoint | undefined,
  symmetric = true,
): SourceVerdict {
  if (!signalled) return { accept: false };
  const isLatched =
    latched !== undefined && from.address === latched.address && from.port === latched.port;
  if (isLatched) return { accept: true, latch: false };
  const isSignalled = from.address === signalled.address && from.port === signalled.port;
  if (isSignalled || (!latched && from.address === signalled.address)) {
    return { accept: true, latch: symmetric };
  }
  return { accept: false };
}
