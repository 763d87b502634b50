/** The application table and the runner the execute queue calls (spec §3.6, §6.2). */
import type { ServerContext } from '../../context';
import type { AppRunner } from '../channel';
import { conferenceApp } from '../../conference/conference-app';
import {
  answer,
  exportVar,
  hangup,
  multiset,
  park,
  sendDtmf,
  set,
  setMute,
  sleep,
  unset,
} from './basic';
import { playAndGetDigits } from './play-and-get-digits';
import { endlessPlayback, playback } from './playback';
import { record, recordSession, stopRecordSession } from './record';
import type { Application } from './types';

const APPS: Record<string, Application> = {
  playback,
  endless_playback: endlessPlayback,
  play_and_get_digits: playAndGetDigits,
  record,
  record_session: recordSession,
  stop_record_session: stopRecordSession,
  set,
  export: exportVar,
  unset,
  multiset,
  set_mute: setMute,
  send_dtmf: sendDtmf,
  hangup,
  answer,
  pre_answer: answer,
  ring_ready: answer,
  park,
  sleep,
  conference: conferenceApp,
};

/** Apps during which the channel keeps processing queued executes (FreeSWITCH's member loop). */
const NESTABLE = new Set(['conference', 'park']);

export function isNestable(app: string): boolean {
  return NESTABLE.has(app);
}

export function appRunner(ctx: ServerContext): AppRunner {
  return async (ch, item, signal) => {
    const app = APPS[item.app];
    if (!app) {
      ctx.log.warn({ uuid: ch.uuid, app: item.app }, 'invalid application');
      if (ctx.config.unknownApplication === 'hangup')
        setImmediate(() => void ch.hangup('DESTINATION_OUT_OF_ORDER'));
      return '-ERR unsupported';
    }
    return app({ ctx, ch, arg: item.arg, signal });
  };
}
