'use strict';
// Reads a V8 .cpuprofile (node --cpu-prof) and prints where the time went: the top functions by
// self time and the same time grouped by cause (package or source folder), so profiles taken
// before and after a change can be compared row by row.
//   node bench/lib/profile-top.js <file.cpuprofile|file.heapprofile> [top=25]
const fs = require('node:fs');

/** Which cause a frame's time counts towards, from its script URL and function name. */
function causeOf(url, name) {
  if (name === '(garbage collector)') return 'garbage collection';
  if (name === '(idle)') return 'idle';
  if (name === '(program)') return 'program (native, outside JS)';
  if (!url) return `native: ${name}`;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const m = /\/(packages|apps)\/([^/]+)\/(?:dist|src)\/(.*)$/.exec(url);
  if (m) {
    const dirs = m[3].split('/');
    return `${m[1]}/${m[2]}${dirs.length > 1 ? `/${dirs[0]}` : ''}`;
  }
  if (url.startsWith('node:')) return `node: ${url.slice(5).split('/')[0]}`;
  return url.replace(/^file:\/\//, '');
}

function summarise(file, top = 25) {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = prof.timeDeltas;
  for (let i = 0; i < prof.samples.length; i++) {
    const id = prof.samples[i];
    self.set(id, (self.get(id) || 0) + (dt[i] || 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self.entries()]
    .filter(([id]) => byId.get(id).callFrame.functionName === '(idle)')
    .reduce((a, [, v]) => a + v, 0);
  const busy = total - idle;
  const fn = new Map();
  const cause = new Map();
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const name = functionName || '(anonymous)';
    if (name === '(idle)') continue;
    const short = url ? url.replace(/^.*\/(node_modules|packages|apps)\//, '$1/') : '';
    const key = `${name} ${short}${url ? `:${lineNumber + 1}` : ''}`;
    fn.set(key, (fn.get(key) || 0) + us);
    const c = causeOf(url, name);
    cause.set(c, (cause.get(c) || 0) + us);
  }
  const pct = (us) => `${((100 * us) / busy).toFixed(1).padStart(5)} %`;
  const lines = [
    `${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (${((100 * busy) / total).toFixed(0)} %)`,
    '',
    'by cause (share of busy time):',
  ];
  for (const [c, us] of [...cause].sort((a, b) => b[1] - a[1]).slice(0, top))
    lines.push(`  ${pct(us)}  ${c}`);
  lines.push('', 'top functions by self time:');
  for (const [k, us] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, top))
    lines.push(`  ${pct(us)}  ${k}`);
  return lines.join('\n');
}

/**
 * A sampling heap profile (BENCH_HEAP_PROFILE: every allocation, collected or not): bytes
 * allocated by function (self) and by cause, the same way as CPU time above.
 */
function summariseHeap(file, top = 25) {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
  const fn = new Map();
  const cause = new Map();
  let total = 0;
  const walk = (n) => {
    const bytes = n.selfSize || 0;
    if (bytes > 0) {
      const { functionName, url, lineNumber } = n.callFrame;
      const name = functionName || '(anonymous)';
      const short = url ? url.replace(/^.*\/(node_modules|packages|apps)\//, '$1/') : '';
      const key = `${name} ${short}${url ? `:${lineNumber + 1}` : ''}`;
      fn.set(key, (fn.get(key) || 0) + bytes);
      const c = causeOf(url, name);
      cause.set(c, (cause.get(c) || 0) + bytes);
      total += bytes;
    }
    for (const c of n.children || []) walk(c);
  };
  walk(prof.head);
  const pct = (b) => `${((100 * b) / total).toFixed(1).padStart(5)} %`;
  const lines = [
    `${file}: ${(total / 1048576).toFixed(0)} MiB allocated (sampled)`,
    '',
    'by cause:',
  ];
  for (const [c, b] of [...cause].sort((a, b2) => b2[1] - a[1]).slice(0, top))
    lines.push(`  ${pct(b)}  ${c}`);
  lines.push('', 'top functions by bytes allocated:');
  for (const [k, b] of [...fn].sort((a, b2) => b2[1] - a[1]).slice(0, top))
    lines.push(`  ${pct(b)}  ${k}`);
  return lines.join('\n');
}

module.exports = { summarise, summariseHeap, causeOf };

if (require.main === module) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node bench/lib/profile-top.js <file.cpuprofile> [top]');
    process.exit(2);
  }
  const f = file.endsWith('.heapprofile') ? summariseHeap : summarise;
  console.log(f(file, Number(top || 25)));
}
