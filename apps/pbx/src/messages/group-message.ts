/**
 * What a member's phone receives for a chat group message (pure). The From is the group's
 * address with the group's name as display name, so the phone files every group message in one
 * conversation and a reply goes back to the group. The writer is named at the start of a text
 * body (`Alice (201): text`): phones key conversations on the From URI and most show a contact
 * book name, or nothing, in place of the display name, so the body is the one place every phone
 * shows per message. Other bodies (not text/plain) go unchanged, as a prefix would corrupt them.
 */
import type { ChatGroup, StoredMessage } from '@pbx/store';
import type { OutgoingMessage } from './sip-port';

/** `Alice (201)`, or `201` without a name. */
export function writerLabel(tel: string, name: string | undefined): string {
  const clean = name?.trim();
  return clean ? `${clean} (${tel})` : tel;
}

/** A display name safe inside a quoted string (RFC 3261 25.1 quoted-string): no `"` or `\`. */
export function quotedName(name: string): string {
  return `"${name.replace(/["\\\r\n]/g, '')}"`;
}

/** The MESSAGE for one member of `group` carrying `m` (with its original date). */
export function groupDelivery(
  m: Pick<StoredMessage, 'fromTel' | 'contentType' | 'body' | 'createdAt'> & {
    recipient: string;
  },
  group: Pick<ChatGroup, 'number' | 'name'>,
  /** `writer`: who wrote it, as {@link writerLabel} puts it (or `PBX`). */
  opts: { domain: string; writer: string },
): OutgoingMessage {
  const plain = /^text\/plain\b/i.test(m.contentType);
  return {
    from: `${quotedName(group.name)} <sip:${group.number}@${opts.domain}>`,
    to: `<sip:${m.recipient}@${opts.domain}>`,
    contentType: m.contentType,
    body: plain ? `${opts.writer}: ${m.body}` : m.body,
    date: new Date(m.createdAt),
  };
}
