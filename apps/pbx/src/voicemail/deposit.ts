/**
 * Leaving a message: the caller hears the station's greeting (or the default one) and a beep, and
 * is recorded until hang-up, `#` or `voicemail.maxMessageSeconds`. A recording with less sound
 * than `voicemail.minMessageMs` (silence only, or too short) is discarded; a kept one is renamed
 * from its temporary name, gets its row, and the station's lamp is updated. A full mailbox
 * (`voicemail.maxMessages`) plays the refusal prompt and hangs up.
 */
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { UnreachedCause } from '../engine/call-env';
import type { Call } from '../engine/call-registry';
import { promptFile } from './prompts';
import type { DepositSidecar } from './recovery';
import type { VoicemailContext } from './context';
import { VmCall } from './vm-call';
import { auditWav } from './wav-audit';

/** What became of a deposit (for the log, tests and the bench). */
export type DepositOutcome =
  | { readonly kind: 'kept'; readonly id: number; readonly ms: number }
  | { readonly kind: 'discarded'; readonly reason: 'silence' | 'too-short' | 'unreadable' }
  | { readonly kind: 'refused'; readonly reason: 'mailbox-full' }
  | { readonly kind: 'failed'; readonly reason: string };

export async function deposit(
  vc: VoicemailContext,
  call: Call,
  station: string,
  cause: UnreachedCause,
): Promise<DepositOutcome> {
  const { env, store, files } = vc;
  call.record.note = `voice mail ${station} (${cause})`;
  call.record.callee = station;
  const caller = call.record.caller;
  const log = env.log.child({ callRef: call.ref, station });
  const vm = await VmCall.answer(env, call);
  if (!vm) return { kind: 'failed', reason: 'not answered' };
  vc.track(vm);
  const prompt = (name: Parameters<typeof promptFile>[0]): string =>
    path.join(files.prompts, promptFile(name));
  try {
    const counts = await store.voicemail.counts(station);
    if (counts.newMessages + counts.oldMessages >= env.config.voicemail.maxMessages) {
      log.info({ ...counts }, 'voice mail: mailbox full, message refused');
      await vm.play(prompt('mailbox-full'));
      await vm.play(prompt('goodbye'));
      await vm.finish('voice mail: mailbox full');
      return { kind: 'refused', reason: 'mailbox-full' };
    }
    const box = await store.voicemail.box(station);
    const own = box.greeting ? files.abs(box.greeting) : undefined;
    const greeting = own && (await exists(own)) ? own : prompt('greeting');
    await vm.play(greeting);
    await vm.play(prompt('beep'));
    if (vm.ended) return { kind: 'discarded', reason: 'too-short' };
    const temp = files.temp(station);
    // The caller's details first: a kill during the recording leaves enough to keep it
    // (recovery.ts).
    const sidecar: DepositSidecar = {
      tel: station,
      callerTel: caller.number,
      callerName: caller.displayName ?? '',
      receivedAt: env.now(),
    };
    await mkdir(path.dirname(files.abs(temp)), { recursive: true });
    await writeFile(files.abs(files.sidecarOf(temp)), JSON.stringify(sidecar));
    const result = await vm.ep.record(files.abs(temp), {
      maxSeconds: env.config.voicemail.maxMessageSeconds,
      terminators: '#',
    });
    const outcome = await keep(vc, temp, sidecar);
    await rm(files.abs(files.sidecarOf(temp)), { force: true });
    log.info(
      { outcome, terminator: result.terminator, hungUp: result.hungUp },
      'voice mail: deposit',
    );
    if (!vm.ended) {
      await vm.play(prompt(outcome.kind === 'kept' ? 'saved' : 'no-messages'));
      await vm.play(prompt('goodbye'));
    }
    await vm.finish('voice mail: message left');
    return outcome;
  } catch (err) {
    log.error({ err }, 'voice mail: deposit failed');
    await vm.finish('voice mail: failed');
    return { kind: 'failed', reason: (err as Error).message };
  }
}

/** Judges a finished recording and keeps it (rename, row, lamp) or removes it. */
async function keep(
  vc: VoicemailContext,
  temp: string,
  meta: DepositSidecar,
): Promise<DepositOutcome> {
  const station = meta.tel;
  const { env, store, files } = vc;
  const tempAbs = files.abs(temp);
  let audit;
  try {
    audit = await auditWav(tempAbs);
  } catch (err) {
    env.log.warn({ err, station }, 'voice mail: recording unreadable, discarded');
    await rm(tempAbs, { force: true });
    return { kind: 'discarded', reason: 'unreadable' };
  }
  if (audit.soundMs < env.config.voicemail.minMessageMs) {
    await rm(tempAbs, { force: true });
    return { kind: 'discarded', reason: audit.soundMs === 0 ? 'silence' : 'too-short' };
  }
  const name = files.messageFor(temp);
  // Renamed first, then the row, then the sidecar goes: a kill in between leaves a file without
  // a row, which the next start completes from the sidecar (recovery.ts).
  await rename(tempAbs, files.abs(name));
  const m = await store.voicemail.addMessage({
    tel: station,
    callerTel: meta.callerTel,
    callerName: meta.callerName,
    receivedAt: env.now(),
    durationMs: audit.ms,
    file: name,
  });
  await vc.updateLamp(station);
  return { kind: 'kept', id: m.id, ms: audit.ms };
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    (s) => s.size > 44,
    () => false,
  );
}
