'use strict';
// `npm run bench`: sipp load against the real server and app; prints one table. Not a test:
// numbers are measured and reported, never asserted. Needs sipp (Debian package sip-tester).
const { execFileSync } = require('node:child_process');

const SUITES = [
  ['SIP server (issue 2)', './sip-server-bench'],
  ['Registrar (issue 3)', './registrar-bench'],
  ['Calls (issue 4)', './calls-bench'],
  ['Media engine', './media-bench'],
  ['Trunks (issue 14)', './trunks-bench'],
  ['Presence and messages (issue 9)', './presence-bench'],
  ['Conferences (issue 12)', './conference-bench'],
  ['Music on hold (issue 12)', './moh-bench'],
  ['Voice mail (issue 13)', './voicemail-bench'],
  ['Web console and API events (issue 10)', './web-bench'],
];

async function main() {
  try {
    execFileSync('sipp', ['-v'], { stdio: 'ignore' });
  } catch (err) {
    if (err.code === 'ENOENT') {
      console.error('bench: sipp is missing; install it with: sudo apt-get install -y sip-tester');
      process.exit(1);
    }
  }
  const only = process.argv.slice(2);
  const rows = [];
  for (const [title, mod] of SUITES) {
    if (only.length && !only.some((o) => title.toLowerCase().includes(o.toLowerCase()))) continue;
    let suite;
    try {
      suite = require(mod);
    } catch (err) {
      if (err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(mod.slice(2))) continue;
      throw err;
    }
    process.stderr.write(`bench: ${title}…\n`);
    for (const row of await suite.run()) rows.push({ suite: title, ...row });
  }
  const cols = ['suite', 'name', 'value', 'unit', 'target', 'ok', 'note'];
  const text = (r, c) => (r[c] === undefined ? '' : String(r[c]));
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => text(r, c).length)));
  const line = (cells) => `| ${cells.map((s, i) => s.padEnd(width[i])).join(' | ')} |`;
  console.log(line(cols));
  console.log(`|${width.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(cols.map((c) => text(r, c))));
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
