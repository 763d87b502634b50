-- Message-waiting (RFC 3842): the voice-message counts of each station's mailbox, which light the
-- phone's message-waiting lamp. Filled by `pbx mwi set` until the voice-mail issue writes them.
-- `unsolicited` (per station): the PBX sends message-summary NOTIFYs without a subscription, for
-- phones that do not SUBSCRIBE (the OfficeServ manual's MWI: "the VMS notifies the SIP station").

CREATE TABLE mailboxes (
  tel TEXT PRIMARY KEY NOT NULL REFERENCES stations (tel) ON DELETE CASCADE ON UPDATE CASCADE,
  new_messages INTEGER NOT NULL DEFAULT 0 CHECK (new_messages >= 0),
  old_messages INTEGER NOT NULL DEFAULT 0 CHECK (old_messages >= 0),
  unsolicited INTEGER NOT NULL DEFAULT 0 CHECK (unsolicited IN (0, 1)),
  updated_at INTEGER NOT NULL
);

INSERT INTO change_counter (area) VALUES ('mailboxes');

CREATE TRIGGER mailboxes_ai AFTER INSERT ON mailboxes
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'mailboxes'; END;
CREATE TRIGGER mailboxes_au AFTER UPDATE ON mailboxes
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'mailboxes'; END;
CREATE TRIGGER mailboxes_ad AFTER DELETE ON mailboxes
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'mailboxes'; END;
