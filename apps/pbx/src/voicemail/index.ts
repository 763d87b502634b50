/**
 * Voice mail, installed on the call engine: a mailbox per station (`voicemail_boxes` options, on
 * by default), deposits of calls that found no one (deposit.ts), the access code's menu
 * (retrieval.ts), the message-waiting lamp through the presence module's mailbox interface, and
 * the start-up clean-up of recordings a kill interrupted. Imports point one way: this folder uses
 * engine/, state/ and the mailbox interface; nothing there imports it (the engine sees only the
 * {@link VoicemailHook} it is given).
 */
import path from 'node:path';
import type { VoicemailBox } from '@pbx/store';
import type { AppContext } from '../context';
import type { CallEnv, UnreachedCause, VoicemailHook } from '../engine/call-env';
import { Call } from '../engine/call-registry';
import { callerLeg, watchCaller } from '../engine/call-setup';
import type { MailboxCounts } from '../sip/event-bodies';
import type { VoicemailContext } from './context';
import { deposit, type DepositOutcome } from './deposit';
import { MailboxFiles } from './mailbox-files';
import { ensurePrompts } from './prompts';
import { recoverDeposits } from './recovery';
import { retrieve } from './retrieval';
import type { VmCall } from './vm-call';

/** Where the lamp's counts go (presence/mailboxes.ts `StoreMailboxes`). */
export interface MailboxWriter {
  set(tel: string, counts: MailboxCounts): Promise<void>;
}

export interface VoicemailModule {
  readonly name: 'voicemail';
  readonly files: MailboxFiles;
  /** Resolves with each finished deposit's outcome (tests, bench). */
  onDeposit(listener: (station: string, outcome: DepositOutcome) => void): void;
  onChange(area: string): Promise<void>;
  stop(): Promise<void>;
}

// A forward to voice mail and a ring group's overflow were chosen for this mailbox explicitly:
// only whether it is on counts.
const CAUSE_OPTION: Record<UnreachedCause, keyof VoicemailBox | null> = {
  'no-answer': 'onNoAnswer',
  busy: 'onBusy',
  dnd: 'onDnd',
  unregistered: 'onUnregistered',
  forward: null,
  group: null,
};

export async function installVoicemail(
  ctx: AppContext,
  env: CallEnv,
  lamps: MailboxWriter,
): Promise<VoicemailModule> {
  const log = env.log.child({ component: 'voicemail' });
  const root = path.join(path.dirname(path.resolve(ctx.config.db.path)), 'voicemail');
  const files = new MailboxFiles(root);
  await ensurePrompts(files.prompts);
  const store = ctx.store;
  let boxes = new Map<string, VoicemailBox>();
  const loadBoxes = async (): Promise<void> => {
    boxes = new Map((await store.voicemail.boxes()).map((b) => [b.tel, b]));
  };
  await loadBoxes();

  // A kill during a recording leaves a temporary file and its sidecar: what it holds is kept as
  // a message when it has enough sound (recovery.ts), as is a kept one whose row was cut.
  const recovered = await recoverDeposits(files, store, env.config.voicemail.minMessageMs, log);
  const touched = new Set<string>(recovered.kept);
  if (recovered.kept.length + recovered.rows + recovered.dropped > 0)
    log.warn(
      { kept: recovered.kept.length, rows: recovered.rows, dropped: recovered.dropped },
      'voice mail: recordings cut by the last stop recovered',
    );
  // Whatever else a kill left (a temporary file without enough sound or details, a file without
  // a row), and a row whose file was removed by hand: none of them is a message.
  const cleanup = await files.cleanup(await store.voicemail.files());
  for (const m of await store.voicemail.messages()) {
    if (!cleanup.missing.includes(m.file)) continue;
    await store.voicemail.deleteMessage(m.tel, m.id);
    touched.add(m.tel);
  }
  if (cleanup.temporary + cleanup.orphans + cleanup.missing.length > 0)
    log.warn(
      { ...cleanup, missing: cleanup.missing.length },
      'voice mail: interrupted recordings cleaned up',
    );

  const updateLamp = async (tel: string): Promise<void> => {
    const counts = await store.voicemail.counts(tel);
    await lamps.set(tel, counts);
  };
  // The lamps follow the messages kept (the counts may have been set by hand before).
  for (const b of boxes.values()) {
    const c = await store.voicemail.counts(b.tel);
    if (c.newMessages + c.oldMessages > 0 || touched.has(b.tel)) await updateLamp(b.tel);
  }

  const live = new Map<string, VmCall>();
  const depositListeners: Array<(station: string, outcome: DepositOutcome) => void> = [];
  const vc: VoicemailContext = {
    env,
    store,
    files,
    updateLamp,
    track(vm) {
      live.set(vm.leg.id, vm);
      vm.onGone(() => live.delete(vm.leg.id));
    },
  };
  env.intercept.hangup.push((leg) => {
    live.get(leg.id)?.hungUp();
    // The engine still ends the call and writes its record.
    return false;
  });
  env.intercept.reinvite.push((leg, r) => {
    const vm = live.get(leg.id);
    if (!vm) return false;
    vm.reinvite(r);
    return true;
  });

  const hook: VoicemailHook = {
    takes(station, cause) {
      const b = boxes.get(station);
      const option = CAUSE_OPTION[cause];
      return (
        env.media.available &&
        b !== undefined &&
        b.enabled &&
        (option === null || b[option] === true)
      );
    },
    hasMailbox(station) {
      return boxes.get(station)?.enabled === true;
    },
    deposit(call, station, cause) {
      void deposit(vc, call, station, cause).then((outcome) => {
        for (const l of depositListeners) l(station, outcome);
      });
    },
    access(invite, caller) {
      const b = boxes.get(caller.station);
      if (!env.media.available || !b?.enabled) {
        log.info(
          { station: caller.station, media: env.media.available, enabled: b?.enabled },
          'voice mail access refused',
        );
        return false;
      }
      const leg = callerLeg(env, invite, caller);
      const call = new Call(leg, {
        kind: 'voicemail',
        dialled: invite.requestUser,
        caller,
        startedAt: env.now(),
        callee: caller.station,
        forwardedFrom: null,
        note: 'voice mail access',
      });
      env.registry.add(call);
      env.registry.track(leg, 'outbound', { number: invite.requestUser });
      watchCaller(env, call);
      void retrieve(vc, call, caller.station).catch((err: unknown) =>
        log.error({ err }, 'voice mail access failed'),
      );
      return true;
    },
  };
  env.hooks.voicemail = hook;
  log.info({ dir: root, mailboxes: boxes.size }, 'voice mail ready');

  return {
    name: 'voicemail',
    files,
    onDeposit: (l) => depositListeners.push(l),
    async onChange(area) {
      if (area === 'voicemail' || area === 'stations') await loadBoxes();
    },
    async stop() {
      if (env.hooks.voicemail === hook) delete env.hooks.voicemail;
      for (const vm of [...live.values()]) await vm.finish('pbx stopping');
    },
  };
}

export type { DepositOutcome } from './deposit';
export { MailboxFiles } from './mailbox-files';
