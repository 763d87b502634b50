#!/usr/bin/env node
'use strict';
// Health check: sends one SIP OPTIONS over UDP and exits 0 when a 200 comes back within the
// timeout. Used by docker-compose.yml; usable by any monitor.
//   node scripts/sip-ping.js [host=127.0.0.1] [port=5060] [timeoutMs=2000]
const dgram = require('node:dgram');
const crypto = require('node:crypto');

const [host = '127.0.0.1', portText = '5060', timeoutText = '2000'] = process.argv.slice(2);
const port = Number(portText);
const timeoutMs = Number(timeoutText);
if (!Number.isInteger(port) || port < 1 || port > 65535 || !(timeoutMs > 0)) {
  process.stderr.write('usage: sip-ping.js [host] [port 1-65535] [timeoutMs > 0]\n');
  process.exit(2);
}

const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
const fail = (why) => {
  process.stderr.write(`sip-ping: ${why}\n`);
  socket.close();
  process.exit(1);
};
const timer = setTimeout(
  () => fail(`no answer from ${host}:${port} within ${timeoutMs} ms`),
  timeoutMs,
);

socket.on('error', (err) => fail(err.message));
socket.on('message', (msg) => {
  const status = /^SIP\/2\.0 (\d{3})/.exec(msg.toString('latin1'));
  if (!status) return;
  if (Number(status[1]) < 200) return; // provisional: wait for the final answer
  clearTimeout(timer);
  if (status[1] !== '200') fail(`answered ${status[1]}`);
  process.stdout.write(`sip-ping: ${host}:${port} answered 200\n`);
  socket.close();
  process.exit(0);
});
socket.bind(0, () => {
  const local = socket.address();
  const id = crypto.randomBytes(8).toString('hex');
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const localHost = local.family === 'IPv6' ? `[${local.address}]` : local.address;
  const request = [
    `OPTIONS sip:${hostPart}:${port} SIP/2.0`,
    `Via: SIP/2.0/UDP ${localHost}:${local.port};branch=z9hG4bK${id};rport`,
    'Max-Forwards: 70',
    `From: <sip:healthcheck@${localHost}>;tag=${id.slice(0, 8)}`,
    `To: <sip:${hostPart}:${port}>`,
    `Call-ID: ${id}@healthcheck`,
    'CSeq: 1 OPTIONS',
    'Accept: application/sdp',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  socket.send(request, port, host, (err) => err && fail(err.message));
});
