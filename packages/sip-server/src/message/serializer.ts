import { sameHeaderName } from './header-names';
import type { SipMessage } from './types';

/**
 * Writes a message: start line, headers in order as `Name: value`, a `Content-Length` with the
 * body's byte length (replacing any Content-Length where the first one stood, else appended
 * last), an empty line and the body.
 */
export function serializeMessage(msg: SipMessage): Buffer {
  const head = serializeHead(msg);
  const body = msg.body ?? Buffer.alloc(0);
  const headLength = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headLength + body.length);
  out.write(head, 0, 'utf8');
  body.copy(out, headLength);
  return out;
}

/**
 * The same message as text (the body decoded as UTF-8), for the control link, whose frames are
 * text: saves building a Buffer only to decode it again.
 */
export function serializeMessageText(msg: SipMessage): string {
  const head = serializeHead(msg);
  return msg.body && msg.body.length > 0 ? head + msg.body.toString('utf8') : head;
}

function serializeHead(msg: SipMessage): string {
  let head =
    msg.kind === 'request'
      ? `${msg.method} ${msg.uri} SIP/2.0\r\n`
      : `SIP/2.0 ${msg.status} ${msg.reason}\r\n`;
  const body = msg.body ?? Buffer.alloc(0);
  const contentLength = `Content-Length: ${body.length}\r\n`;
  let wroteLength = false;
  for (const h of msg.headers) {
    if (sameHeaderName(h.name, 'Content-Length')) {
      if (!wroteLength) head += contentLength;
      wroteLength = true;
      continue;
    }
    head += `${h.name}: ${h.value}\r\n`;
  }
  if (!wroteLength) head += contentLength;
  return head + '\r\n';
}
