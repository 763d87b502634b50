/**
 * The mailbox menu: a station dialled the access code. Runs the menu reducer
 * (state/voicemail-menu.ts) on the call: plays what it says (a digit stops the prompt at once),
 * checks the PIN against its hash (never logged), marks messages heard, deletes them (row, then
 * file) and records the greeting, updating the lamp after each change.
 */
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { verifyPin } from '@pbx/store';
import {
  newMenu,
  nextMenu,
  type MenuEffect,
  type MenuEvent,
  type MenuState,
  type Say,
} from '../state/voicemail-menu';
import { assertNever } from '../state/errors';
import type { Call } from '../engine/call-registry';
import type { VoicemailContext } from './context';
import { filesFor, promptFile } from './prompts';
import { VmCall } from './vm-call';
import { auditWav } from './wav-audit';

/** No digit for this long ends the call (ms). */
export const IDLE_MS = 60_000;
/** Longest greeting (s). */
const GREETING_MAX_S = 60;

export async function retrieve(vc: VoicemailContext, call: Call, station: string): Promise<void> {
  const { env, store, files } = vc;
  const log = env.log.child({ callRef: call.ref, station });
  const vm = await VmCall.answer(env, call);
  if (!vm) return;
  vc.track(vm);
  const box = await store.voicemail.box(station);
  if (!box.hasPin) {
    log.info('voice mail: no PIN set, access refused');
    await vm.play(path.join(files.prompts, promptFile('no-pin')));
    await vm.play(path.join(files.prompts, promptFile('goodbye')));
    await vm.finish('voice mail: no PIN set');
    return;
  }
  const runner = new MenuRunner(vc, vm, station, box.pinHash, log);
  await runner.start();
}

class MenuRunner {
  private state: MenuState = newMenu();
  private queue: Promise<void> = Promise.resolve();
  private saySeq = 0;
  private lastSay: Promise<void> = Promise.resolve();
  private playing = false;
  /** A prompt or message is being played right now. */
  private inPlay = false;
  private breaking: Promise<void> | undefined;
  private recording = false;
  private idle: NodeJS.Timeout | undefined;
  private readonly messageFiles = new Map<number, string>();

  constructor(
    private readonly vc: VoicemailContext,
    private readonly vm: VmCall,
    private readonly station: string,
    private readonly pinHash: string,
    private readonly log: VoicemailContext['env']['log'],
  ) {}

  async start(): Promise<void> {
    const messages = await this.vc.store.voicemail.messages(this.station);
    for (const m of messages) this.messageFiles.set(m.id, this.vc.files.abs(m.file));
    this.vm.onDigit((d) => this.onDigit(d));
    this.vm.onGone(() => {
      this.saySeq += 1;
      this.stopIdle();
    });
    this.dispatch({ type: 'start', messages });
    await this.queue;
  }

  private onDigit(d: string): void {
    if (this.recording) return;
    this.armIdle();
    // Barge-in: the digit cuts the prompt; the break is done before anything new is played.
    this.saySeq += 1;
    const cut = this.breakPlayback();
    this.queue = this.queue.then(() => cut).then(() => this.dispatch({ type: 'digit', digit: d }));
  }

  /** One break of the running prompt at a time, however many digits arrive meanwhile. */
  private breakPlayback(): Promise<void> {
    if (!this.inPlay) return Promise.resolve();
    this.breaking ??= Promise.race([
      this.vm.ep.stop().catch(() => undefined),
      new Promise<void>((resolve) => setTimeout(resolve, 2000).unref()),
    ]).finally(() => {
      this.breaking = undefined;
    });
    return this.breaking;
  }

  private dispatch(e: MenuEvent): void {
    const [next, effects] = nextMenu(this.state, e);
    this.state = next;
    for (const eff of effects) {
      if (eff.type === 'checkPin') {
        // Checked at once, so digits already on their way meet the menu after the verdict.
        const ok = verifyPin(eff.pin, this.pinHash);
        if (!ok) this.log.info('voice mail: wrong PIN');
        this.dispatch({ type: 'pinResult', ok });
        continue;
      }
      this.queue = this.queue
        .then(() => this.run(eff))
        .catch((err: unknown) =>
          this.log.error({ err, effect: eff.type }, 'voice mail step failed'),
        );
    }
  }

  private async run(eff: MenuEffect): Promise<void> {
    if (this.vm.ended) return;
    switch (eff.type) {
      case 'play':
        this.lastSay = this.say(eff.items, ++this.saySeq);
        return;
      case 'checkPin':
        // Handled in dispatch().
        return;
      case 'markHeard':
        await this.vc.store.voicemail.markHeard(this.station, eff.id);
        await this.vc.updateLamp(this.station);
        return;
      case 'delete': {
        const gone = await this.vc.store.voicemail.deleteMessage(this.station, eff.id);
        if (gone) await rm(this.vc.files.abs(gone.file), { force: true });
        this.messageFiles.delete(eff.id);
        await this.vc.updateLamp(this.station);
        return;
      }
      case 'recordGreeting':
        await this.recordGreeting();
        return;
      case 'hangup':
        await this.lastSay;
        this.log.info({ reason: eff.reason }, 'voice mail: menu ended');
        this.stopIdle();
        await this.vm.finish(`voice mail: ${eff.reason}`);
        return;
      default:
        return assertNever(eff);
    }
  }

  /** Plays the items in order until a digit (or the end of the call) cuts them. */
  private async say(items: readonly Say[], seq: number): Promise<void> {
    this.stopIdle();
    this.playing = true;
    try {
      for (const item of items) {
        if (seq !== this.saySeq || this.vm.ended) return;
        for (const file of filesFor([item], this.vc.files.prompts, (id) =>
          this.messageFiles.get(id),
        )) {
          if (seq !== this.saySeq || this.vm.ended) return;
          this.inPlay = true;
          const r = await this.vm
            .play(file)
            .catch((err: unknown) => {
              this.log.warn({ err, file: path.basename(file) }, 'voice mail: prompt not played');
              return { stopped: false };
            })
            .finally(() => {
              this.inPlay = false;
            });
          if (r.stopped || seq !== this.saySeq) return;
        }
        if ('message' in item) {
          const id = item.message;
          this.queue = this.queue.then(() => this.dispatch({ type: 'messagePlayed', id }));
        }
      }
    } finally {
      if (seq === this.saySeq) {
        this.playing = false;
        this.armIdle();
      }
    }
  }

  private async recordGreeting(): Promise<void> {
    const { files, store, env } = this.vc;
    const seq = ++this.saySeq;
    await this.say([{ prompt: 'record-greeting' }, { prompt: 'beep' }], seq);
    if (this.vm.ended) return;
    const temp = files.temp(this.station);
    this.recording = true;
    this.stopIdle();
    let ok = false;
    try {
      await this.vm.ep.record(files.abs(temp), { maxSeconds: GREETING_MAX_S, terminators: '#' });
      const audit = await auditWav(files.abs(temp)).catch(() => undefined);
      if (audit && audit.soundMs >= Math.min(500, env.config.voicemail.minMessageMs)) {
        const name = files.greetingName(this.station);
        await rename(files.abs(temp), files.abs(name));
        await store.voicemail.setBox(this.station, { greeting: name });
        ok = true;
      }
    } finally {
      this.recording = false;
      await rm(files.abs(temp), { force: true });
      this.armIdle();
    }
    this.log.info({ ok }, 'voice mail: greeting recorded');
    this.dispatch({ type: 'greetingRecorded', ok });
  }

  private armIdle(): void {
    this.stopIdle();
    if (this.vm.ended) return;
    this.idle = setTimeout(() => {
      this.queue = this.queue.then(() => this.dispatch({ type: 'timeout' }));
    }, IDLE_MS);
    this.idle.unref();
  }

  private stopIdle(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = undefined;
  }
}
