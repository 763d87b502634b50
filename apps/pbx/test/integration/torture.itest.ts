/**
 * The whole PBX (embedded SIP server, drachtio-srf, registrar, call control) against every RFC 4475
 * torture message of packages/sip-server/test/fixtures/torture, over UDP and TCP: nothing crashes
 * or hangs, each request gets at most one kind of answer, the ones the server must refuse get
 * 416 / 420 / 505, and afterwards a phone still registers and calls.
 */
import dgram from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { expectPhoneOk, startCallsPbx, waitFor } from '../helpers/calls-harness';
import { sippRegister } from '../helpers/register';

jest.setTimeout(60_000);

const FIXTURES = path.resolve(__dirname, '../../../../packages/sip-server/test/fixtures/torture');

function cases(): Array<{ name: string; bytes: Buffer }> {
  const out: Array<{ name: string; bytes: Buffer }> = [];
  for (const dir of ['valid', 'invalid'])
    for (const f of readdirSync(path.join(FIXTURES, dir)).sort())
      if (f.endsWith('.sip'))
        out.push({ name: `${dir}/${f}`, bytes: readFileSync(path.join(FIXTURES, dir, f)) });
  return out;
}

/** Points the top Via at our socket so answers come back (the rest of the message is kept). */
function retarget(bytes: Buffer, protocol: 'UDP' | 'TCP', port: number): Buffer {
  const text = bytes.toString('latin1');
  const m = /(^|\r?\n)(via|v)[ \t]*:((?:[^\r\n]|\r?\n[ \t])*)/i.exec(text);
  if (!m) return bytes;
  const value = m[3]!.replace(/\r?\n[ \t]+/g, ' ');
  const fixed = value.replace(
    /SIP\s*\/\s*(\d+\.\d+)\s*\/\s*[A-Za-z]+\s+(\[[^\]]*\]|[^;,\s:]+)(:\d+)?/i,
    (_all, version: string) => `SIP/${version}/${protocol} 127.0.0.1:${port}`,
  );
  const start = m.index + m[1]!.length;
  return Buffer.from(
    `${text.slice(0, start)}${m[2]!}:${fixed}${text.slice(start + m[0].length - m[1]!.length)}`,
    'latin1',
  );
}

const statuses = (text: string): number[] =>
  [...text.matchAll(/(?:^|\r\n)SIP\/2\.0 (\d{3}) /g)].map((m) => Number(m[1]));

const MUST: Record<string, number> = {
  'valid/unknown-uri-scheme.sip': 416,
  'valid/novel-scheme-authority.sip': 416,
  'valid/unsupported-require.sip': 420,
  'invalid/unknown-sip-version.sip': 505,
};

describe('RFC 4475 torture messages against the whole PBX', () => {
  it('answers or drops each one, never crashes, and still serves phones', async () => {
    await using h = await startCallsPbx();
    await h.station('2201');
    await h.station('2202');
    const [host, portText] = h.pbx.target.split(':');
    const port = Number(portText);
    const udp = dgram.createSocket('udp4');
    const datagrams: string[] = [];
    udp.on('message', (m) => datagrams.push(m.toString('latin1')));
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
    const udpPort = udp.address().port;
    const seen: Record<string, { udp: number[]; tcp: number[] }> = {};
    try {
      for (const c of cases()) {
        // Only answers to this message: earlier INVITEs' finals are re-sent until timer H.
        const callId = /(?:^|\n)(?:call-id|i)[ \t]*:[ \t]*([^\r\n]*)/i.exec(
          c.bytes.toString('latin1'),
        )?.[1];
        const mine = (): string =>
          datagrams.filter((d) => callId !== undefined && d.includes(callId)).join('\r\n');
        udp.send(retarget(c.bytes, 'UDP', udpPort), port, host);
        const tcp = net.connect({ port, host });
        let tcpText = '';
        tcp.on('data', (d: Buffer) => (tcpText += d.toString('latin1')));
        tcp.on('error', () => undefined);
        await new Promise<void>((r) => tcp.once('connect', () => r()));
        tcp.write(retarget(c.bytes, 'TCP', tcp.localPort ?? 0));
        // A stream may carry two requests (two-requests-one-datagram): answers to this Call-ID.
        const tcpMine = (): string =>
          tcpText
            .split(/(?=SIP\/2\.0 \d{3} )/)
            .filter((m) => callId !== undefined && m.includes(callId))
            .join('\r\n');
        const want = MUST[c.name];
        // Wait for the answer the server owes, else give the PBX a moment to answer or drop.
        await waitFor(
          `${c.name} answered`,
          () =>
            want === undefined ||
            (statuses(mine()).includes(want) && statuses(tcpMine()).includes(want)),
          3_000,
        );
        if (want === undefined) await new Promise((r) => setTimeout(r, 150));
        tcp.destroy();
        seen[c.name] = { udp: statuses(mine()), tcp: statuses(tcpMine()) };
      }
    } finally {
      udp.close();
    }
    for (const [name, s] of Object.entries(seen)) {
      for (const list of [s.udp, s.tcp]) {
        const finals = new Set(list.filter((x) => x >= 200));
        // One kind of final answer per request, whatever it is.
        expect([name, list, finals.size <= 1]).toEqual([name, list, true]);
      }
      const want = MUST[name];
      if (want !== undefined) {
        expect([name, new Set(s.udp)]).toEqual([name, new Set([want])]);
        expect([name, s.tcp]).toEqual([name, [want]]);
      }
    }
    // Still serving: a phone registers, and a call goes through.
    expect((await sippRegister(h.pbx.target, { tel: '2201', password: 'secret2201' })).ok).toBe(
      true,
    );
    const callee = await h.phone('2202', 'uas-answer.xml');
    expectPhoneOk(
      await h.call('2201', '2202', 'uac-invite-expect-200.xml', { pauseMs: 200 }),
      'a call after the torture messages',
    );
    await callee.stop();
  });
});
