/**
 * The codecs a trunk offers: the caller's SDP offer cut to the trunk's list (static payload
 * types 0 PCMU, 8 PCMA, 9 G722, 18 G729; dynamic ones by their rtpmap name), in the trunk's
 * order. Pure text work on the offer.
 */
const STATIC: Record<string, string> = { '0': 'PCMU', '8': 'PCMA', '9': 'G722', '18': 'G729' };

/** The offer with only the allowed codecs on the audio line; undefined when none is left. */
export function offerCodecs(sdp: string, allowed: readonly string[]): string | undefined {
  const lines = sdp.split(/\r?\n/);
  const names = new Map<string, string>();
  for (const l of lines) {
    const m = /^a=rtpmap:(\d+)\s+([^/\s]+)/i.exec(l);
    if (m) names.set(m[1]!, m[2]!.toUpperCase());
  }
  const nameOf = (pt: string): string => names.get(pt) ?? STATIC[pt] ?? '';
  const want = allowed.map((c) => c.toUpperCase());
  // The trunk's order; telephone-event (DTMF) after the voice codecs.
  const rank = (pt: string): number => {
    const i = want.indexOf(nameOf(pt));
    return i === -1 ? want.length : i;
  };
  let ok = true;
  const out: string[] = [];
  let dropped = new Set<string>();
  let inAudio = false;
  for (const l of lines) {
    const m = /^m=audio\s+(\d+)\s+(\S+)\s+(.*)$/.exec(l);
    if (m) {
      inAudio = true;
      const pts = m[3]!.trim().split(/\s+/);
      const keep = pts
        .filter((pt) => want.includes(nameOf(pt)) || nameOf(pt) === 'TELEPHONE-EVENT')
        .sort((a, b) => rank(a) - rank(b));
      if (!keep.some((pt) => nameOf(pt) !== 'TELEPHONE-EVENT')) ok = false;
      dropped = new Set(pts.filter((pt) => !keep.includes(pt)));
      out.push(`m=audio ${m[1]} ${m[2]} ${keep.join(' ')}`);
      continue;
    }
    if (/^m=/.test(l)) inAudio = false;
    const a = /^a=(?:rtpmap|fmtp|rtcp-fb):(\d+)/.exec(l);
    if (inAudio && a && dropped.has(a[1]!)) continue;
    out.push(l);
  }
  return ok ? out.join('\r\n') : undefined;
}
