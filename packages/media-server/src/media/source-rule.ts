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

// Shared verdicts: this runs for every received packet, so it allocates nothing.
const REJECT: SourceVerdict = Object.freeze({ accept: false });
const KEEP: SourceVerdict = Object.freeze({ accept: true, latch: false });
const LATCH: SourceVerdict = Object.freeze({ accept: true, latch: true });

export function checkSource(
  from: Endpoint,
  signalled: Endpoint | undefined,
  latched: Endpoint | undefined,
  symmetric = true,
): SourceVerdict {
  if (!signalled) return REJECT;
  const isLatched =
    latched !== undefined && from.address === latched.address && from.port === latched.port;
  if (isLatched) return KEEP;
  const isSignalled = from.address === signalled.address && from.port === signalled.port;
  if (isSignalled || (!latched && from.address === signalled.address)) {
    return symmetric ? LATCH : KEEP;
  }
  return REJECT;
}
