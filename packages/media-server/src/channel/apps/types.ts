/** The shape of a dialplan application the execute queue runs. */
import type { ServerContext } from '../../context';
import type { Channel } from '../channel';

export interface AppCall {
  ctx: ServerContext;
  ch: Channel;
  arg: string;
  signal: AbortSignal;
}

/** Returns the `Application-Response` (undefined → `_none_`). */
export type Application = (call: AppCall) => Promise<string | undefined>;

/** Resolves when the signal aborts (or at once if it already did). */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
