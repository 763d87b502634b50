/** `uuid_*` API commands (spec §3.7). */
import type { ServerContext } from '../context';
import type { Channel } from '../channel/channel';
import { dumpText } from '../esl/frames';
import type { ApiCommand } from './index';

function find(ctx: ServerContext, uuid: string | undefined): Channel | undefined {
  return uuid ? ctx.channels.get(uuid) : undefined;
}

export const uuidDump: ApiCommand = (ctx, args) => {
  const ch = find(ctx, args[0]);
  if (!ch) return '-ERR No such channel!\n';
  const format = args[1] ?? 'txt';
  const headers = ch.channelData();
  if (format === 'json') return JSON.stringify(Object.fromEntries(headers));
  return dumpText(headers);
};

export const uuidSetMediaStats: ApiCommand = (ctx, args) => {
  const ch = find(ctx, args[0]);
  if (!ch) return '-ERR No such channel!\n';
  ch.setVar(
    'rtp_audio_in_media_packet_count',
    ch.vars.get('rtp_audio_in_media_packet_count') ?? '0',
  );
  return '+OK:\n';
};

/** Ends a bridge; the partner goes back to park (park_after_bridge). */
export function unbridge(ch: Channel): void {
  const b = ch.bridge;
  if (!b) return;
  b.handle.close();
  ch.bridge = undefined;
  if (b.partner.bridge?.partner === ch) b.partner.bridge = undefined;
  ch.fire('CHANNEL_UNBRIDGE', [['Other-Leg-Unique-ID', b.partner.uuid]]);
}

export const uuidBridge: ApiCommand = (ctx, args) => {
  const a = find(ctx, args[0]);
  const b = find(ctx, args[1]);
  if (!a || !b || a === b) return '-ERR Invalid uuid\n';
  for (const ch of [a, b]) {
    unbridge(ch);
    ch.membership?.leave('transfer');
    ch.queue.breakCurrent(false);
    ch.rtp.stopPlayback();
  }
  const handle = ctx.engine.bridge(a.rtp, b.rtp);
  a.bridge = { partner: b, handle };
  b.bridge = { partner: a, handle };
  a.setVar('bridge_uuid', b.uuid);
  b.setVar('bridge_uuid', a.uuid);
  a.fire('CHANNEL_BRIDGE', [['Other-Leg-Unique-ID', b.uuid]]);
  return `+OK ${b.uuid}\n`;
};

export const uuidTransfer: ApiCommand = (ctx, args) => {
  const ch = find(ctx, args[0]);
  if (!ch) return '-ERR No such channel!\n';
  const both = args[1] === '-both';
  const bleg = args[1] === '-bleg';
  const dest = args.slice(both || bleg ? 2 : 1);
  if (dest[0] !== 'park')
    ctx.log.info({ dest: dest.join(' ') }, 'uuid_transfer: only park is supported; parking');
  const partner = ch.bridge?.partner;
  const targets = bleg ? (partner ? [partner] : []) : both && partner ? [ch, partner] : [ch];
  unbridge(ch);
  for (const t of targets) {
    t.membership?.leave('transfer');
    t.queue.breakCurrent(false, 'transfer');
    t.rtp.stopPlayback();
  }
  return '+OK\n';
};

export const uuidBreak: ApiCommand = (ctx, args) => {
  const ch = find(ctx, args[0]);
  if (!ch) return '-ERR No such channel!\n';
  const all = args[1] === 'all';
  ch.queue.breakCurrent(all);
  ch.rtp.stopPlayback();
  if (args[1] === 'both' && ch.bridge) {
    ch.bridge.partner.queue.breakCurrent(false);
    ch.bridge.partner.rtp.stopPlayback();
  }
  return '+OK\n';
};

export const uuidKill: ApiCommand = (ctx, args) => {
  const ch = find(ctx, args[0]);
  if (!ch) return '-ERR No such channel!\n';
  void ch.hangup(args[1] ?? 'NORMAL_CLEARING');
  return '+OK\n';
};

export const uuidSetvar: ApiCommand = (ctx, args) => {
  const ch = find(ctx, args[0]);
  if (!ch) return '-ERR No such channel!\n';
  if (!args[1]) return '-ERR Syntax error\n';
  ch.setVar(args[1], args.slice(2).join(' '));
  return '+OK\n';
};

export const uuidGetvar: ApiCommand = (ctx, args) => {
  const ch = find(ctx, args[0]);
  if (!ch) return '-ERR No such channel!\n';
  return ch.vars.get(args[1] ?? '') ?? '_undef_';
};

export const uuidExists: ApiCommand = (ctx, args) => (find(ctx, args[0]) ? 'true' : 'false');
