/**
 * The client's `proxy` command (wire spec §4.8, Appendix A):
 * `<msgId>|proxy|<txnId>|<remainInDialog>|<fullResponse>|<followRedirects>|<simultaneous|serial>|
 *  <provisionalTimeout>|<finalTimeout>|<dest1>[|<dest2>...]` with a SIP part whose headers are
 * added to every forwarded request.
 */
import type { SipHeader } from '../message/types';
import { parseClientMessage } from '../wire/client-message';

export interface ProxyCommand {
  txnId: string;
  /** Record-Route (REGISTER: Path) so later requests of the dialog come through us. */
  remainInDialog: boolean;
  fullResponse: boolean;
  followRedirects: boolean;
  forking: 'serial' | 'simultaneous';
  provisionalTimeoutMs?: number;
  finalTimeoutMs?: number;
  destinations: string[];
  /** Headers from the command's SIP part (server-owned ones already dropped). */
  headers: SipHeader[];
}

/** `2s`, `1500ms`, or a bare number of milliseconds; undefined when empty or unreadable. */
export function parseDuration(text: string | undefined): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$/i.exec(text ?? '');
  if (!m) return undefined;
  const n = Number(m[1]);
  const ms = m[2]?.toLowerCase() === 's' ? n * 1000 : n;
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms) : undefined;
}

export function parseProxyCommand(
  tokens: readonly string[],
  sip: string,
): ProxyCommand | { error: string } {
  const txnId = tokens[2] ?? '';
  if (!txnId) return { error: 'transaction id missing' };
  const destinations = tokens
    .slice(9)
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
  if (destinations.length === 0) return { error: 'no destination to proxy to' };
  const headers: SipHeader[] = [];
  if (sip.trim().length > 0) {
    const m = parseClientMessage(sip);
    if (!('error' in m)) {
      for (const h of m.headers) if (h.name.toLowerCase() !== 'content-type') headers.push(h);
    }
  }
  const cmd: ProxyCommand = {
    txnId,
    remainInDialog: tokens[3] === 'remainInDialog',
    fullResponse: tokens[4] === 'fullResponse',
    followRedirects: tokens[5] === 'followRedirects',
    forking: tokens[6] === 'simultaneous' ? 'simultaneous' : 'serial',
    destinations,
    headers,
  };
  const provisional = parseDuration(tokens[7]);
  if (provisional !== undefined) cmd.provisionalTimeoutMs = provisional;
  const final = parseDuration(tokens[8]);
  if (final !== undefined) cmd.finalTimeoutMs = final;
  return cmd;
}
