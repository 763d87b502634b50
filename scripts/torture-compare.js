#!/usr/bin/env node
/**
 * RFC 4475 torture messages against our SIP server and against Kamailio, over UDP and TCP.
 *
 *   npm run build && node scripts/torture-compare.js [--markdown FILE] [--kamailio PATH]
 *
 * Both sides play the same minimal stateless element: OPTIONS is answered 200, every other request
 * 404, ACK nothing. Ours is the embedded server (packages/sip-server/dist) with a drachtio-srf app
 * doing exactly that; Kamailio runs a config with `sanity_check("17895", "7")` (the checks of its
 * default config) before the same replies. The messages are the project's own RFC 4475 fixtures
 * (packages/sip-server/test/fixtures/torture) plus a few cases of issue 11; the top Via is pointed
 * at this script's socket so answers come back. Each answer is judged against what RFC 3261/4475
 * ask of a UAS; the script exits 1 when ours is judged worse than Kamailio's on any message.
 * Everything listens on 127.0.0.1 and free ports; Kamailio is stopped at the end.
 */
'use strict';
const { spawn } = require('node:child_process');
const dgram = require('node:dgram');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const FIXTURES = path.join(ROOT, 'packages/sip-server/test/fixtures/torture');
const args = process.argv.slice(2);
const argOf = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const KAMAILIO = argOf('--kamailio') ?? '/usr/sbin/kamailio';
const MARKDOWN = argOf('--markdown');
const WAIT_MS = Number(process.env.TORTURE_WAIT_MS ?? 600);

/** What RFC 3261/4475 ask of a UAS for each message: a list of acceptable outcomes. */
const EXPECT = {
  // valid (§3.1.1) and semantic (§3.2-§3.4) cases: answered normally, unless noted
  'valid/bare-magic-cookie-branch': ['200'],
  'valid/binary-multipart': ['404'],
  'valid/contact-escaped-header': ['404', '400'],
  'valid/contact-param-bracketed': ['404'],
  'valid/contact-param-unbracketed': ['404'],
  'valid/display-name-no-space': ['200'],
  'valid/escaped-nul-users': ['404'],
  'valid/escaped-uri-parts': ['404'],
  // It carries a To tag: a UAS without that dialog answers 481 (RFC 3261 §12.2.2).
  'valid/folded-whitespace-invite': ['481', '404'],
  'valid/max-forwards-zero': ['200', '483'],
  'valid/novel-scheme-authority': ['416'],
  'valid/oversized-values': ['404'],
  'valid/percent-not-escape': ['501', '405', '404'],
  // No Content-Length: a stream cannot frame it, so silence is all TCP can give.
  'valid/rfc2543-invite': ['404', 'tcp:-'],
  'valid/semicolon-in-user': ['200'],
  'valid/token-charset-extremes': ['501', '405', '404'],
  'valid/two-requests-one-datagram': ['404'],
  'valid/unacceptable-accept': ['404', '406', '415'],
  'valid/unknown-auth-scheme': ['404', '401', '403'],
  'valid/unknown-content-type': ['415', '404'],
  'valid/unknown-uri-scheme': ['416'],
  'valid/unsupported-require': ['420'],
  'valid/varied-via-transports': ['200'],
  // invalid (§3.1.2, §3.3.1/4/8/9): 400 or silence; a few are readable liberally
  'invalid/angle-brackets-request-uri': ['400', '-'],
  'invalid/conflicting-content-lengths': ['400', '-'],
  'invalid/contact-query-unbracketed': ['400', '404', '-'],
  'invalid/content-length-too-large': ['400', '-'],
  'invalid/cseq-method-mismatch': ['400', '-'],
  'invalid/cseq-mismatch-unknown-method': ['400', '501', '-'],
  'invalid/date-not-gmt': ['404', '400'],
  'invalid/empty-params-in-via': ['400', '-'],
  'invalid/extra-spaces-request-line': ['404', '400', '-'],
  'invalid/headers-in-request-uri': ['400', '-'],
  'invalid/missing-from-to-callid': ['400', '-'],
  'invalid/negative-content-length': ['400', '-'],
  'invalid/non-sip-from-to': ['404', '403'],
  'invalid/overlarge-scalars-request': ['400', '-'],
  'invalid/repeated-single-headers': ['400', '-'],
  'invalid/spaces-in-request-uri': ['400', '-'],
  'invalid/spaces-inside-angle-brackets': ['200', '400'],
  'invalid/trailing-space-request-line': ['200', '400'],
  'invalid/unknown-sip-version': ['505'],
  'invalid/unquoted-display-name-comma': ['200', '400'],
  'invalid/unterminated-quote': ['400', '-'],
  // responses sent to a server: nobody answers a response
  'valid/broadcast-via-response': ['-'],
  'valid/empty-reason-phrase': ['-'],
  'valid/utf8-reason-phrase': ['-'],
  'invalid/huge-status-code': ['-'],
  'invalid/overlarge-scalars-response': ['-'],
  // extra cases of issue 11
  'extra/require-unknown-invite': ['420'],
  'extra/tel-uris': ['200'],
  'extra/tel-request-uri': ['404'],
  'extra/sip-2.1': ['505'],
  'extra/retransmitted-options': ['200'],
};

function extraCases() {
  const base = (first, headers) =>
    Buffer.from(
      [
        first,
        'Via: SIP/2.0/UDP 127.0.0.61;branch=z9hG4bKextra-%ID%',
        'From: <sip:probe@127.0.0.61>;tag=extra-%ID%',
        'To: <sip:desk@127.0.0.1>',
        'Call-ID: extra-%ID%@127.0.0.61',
        `CSeq: 1 ${first.split(' ')[0]}`,
        'Max-Forwards: 70',
        ...headers,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
  return {
    'extra/require-unknown-invite': base('INVITE sip:desk@127.0.0.1 SIP/2.0', [
      'Contact: <sip:probe@127.0.0.61>',
      'Require: frobnication',
    ]),
    'extra/tel-uris': Buffer.from(
      base('OPTIONS sip:desk@127.0.0.1 SIP/2.0', [])
        .toString()
        .replace('From: <sip:probe@127.0.0.61>', 'From: <tel:+82-2-555-0101>')
        .replace('To: <sip:desk@127.0.0.1>', 'To: tel:2100'),
    ),
    'extra/tel-request-uri': base('MESSAGE tel:+82-2-555-0100 SIP/2.0', []),
    'extra/sip-2.1': Buffer.from(
      base('OPTIONS sip:desk@127.0.0.1 SIP/2.1', [])
        .toString()
        .replace('SIP/2.0/UDP', 'SIP/2.1/UDP'),
    ),
    'extra/retransmitted-options': base('OPTIONS sip:desk@127.0.0.1 SIP/2.0', []),
  };
}

function loadCases() {
  const cases = [];
  for (const dir of ['valid', 'invalid']) {
    for (const f of fs.readdirSync(path.join(FIXTURES, dir)).sort()) {
      if (f.endsWith('.sip')) {
        cases.push({
          name: `${dir}/${f.slice(0, -4)}`,
          bytes: fs.readFileSync(path.join(FIXTURES, dir, f)),
        });
      }
    }
  }
  for (const [name, bytes] of Object.entries(extraCases())) cases.push({ name, bytes });
  return cases;
}

/**
 * Points the first Via at our socket: its sent-by becomes 127.0.0.1:port and its transport the one
 * used; everything else (version, parameters, folding elsewhere) is kept.
 */
function retarget(bytes, protocol, port, id) {
  let text = bytes.toString('latin1').replaceAll('%ID%', id);
  const m = /(^|\r?\n)(via|v)[ \t]*:((?:[^\r\n]|\r?\n[ \t])*)/i.exec(text);
  if (!m) return Buffer.from(text, 'latin1');
  const value = m[3].replace(/\r?\n[ \t]+/g, ' ');
  const fixed = value.replace(
    /SIP\s*\/\s*(\d+\.\d+)\s*\/\s*[A-Za-z]+\s+(\[[^\]]*\]|[^;,\s:]+)(:\d+)?/i,
    (_all, version) => `SIP/${version}/${protocol.toUpperCase()} 127.0.0.1:${port}`,
  );
  if (fixed === value) return Buffer.from(text, 'latin1');
  const start = m.index + m[1].length;
  text = `${text.slice(0, start)}${m[2]}:${fixed}${text.slice(start + m[0].length - m[1].length)}`;
  return Buffer.from(text, 'latin1');
}

function parseAnswers(text) {
  const out = [];
  const re = /SIP\/2\.0 (\d{3})[^\r\n]*\r\n([\s\S]*?)\r\n\r\n/g;
  let m;
  while ((m = re.exec(text)) !== null) {
    const unsupported = /(^|\r\n)Unsupported\s*:\s*([^\r\n]*)/i.exec(`\r\n${m[2]}`)?.[2];
    out.push({ status: m[1], unsupported });
  }
  return out;
}

async function probeUdp(target, bytes, sendTimes) {
  const socket = dgram.createSocket('udp4');
  let received = '';
  socket.on('message', (m) => (received += `${m.toString('latin1')}\r\n\r\n`));
  await new Promise((r) => socket.bind(0, '127.0.0.1', r));
  const msg = retarget(bytes, 'udp', socket.address().port, `u${Date.now()}`);
  for (let i = 0; i < sendTimes; i++) {
    socket.send(msg, target.port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, WAIT_MS));
  socket.close();
  return parseAnswers(received);
}

async function probeTcp(target, bytes, sendTimes) {
  const socket = net.connect({ port: target.port, host: '127.0.0.1' });
  let received = '';
  socket.on('data', (c) => (received += c.toString('latin1')));
  socket.on('error', () => undefined);
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const msg = retarget(bytes, 'tcp', socket.localPort, `t${Date.now()}`);
  for (let i = 0; i < sendTimes; i++) {
    socket.write(msg);
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, WAIT_MS));
  socket.destroy();
  return parseAnswers(received);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => {
        // The same number must be free for UDP too.
        const u = dgram.createSocket('udp4');
        u.once('error', () => resolve(freePort()));
        u.bind(port, '127.0.0.1', () => u.close(() => resolve(port)));
      });
    });
  });
}

async function startOurs() {
  const { startSipServer } = require(path.join(ROOT, 'packages/sip-server/dist'));
  const Srf = require('drachtio-srf');
  const port = await freePort();
  const server = await startSipServer({
    sip: { host: '127.0.0.1', port, protocols: ['udp', 'tcp'] },
    control: { host: '127.0.0.1', port: 0, secret: 'torture' },
  });
  const srf = new Srf();
  srf.on('error', () => undefined);
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('drachtio-srf did not connect')), 5000);
    srf.once('connect', (err) => (clearTimeout(t), err ? reject(err) : resolve()));
    srf.connect({ host: '127.0.0.1', port: server.control.port, secret: 'torture' });
  });
  srf.options((_req, res) => res.send(200));
  for (const m of ['invite', 'register', 'message', 'subscribe', 'notify', 'info', 'publish'])
    srf[m]((_req, res) => res.send(404));
  await server.whenRouted(['options', 'invite', 'register', 'message']);
  return {
    name: 'ours',
    port,
    stop: async () => {
      srf.disconnect();
      await server.stop();
    },
  };
}

async function startKamailio() {
  if (!fs.existsSync(KAMAILIO)) throw new Error(`kamailio not found at ${KAMAILIO}`);
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kam-torture-'));
  const modules = ['/usr/lib/x86_64-linux-gnu/kamailio/modules', '/usr/lib/kamailio/modules'].find(
    (d) => fs.existsSync(d),
  );
  const cfg = `#!KAMAILIO
debug=1
log_stderror=yes
children=1
tcp_children=1
disable_tcp=no
auto_aliases=no
listen=udp:127.0.0.1:${port}
listen=tcp:127.0.0.1:${port}
mpath="${modules}/"
loadmodule "sl.so"
loadmodule "sanity.so"
request_route {
  if (!sanity_check("17895", "7")) { exit; }
  if (method == "ACK") { exit; }
  if (method == "OPTIONS") { sl_send_reply("200", "OK"); exit; }
  sl_send_reply("404", "Not Found");
}
`;
  fs.writeFileSync(path.join(dir, 'kamailio.cfg'), cfg);
  const child = spawn(
    KAMAILIO,
    [
      '-f',
      path.join(dir, 'kamailio.cfg'),
      '-DD',
      '-E',
      '-Y',
      dir,
      '-P',
      path.join(dir, 'k.pid'),
      '-m',
      '64',
      '-M',
      '8',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  let log = '';
  child.stderr.on('data', (c) => (log += c.toString()));
  // Ready when the TCP port accepts.
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise((r) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => (s.destroy(), r(true)));
      s.on('error', () => r(false));
    });
    if (ok) break;
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`kamailio did not start:\n${log.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    name: 'kamailio',
    port,
    stop: async () => {
      // Only the process group we started.
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function describe(answers) {
  if (answers.length === 0) return '-';
  const shown = answers
    .filter((a) => a.status !== '100')
    .map((a) => (a.unsupported ? `${a.status} (Unsupported: ${a.unsupported})` : a.status));
  // Repeats of one answer are shown once with a count.
  const out = [];
  for (const s of shown) {
    const last = out[out.length - 1];
    if (last && last.text === s) last.n++;
    else out.push({ text: s, n: 1 });
  }
  return out.map((o) => (o.n > 1 ? `${o.text} ×${o.n}` : o.text)).join(' + ') || '100 only';
}

function expectedFor(name, protocol) {
  return (EXPECT[name] ?? ['-'])
    .filter((e) => !e.includes(':') || e.startsWith(`${protocol}:`))
    .map((e) => e.replace(/^\w+:/, ''));
}

/**
 * An identical final answer may come more than once: over UDP an INVITE's non-2xx is re-sent until
 * the ACK (RFC 3261 §17.2.1 timer G, and this probe never ACKs), and a retransmitted request gets
 * the same answer again. Two different answers to one request are a fault.
 */
function judge(name, protocol, answers) {
  const expected = expectedFor(name, protocol);
  const finals = answers.filter((a) => Number(a.status) >= 200);
  if (finals.length === 0) return expected.includes('-') ? 'ok' : 'no answer';
  const statuses = new Set(finals.map((a) => a.status));
  if (statuses.size > 1) return 'answered twice differently';
  const status = finals[0].status;
  if (!expected.includes(status)) return `expected ${expected.join('/')}`;
  if (status === '420' && !finals[0].unsupported) return '420 without Unsupported';
  return 'ok';
}

async function main() {
  const cases = loadCases();
  const sides = [];
  const rows = [];
  let worse = 0;
  try {
    sides.push(await startOurs());
    sides.push(await startKamailio());
    for (const c of cases) {
      const times = c.name === 'extra/retransmitted-options' ? 2 : 1;
      for (const protocol of ['udp', 'tcp']) {
        const row = { name: c.name, protocol };
        for (const side of sides) {
          const probe = protocol === 'udp' ? probeUdp : probeTcp;
          const answers = await probe({ port: side.port }, c.bytes, times).catch((e) => {
            return [{ status: `error ${e.message}` }];
          });
          row[side.name] = describe(answers);
          row[`${side.name}Verdict`] = judge(c.name, protocol, answers);
        }
        const oursOk = row.oursVerdict === 'ok';
        const kamOk = row.kamailioVerdict === 'ok';
        if (!oursOk && kamOk) worse++;
        rows.push(row);
      }
    }
  } finally {
    for (const side of sides.reverse()) await side.stop().catch(() => undefined);
  }
  const lines = [
    '| message | transport | RFC 3261/4475 asks | Kamailio 5.6 | ours |',
    '|---|---|---|---|---|',
  ];
  const mark = (desc, verdict) => (verdict === 'ok' ? desc : `${desc} ✗ ${verdict}`);
  for (const r of rows) {
    lines.push(
      `| ${r.name} | ${r.protocol} | ${expectedFor(r.name, r.protocol).join(' / ')} | ${mark(r.kamailio, r.kamailioVerdict)} | ${mark(r.ours, r.oursVerdict)} |`,
    );
  }
  const okCount = (side) => rows.filter((r) => r[`${side}Verdict`] === 'ok').length;
  lines.push('');
  lines.push(
    `Conforming answers: ours ${okCount('ours')}/${rows.length}, Kamailio ${okCount('kamailio')}/${rows.length}; messages where ours is worse: ${worse}.`,
  );
  const table = lines.join('\n');
  process.stdout.write(`${table}\n`);
  if (MARKDOWN) fs.writeFileSync(MARKDOWN, `${table}\n`);
  process.exitCode = worse > 0 ? 1 : 0;
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exitCode = 2;
});
