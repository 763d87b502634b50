/**
 * `play_and_get_digits min max tries timeout terminators file invalid_file var regexp
 * [digit_timeout]` (spec §3.6): any digit interrupts the prompt and counts; success needs ≥ min
 * digits matching the regexp.
 */
import type { Channel } from '../channel';
import { aborted } from './types';
import type { AppCall, Application } from './types';
import { playFiles } from './playback';

interface Collected {
  digits: string;
  terminator?: string;
  timedOut: boolean;
}

/** Collects digits already buffered plus new ones until max, a terminator, or a timeout. */
function collect(
  ch: Channel,
  signal: AbortSignal,
  buffered: string[],
  max: number,
  terminators: string,
  firstMs: number,
  nextMs: number,
): Promise<Collected> {
  return new Promise((resolve) => {
    let digits = '';
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (c: Collected): void => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      ch.digitListener = undefined;
      resolve(c);
    };
    const arm = (ms: number): void => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => finish({ digits, timedOut: true }), ms);
    };
    const take = (d: string): void => {
      if (terminators.includes(d)) return finish({ digits, terminator: d, timedOut: false });
      digits += d;
      if (digits.length >= max) return finish({ digits, timedOut: false });
      arm(nextMs);
    };
    ch.digitListener = (d) => take(d);
    void aborted(signal).then(() => finish({ digits, timedOut: false }));
    arm(firstMs);
    for (const d of buffered.splice(0)) if (!done) take(d);
  });
}

export const playAndGetDigits: Application = async (call: AppCall) => {
  const { ch, signal } = call;
  const a = call.arg.trim().split(/\s+/);
  const min = Number(a[0] ?? 0);
  const max = Math.max(1, Number(a[1] ?? 128));
  const tries = Math.max(1, Number(a[2] ?? 1));
  const timeout = Number(a[3] ?? 5000);
  const terminators = a[4] === 'none' ? '' : (a[4] ?? '#');
  const file = a[5] ?? 'silence_stream://250';
  const invalidFile = a[6];
  const varName = a[7] ?? 'pagd_input';
  let regexp: RegExp;
  try {
    regexp = new RegExp(a[8] ?? '\\d+');
  } catch {
    regexp = /\d+/;
  }
  const digitTimeout = Number(a[9] ?? timeout);
  ch.setVar('read_result', '');
  let lastTimeout = true;
  for (let attempt = 0; attempt < tries && !signal.aborted && ch.isUp; attempt++) {
    ch.setVar(varName, '');
    const buffered: string[] = [];
    // Any digit stops the prompt and is kept for the collection.
    const outcome = await playFiles(call, [file], {
      stopOnDigit: (d) => {
        buffered.push(d);
        return true;
      },
    });
    if (outcome.status === 'not-found')
      ctx(call).log.info({ file }, 'play_and_get_digits: prompt not found');
    ch.setVar('playback_seconds', String(Math.floor(outcome.ms / 1000)));
    ch.setVar('playback_ms', String(outcome.ms));
    if (signal.aborted || !ch.isUp) break;
    const got = await collect(ch, signal, buffered, max, terminators, timeout, digitTimeout);
    if (got.terminator) ch.setVar('read_terminator_used', got.terminator);
    lastTimeout = got.timedOut && got.digits.length === 0;
    if (
      got.digits.length >= min &&
      (got.digits.length === 0 ? min === 0 : regexp.test(got.digits))
    ) {
      ch.setVar(varName, got.digits);
      ch.setVar('read_result', 'success');
      return undefined;
    }
    if (got.digits.length > 0) ch.setVar(`${varName}_invalid`, got.digits);
    if (invalidFile && attempt + 1 < tries) await playFiles(call, [invalidFile]);
  }
  ch.setVar('read_result', lastTimeout ? 'timeout' : 'failure');
  return undefined;
};

function ctx(call: AppCall): AppCall['ctx'] {
  return call.ctx;
}
