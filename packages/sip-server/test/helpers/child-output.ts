/** Waiting on what a child process (a bin under test) prints. */
import type { Readable } from 'node:stream';

/**
 * Resolves with everything `stream` printed once it contains `text`; rejects after `withinMs`
 * (naming what was printed) or when the stream ends first.
 */
export function waitForOutput(stream: Readable, text: string, withinMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const done = (err?: Error): void => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      if (err) reject(err);
      else resolve(out);
    };
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (out.includes(text)) done();
    };
    const onEnd = (): void => done(new Error(`output ended before ${text}: ${out}`));
    const timer = setTimeout(
      () => done(new Error(`no ${text} within ${withinMs} ms: ${out}`)),
      withinMs,
    );
    stream.on('data', onData);
    stream.on('end', onEnd);
  });
}
