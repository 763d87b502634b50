/**
 * Client → server framing (spec §4.1): a command line, optional `Header: value` lines, an empty
 * line. Leading CR/LF is skipped and CR before LF dropped, like FreeSWITCH's read_packet.
 */

export interface EslCommand {
  /** The first line as sent (e.g. `api uuid_dump x`, `sendmsg <uuid>`). */
  line: string;
  /** Headers after the first line, in order; values not URL-decoded. */
  headers: Array<[string, string]>;
}

export function commandHeader(cmd: EslCommand, name: string): string | undefined {
  const lower = name.toLowerCase();
  return cmd.headers.find(([n]) => n.toLowerCase() === lower)?.[1];
}

/** Accumulates bytes and yields whole commands; throws CommandTooLargeError beyond `maxBytes`. */
export class CommandParser {
  private buffer = '';

  constructor(private readonly maxBytes = 256 * 1024) {}

  push(chunk: Buffer | string): EslCommand[] {
    this.buffer += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    const out: EslCommand[] = [];
    for (;;) {
      this.buffer = this.buffer.replace(/^[\r\n]+/, '');
      const end = this.findEnd();
      if (end === undefined) break;
      const frame = this.buffer.slice(0, end.at);
      this.buffer = this.buffer.slice(end.at + end.length);
      const lines = frame.split('\n').map((l) => l.replace(/\r$/, ''));
      const line = (lines.shift() ?? '').trim();
      const headers: Array<[string, string]> = [];
      for (const l of lines) {
        const i = l.indexOf(':');
        if (i <= 0) continue;
        headers.push([l.slice(0, i).trim(), l.slice(i + 1).replace(/^ +/, '')]);
      }
      out.push({ line, headers });
    }
    if (Buffer.byteLength(this.buffer) > this.maxBytes) {
      this.buffer = '';
      throw new CommandTooLargeError(this.maxBytes);
    }
    return out;
  }

  private findEnd(): { at: number; length: number } | undefined {
    const m = /\r?\n\r?\n/.exec(this.buffer);
    return m ? { at: m.index, length: m[0].length } : undefined;
  }
}

export class CommandTooLargeError extends Error {
  override name = 'CommandTooLargeError';
  constructor(limit: number) {
    super(`ESL command larger than ${limit} bytes`);
  }
}
