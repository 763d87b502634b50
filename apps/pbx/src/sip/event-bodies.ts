/**
 * The bodies of the NOTIFYs the PBX sends as notifier: dialog-info (RFC 4235, busy lamps),
 * message-summary (RFC 3842, message-waiting lights) and PIDF (RFC 3863, presence). Pure string
 * builders; every value that comes from a phone or an administrator is XML-escaped.
 */

/** Escapes text for XML content and attribute values. */
export function xmlEscape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** One `<dialog>` element (RFC 4235 §4.1). */
export interface DialogElement {
  readonly id: string;
  readonly callId: string;
  readonly localTag?: string;
  readonly remoteTag?: string;
  readonly direction: 'initiator' | 'recipient';
  readonly state: 'trying' | 'proceeding' | 'early' | 'confirmed' | 'terminated';
  /** The watched entity's side: its address of record. */
  readonly local: { readonly uri: string; readonly display?: string };
  readonly remote: { readonly uri: string; readonly display?: string };
}

export const DIALOG_INFO_TYPE = 'application/dialog-info+xml';
export const MESSAGE_SUMMARY_TYPE = 'application/simple-message-summary';
export const PIDF_TYPE = 'application/pidf+xml';

function identity(p: { readonly uri: string; readonly display?: string }): string {
  const display = p.display ? ` display="${xmlEscape(p.display)}"` : '';
  return `<identity${display}>${xmlEscape(p.uri)}</identity><target uri="${xmlEscape(p.uri)}"/>`;
}

/**
 * A full dialog-info document. `state="full"` always: a phone that missed a NOTIFY is right again
 * with the next one.
 */
export function dialogInfoXml(
  entity: string,
  version: number,
  dialogs: readonly DialogElement[],
): string {
  const parts = dialogs.map((d) => {
    const tags =
      (d.localTag === undefined ? '' : ` local-tag="${xmlEscape(d.localTag)}"`) +
      (d.remoteTag === undefined ? '' : ` remote-tag="${xmlEscape(d.remoteTag)}"`);
    // Before the leg's INVITE is out its Call-ID is unknown: the attribute is optional.
    const callId = d.callId ? ` call-id="${xmlEscape(d.callId)}"` : '';
    return (
      `<dialog id="${xmlEscape(d.id)}"${callId}${tags} direction="${d.direction}">` +
      `<state>${d.state}</state>` +
      `<local>${identity(d.local)}</local><remote>${identity(d.remote)}</remote></dialog>\n`
    );
  });
  return (
    '<?xml version="1.0"?>\n' +
    `<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="${version}" state="full" entity="${xmlEscape(entity)}">\n` +
    parts.join('') +
    '</dialog-info>\n'
  );
}

/** Voice-message counts of one mailbox (RFC 3842 §5.2 `Voice-Message: new/old`). */
export interface MailboxCounts {
  readonly newMessages: number;
  readonly oldMessages: number;
}

/** A message-summary body: `Messages-Waiting: yes` while there are new messages. */
export function messageSummary(account: string, counts: MailboxCounts): string {
  return (
    `Messages-Waiting: ${counts.newMessages > 0 ? 'yes' : 'no'}\r\n` +
    `Message-Account: ${account}\r\n` +
    `Voice-Message: ${counts.newMessages}/${counts.oldMessages}\r\n`
  );
}

/** What a presence document says about one station. */
export interface PresenceFacts {
  /** `open` when the station can be reached (registered, not DND). */
  readonly basic: 'open' | 'closed';
  /** RPID activity (RFC 4480): `on-the-phone` in a call, `busy` for DND, else none. */
  readonly activity?: 'on-the-phone' | 'busy' | 'away';
  /** Free text: the status a user or administrator set, or a summary. */
  readonly note?: string;
  readonly contact?: string;
}

/** A PIDF document (RFC 3863) with an RPID activity (RFC 4480) and a note. */
export function pidfXml(entity: string, facts: PresenceFacts): string {
  const note = facts.note ? `<note>${xmlEscape(facts.note)}</note>` : '';
  const contact = facts.contact ? `<contact>${xmlEscape(facts.contact)}</contact>` : '';
  const activity = facts.activity
    ? `<dm:person id="p1"><rpid:activities><rpid:${facts.activity}/></rpid:activities>${note ? `<dm:note>${xmlEscape(facts.note ?? '')}</dm:note>` : ''}</dm:person>`
    : '';
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="${xmlEscape(entity)}">\n` +
    `<tuple id="t1"><status><basic>${facts.basic}</basic></status>${contact}${note}</tuple>\n` +
    activity +
    '</presence>\n'
  );
}
