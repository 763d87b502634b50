'use strict';
// A minimal SIP phone bank for benches: one UDP socket on 127.0.0.1 serves many stations (the
// PBX reaches each one at sip:<tel>@127.0.0.1:<port>). It places INVITEs (ACKing every final
// response), sends re-INVITEs and BYEs in its dialogs, answers every INVITE and re-INVITE with
// 200 and the station's SDP, and answers BYE and anything else with 200. Loopback only, no
// retransmission of its own (the PBX retransmits what it sends us; we answer at once). Each
// station has an RTP socket that sends a tone every 20 ms to wherever its dialog's SDP points.
const dgram = require('node:dgram');
const crypto = require('node:crypto');

const rand = () => crypto.randomBytes(6).toString('hex');

function parse(text) {
  const sep = text.indexOf('\r\n\r\n');
  const head = (sep < 0 ? text : text.slice(0, sep)).split('\r\n');
  const body = sep < 0 ? '' : text.slice(sep + 4);
  const start = head.shift() ?? '';
  const headers = {};
  const compact = {
    i: 'call-id',
    f: 'from',
    t: 'to',
    v: 'via',
    m: 'contact',
    l: 'content-length',
    c: 'content-type',
  };
  for (const line of head) {
    const at = line.indexOf(':');
    if (at < 0) continue;
    let name = line.slice(0, at).trim().toLowerCase();
    name = compact[name] ?? name;
    (headers[name] ??= []).push(line.slice(at + 1).trim());
  }
  const m = /^SIP\/2\.0 (\d{3})/.exec(start);
  return m
    ? { status: Number(m[1]), headers, body }
    : { method: start.split(' ')[0], uri: start.split(' ')[1], headers, body };
}

const h1 = (msg, name) => (msg.headers[name] ?? [])[0];
const tagOf = (v) => /;tag=([^;>\s]+)/.exec(v ?? '')?.[1];
const userOf = (uri) => /sip:([^@;>]+)@/.exec(uri ?? '')?.[1];
const uriOf = (v) => /<([^>]+)>/.exec(v ?? '')?.[1] ?? (v ?? '').split(';')[0];

/** The SDP a station sends: PCMU on its RTP port, `direction`. */
function sdp(port, direction = 'sendrecv', version = 1) {
  return [
    'v=0',
    `o=bench 1 ${version} IN IP4 127.0.0.1`,
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/AVP 0 101`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    `a=${direction}`,
    '',
  ].join('\r\n');
}

function answerDirection(offer) {
  if (/a=sendonly/.test(offer)) return 'recvonly';
  if (/a=recvonly/.test(offer)) return 'sendonly';
  if (/a=inactive/.test(offer)) return 'inactive';
  return 'sendrecv';
}

function remoteOf(text) {
  const ip = /^c=IN IP4 (\S+)/m.exec(text)?.[1];
  const port = Number(/^m=audio (\d+)/m.exec(text)?.[1]);
  if (!ip || !port) return undefined;
  return { ip, port, sending: !/a=(sendonly|inactive)/.test(text) };
}

async function startPhoneBank({ pbx, tone }) {
  const sock = dgram.createSocket({
    type: 'udp4',
    recvBufferSize: 8 << 20,
    sendBufferSize: 8 << 20,
  });
  await new Promise((r) => sock.bind(0, '127.0.0.1', r));
  const port = sock.address().port;
  const pending = new Map(); // branch → { resolve, cseq, method }
  const dialogs = new Map(); // call-id → dialog
  const stations = new Map(); // tel → { rtp, dialogs:Set }
  const send = (text) => sock.send(Buffer.from(text), pbx.port, pbx.host);

  const respond = (req, status, reason, extra = '', body = '') => {
    const to = h1(req, 'to');
    const toTag = tagOf(to) ? '' : `;tag=${rand()}`;
    const lines = [
      `SIP/2.0 ${status} ${reason}`,
      ...(req.headers.via ?? []).map((v) => `Via: ${v}`),
      `From: ${h1(req, 'from')}`,
      `To: ${to}${toTag}`,
      `Call-ID: ${h1(req, 'call-id')}`,
      `CSeq: ${h1(req, 'cseq')}`,
      ...(extra ? [extra] : []),
      ...(body ? ['Content-Type: application/sdp'] : []),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ];
    send(lines.join('\r\n'));
    return toTag ? toTag.slice(5) : tagOf(to);
  };

  const request = (d, method, body = '') => {
    const branch = `z9hG4bK${rand()}`;
    const cseq = method === 'ACK' ? d.lastInviteCseq : ++d.cseq;
    if (method === 'INVITE') d.lastInviteCseq = cseq;
    const lines = [
      `${method} ${d.remoteUri} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=${branch};rport`,
      `From: <sip:${d.tel}@127.0.0.1>;tag=${d.localTag}`,
      `To: <sip:${d.peer}@127.0.0.1>${d.remoteTag ? `;tag=${d.remoteTag}` : ''}`,
      `Call-ID: ${d.callId}`,
      `CSeq: ${cseq} ${method}`,
      `Contact: <sip:${d.tel}@127.0.0.1:${port}>`,
      'Max-Forwards: 70',
      ...(body ? ['Content-Type: application/sdp'] : []),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ];
    send(lines.join('\r\n'));
    if (method === 'ACK') return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(branch);
        reject(new Error(`${method} ${d.peer} from ${d.tel}: no final response`));
      }, 10_000);
      pending.set(branch, {
        method,
        d,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      });
    });
  };

  const station = async (tel) => {
    if (stations.has(tel)) return stations.get(tel);
    const rtp = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 16 });
    await new Promise((r) => rtp.bind(0, '127.0.0.1', r));
    const s = { tel, rtp, port: rtp.address().port, dialogs: new Set() };
    stations.set(tel, s);
    return s;
  };

  sock.on('message', (buf) => {
    const msg = parse(buf.toString());
    if (msg.status !== undefined) {
      const branch = /branch=([^;\s]+)/.exec(h1(msg, 'via') ?? '')?.[1];
      const p = pending.get(branch);
      if (!p || msg.status < 200) return;
      pending.delete(branch);
      const d = p.d;
      if (p.method === 'INVITE') {
        d.remoteTag ??= tagOf(h1(msg, 'to'));
        if (msg.status < 300 && h1(msg, 'contact')) d.remoteUri = uriOf(h1(msg, 'contact'));
        request(d, 'ACK');
        if (msg.status < 300 && msg.body) d.remote = remoteOf(msg.body);
      }
      p.resolve({ status: msg.status, body: msg.body });
      return;
    }
    const callId = h1(msg, 'call-id');
    if (msg.method === 'ACK') return;
    if (msg.method === 'INVITE') {
      let d = dialogs.get(callId);
      const tel = d?.tel ?? userOf(msg.uri);
      const s = stations.get(tel);
      if (!s) return respond(msg, 404, 'Not Found');
      const body = sdp(s.port, answerDirection(msg.body));
      const contact = `Contact: <sip:${tel}@127.0.0.1:${port}>`;
      const tag = respond(msg, 200, 'OK', contact, body);
      if (!d) {
        d = {
          tel,
          peer: userOf(h1(msg, 'from')),
          callId,
          localTag: tag,
          remoteTag: tagOf(h1(msg, 'from')),
          remoteUri: uriOf(h1(msg, 'contact')),
          cseq: 100,
          station: s,
        };
        dialogs.set(callId, d);
        s.dialogs.add(d);
      }
      if (msg.body) d.remote = remoteOf(msg.body);
      return;
    }
    if (msg.method === 'BYE') {
      const d = dialogs.get(callId);
      if (d) {
        d.ended = true;
        d.station.dialogs.delete(d);
        dialogs.delete(callId);
      }
      return respond(msg, 200, 'OK');
    }
    respond(msg, 200, 'OK');
  });

  // Every station sends its tone to its live dialog's media (one packet per 20 ms).
  const pcmu = tone;
  let seq = 0;
  const ssrcs = new Map();
  const timer = setInterval(() => {
    seq++;
    for (const s of stations.values()) {
      let target;
      for (const d of s.dialogs)
        if (!d.ended && d.remote && d.remote.sending !== false) target = d.remote;
      if (!target) continue;
      let ssrc = ssrcs.get(s.tel);
      if (ssrc === undefined) ssrcs.set(s.tel, (ssrc = crypto.randomBytes(4).readUInt32BE(0)));
      const pkt = Buffer.alloc(172);
      pkt[0] = 0x80;
      pkt[1] = 0;
      pkt.writeUInt16BE(seq & 0xffff, 2);
      pkt.writeUInt32BE((seq * 160) >>> 0, 4);
      pkt.writeUInt32BE(ssrc, 8);
      pcmu(s.tel).copy(pkt, 12, (seq % 50) * 160, (seq % 50) * 160 + 160);
      s.rtp.send(pkt, target.port, target.ip);
    }
  }, 20);

  return {
    port,
    station,
    stations,
    /** A new call from `tel` to `number`; resolves with { status, dialog }. */
    async call(tel, number, direction = 'sendrecv') {
      const s = await station(tel);
      const d = {
        tel,
        peer: number,
        callId: `${rand()}@bench`,
        localTag: rand(),
        remoteUri: `sip:${number}@${pbx.host}:${pbx.port}`,
        cseq: 0,
        station: s,
      };
      dialogs.set(d.callId, d);
      const r = await request(d, 'INVITE', sdp(s.port, direction));
      if (r.status >= 300) dialogs.delete(d.callId);
      else s.dialogs.add(d);
      return { status: r.status, dialog: d };
    },
    /** Hold (`sendonly`) or resume (`sendrecv`) a dialog. */
    async reinvite(d, direction) {
      const r = await request(d, 'INVITE', sdp(d.station.port, direction, ++d.cseq + 1));
      if (r.status >= 300) throw new Error(`re-INVITE ${direction} from ${d.tel}: ${r.status}`);
      return r;
    },
    async bye(d) {
      if (d.ended) return;
      d.ended = true;
      d.station.dialogs.delete(d);
      dialogs.delete(d.callId);
      await request(d, 'BYE');
    },
    rtpPorts: () => [...stations.values()].map((s) => s.port),
    /** Where the stations send now (the media server's ports for conference members). */
    targetPorts: () => {
      const out = [];
      for (const s of stations.values())
        for (const d of s.dialogs) if (!d.ended && d.remote) out.push(d.remote.port);
      return out;
    },
    close() {
      clearInterval(timer);
      for (const s of stations.values()) s.rtp.close();
      sock.close();
    },
  };
}

module.exports = { startPhoneBank };
