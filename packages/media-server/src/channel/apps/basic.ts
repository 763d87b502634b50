/** Small applications: variables, mute, DTMF out, hangup, answer, park, sleep (spec §3.6). */
import { splitArgs } from '../../esl/encoding';
import { aborted } from './types';
import type { Application } from './types';

function assign(text: string): [string, string] | undefined {
  const i = text.indexOf('=');
  if (i <= 0) return undefined;
  return [text.slice(0, i).trim(), text.slice(i + 1)];
}

export const set: Application = ({ ch, arg }) => {
  const kv = assign(arg);
  if (kv) ch.setVar(kv[0], ch.expand(kv[1]));
  return Promise.resolve(undefined);
};

/** `export` also sets the variable on a bridged partner. */
export const exportVar: Application = ({ ch, arg }) => {
  const kv = assign(arg.replace(/^nolocal:/, ''));
  if (!kv) return Promise.resolve(undefined);
  const value = ch.expand(kv[1]);
  ch.setVar(kv[0], value);
  ch.bridge?.partner.setVar(kv[0], value);
  return Promise.resolve(undefined);
};

export const unset: Application = ({ ch, arg }) => {
  ch.vars.delete(arg.trim());
  return Promise.resolve(undefined);
};

export const multiset: Application = ({ ch, arg }) => {
  for (const part of splitArgs(arg)) {
    const kv = assign(part);
    if (kv) ch.setVar(kv[0], ch.expand(kv[1]));
  }
  return Promise.resolve(undefined);
};

export const setMute: Application = ({ ch, arg }) => {
  const [which, flag] = arg.trim().split(/\s+/);
  if (which !== 'read' && which !== 'write')
    return Promise.resolve('-ERR usage: read|write true|false');
  ch.rtp.setMute(which, flag === 'true');
  return Promise.resolve(undefined);
};

export const sendDtmf: Application = async ({ ch, arg }) => {
  const [digits, ms] = arg.trim().split('@');
  if (!digits) return undefined;
  await ch.rtp.sendDtmf(digits, ms ? Number(ms) : undefined);
  return undefined;
};

export const hangup: Application = ({ ch, arg }) => {
  // Let this app's COMPLETE go out first, then hang up.
  setImmediate(() => void ch.hangup(arg.trim() || 'NORMAL_CLEARING'));
  return Promise.resolve(undefined);
};

export const answer: Application = () => Promise.resolve(undefined);

/** park: do nothing until broken (uuid_break / transfer) or hangup. Lets others run nested. */
export const park: Application = async ({ signal }) => {
  await aborted(signal);
  return undefined;
};

export const sleep: Application = async ({ arg, signal }) => {
  const ms = Math.max(0, Number(arg.trim()) || 0);
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    void aborted(signal).then(() => {
      clearTimeout(t);
      resolve();
    });
  });
  return undefined;
};
