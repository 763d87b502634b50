import { CommandFailedError, UsageError } from './errors';
import type { CliStdin } from './io';

const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const CTRL_U = '\u0015';
const BACKSPACE = '\u007f';

/**
 * The process's standard input for the password options. The prompt puts the terminal in raw
 * mode, so nothing typed is echoed (the terminal driver's echo is off), and handles Enter,
 * Backspace, Ctrl-U (clear), Ctrl-C (cancel) and Ctrl-D (end) itself.
 */
export function processStdin(stdin: NodeJS.ReadStream, stderr: NodeJS.WriteStream): CliStdin {
  return {
    get isTTY(): boolean {
      return stdin.isTTY === true;
    },

    readAll(maxBytes: number): Promise<string> {
      return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const finish = (err?: Error): void => {
          stdin.off('data', onData);
          stdin.off('end', onEnd);
          stdin.off('error', finish);
          stdin.pause();
          if (err) reject(err);
          else resolve(Buffer.concat(chunks).toString('utf8'));
        };
        const onData = (chunk: Buffer | string): void => {
          const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
          size += bytes.length;
          if (size > maxBytes) {
            finish(
              new UsageError(`standard input: more than ${maxBytes} bytes; give one password line`),
            );
            return;
          }
          chunks.push(bytes);
        };
        const onEnd = (): void => finish();
        stdin.on('data', onData);
        stdin.once('end', onEnd);
        stdin.once('error', finish);
        stdin.resume();
      });
    },

    promptSecret(prompt: string): Promise<string> {
      if (stdin.isTTY !== true)
        return Promise.reject(new UsageError('standard input is not a terminal'));
      return new Promise((resolve, reject) => {
        let value = '';
        const finish = (err?: Error): void => {
          stdin.off('data', onData);
          stdin.off('end', onEnd);
          stdin.setRawMode(false);
          stdin.pause();
          stderr.write('\n');
          if (err) reject(err);
          else resolve(value);
        };
        const onData = (chunk: Buffer | string): void => {
          const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
          for (const ch of text) {
            if (ch === '\r' || ch === '\n') return finish();
            if (ch === CTRL_C) return finish(new CommandFailedError('cancelled'));
            if (ch === CTRL_D) {
              if (value === '') return finish(new UsageError('no password given'));
              return finish();
            }
            if (ch === BACKSPACE || ch === '\b') value = [...value].slice(0, -1).join('');
            else if (ch === CTRL_U) value = '';
            else if (ch >= ' ') value += ch;
          }
        };
        const onEnd = (): void => finish(new UsageError('no password given'));
        // Echo off before the prompt shows: whatever is typed once it is visible stays hidden.
        stdin.setRawMode(true);
        stderr.write(prompt);
        stdin.on('data', onData);
        stdin.once('end', onEnd);
        stdin.resume();
      });
    },
  };
}
