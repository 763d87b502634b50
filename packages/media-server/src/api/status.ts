/** `sofia status` (the row fsmrf's regex reads, spec §1.5), `status`, and HEARTBEAT headers. */
import os from 'node:os';
import type { ServerContext } from '../context';
import type { HeaderList } from '../esl/frames';

const RULE = '='.repeat(97);

export function sofiaStatus(ctx: ServerContext): string {
  const { profile, sipAddress, sipPort } = ctx.config;
  const url = `sip:mod_sofia@${sipAddress}:${sipPort}`;
  const row = (name: string, type: string, data: string, state: string): string =>
    `${name.padStart(25)}\t${type}\t  ${data.padStart(40)}\t${state}\n`;
  return `${row('Name', 'Type', 'Data', 'State')}${RULE}\n${row(profile, 'profile', url, `RUNNING (${ctx.channels.size})`)}${RULE}\n1 profile 0 aliases\n`;
}

function uptime(ctx: ServerContext): { ms: number; text: string } {
  const ms = Date.now() - ctx.startedAt;
  let s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return {
    ms,
    text: `0 years, 0 days, ${h} hours, ${m} minutes, ${s} seconds, ${ms % 1000} milliseconds, 0 microseconds`,
  };
}

export function statusText(ctx: ServerContext): string {
  return `UP ${uptime(ctx).text}\nFreeSWITCH (Version 1.10.11 pbx media-server) is ready\n${ctx.sessionsSinceStartup} session(s) since startup\n${ctx.channels.size} session(s) - peak ${ctx.channels.size}, last 5min ${ctx.channels.size}\n0 session(s) per Sec out of max 30, peak 0, last 5min 0\n${ctx.config.maxSessions} session(s) max\nmin idle cpu 0.00/${idleCpu().toFixed(2)}\n`;
}

let lastCpu = os.cpus().map((c) => c.times);

function idleCpu(): number {
  const now = os.cpus().map((c) => c.times);
  let idle = 0;
  let total = 0;
  now.forEach((t, i) => {
    const p = lastCpu[i] ?? t;
    idle += t.idle - p.idle;
    total += t.user + t.nice + t.sys + t.idle + t.irq - (p.user + p.nice + p.sys + p.idle + p.irq);
  });
  lastCpu = now;
  return total > 0 ? (100 * idle) / total : 100;
}

export function heartbeatHeaders(ctx: ServerContext): HeaderList {
  const up = uptime(ctx);
  const n = String(ctx.channels.size);
  return [
    ['Event-Info', 'System Ready'],
    ['Up-Time', up.text],
    ['FreeSWITCH-Version', '1.10.11-release'],
    ['Uptime-msec', String(up.ms)],
    ['Session-Count', n],
    ['Max-Sessions', String(ctx.config.maxSessions)],
    ['Session-Per-Sec', '30'],
    ['Session-Per-Sec-Last', '0'],
    ['Session-Per-Sec-Max', '0'],
    ['Session-Per-Sec-FiveMin', '0'],
    ['Session-Since-Startup', String(ctx.sessionsSinceStartup)],
    ['Session-Peak-Max', n],
    ['Session-Peak-FiveMin', n],
    ['Idle-CPU', idleCpu().toFixed(6)],
  ];
}
