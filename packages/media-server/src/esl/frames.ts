/** Server → client frames (spec §4.2): LF only, URL-encoded header values, exact Content-Length. */
import { urlEncode } from './encoding';

export type HeaderList = Array<[string, string]>;

function headerBlock(headers: HeaderList): string {
  return headers.map(([n, v]) => `${n}: ${urlEncode(v)}\n`).join('');
}

export function authRequestFrame(): string {
  return 'Content-Type: auth/request\n\n';
}

/** `command/reply`; `extra` headers (e.g. Job-UUID, CHANNEL_DATA) come first, URL-encoded. */
export function commandReplyFrame(replyText: string, extra: HeaderList = []): string {
  return `${headerBlock(extra)}Content-Type: command/reply\nReply-Text: ${urlEncode(replyText)}\n\n`;
}

export function apiResponseFrame(body: string): string {
  return `Content-Type: api/response\nContent-Length: ${Buffer.byteLength(body)}\n\n${body}`;
}

const GOODBYE = 'Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n';

export function disconnectNoticeFrame(extra: HeaderList = []): string {
  return `Content-Type: text/disconnect-notice\n${headerBlock(extra)}Content-Length: ${Buffer.byteLength(GOODBYE)}\n\n${GOODBYE}`;
}

/** An event as `text/event-json`: raw values, body as `_body`. */
export function eventJsonFrame(headers: HeaderList, body?: string): string {
  const obj: Record<string, string> = {};
  for (const [n, v] of headers) obj[n] = v;
  if (body !== undefined && body.length > 0) {
    obj['Content-Length'] = String(Buffer.byteLength(body));
    obj._body = body;
  }
  const json = JSON.stringify(obj);
  return `Content-Length: ${Buffer.byteLength(json)}\nContent-Type: text/event-json\n\n${json}`;
}

/** An event as `text/event-plain`: URL-encoded header lines, then the event body if any. */
export function eventPlainFrame(headers: HeaderList, body?: string): string {
  let inner = headerBlock(headers);
  if (body !== undefined && body.length > 0)
    inner += `Content-Length: ${Buffer.byteLength(body)}\n\n${body}`;
  else inner += '\n';
  return `Content-Length: ${Buffer.byteLength(inner)}\nContent-Type: text/event-plain\n\n${inner}`;
}

/** The `txt` body of uuid_dump: `Name: value\n` per header, then an empty line. */
export function dumpText(headers: HeaderList): string {
  return `${headers.map(([n, v]) => `${n}: ${v === '' ? '_undef_' : urlEncode(v)}`).join('\n')}\n\n`;
}
