-- Voice mail (issue 13): a mailbox per station. `voicemail_boxes` holds the station's options
-- (a station without a row has voice mail on, for every condition, without a PIN); the PIN is
-- stored only as a salted scrypt hash (`scrypt$<salt hex>$<hash hex>`), never in clear.
-- `voicemail_messages` holds each kept message's metadata; the audio is the WAV file `file`
-- (relative to the voice-mail folder beside the database). A row is written only once its file
-- is complete (recorded under a temporary name, renamed after the insert commits), so a kill
-- during a recording leaves at most a temporary file, which the next start removes.
-- The message counts that light the phone's lamp stay in `mailboxes` (0010), written by the
-- voice-mail module after every change.

CREATE TABLE voicemail_boxes (
  tel TEXT PRIMARY KEY NOT NULL REFERENCES stations (tel) ON DELETE CASCADE ON UPDATE CASCADE,
  enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  pin_hash TEXT NOT NULL DEFAULT '',
  on_no_answer INTEGER NOT NULL DEFAULT 1 CHECK (on_no_answer IN (0, 1)),
  on_busy INTEGER NOT NULL DEFAULT 1 CHECK (on_busy IN (0, 1)),
  on_dnd INTEGER NOT NULL DEFAULT 1 CHECK (on_dnd IN (0, 1)),
  on_unregistered INTEGER NOT NULL DEFAULT 1 CHECK (on_unregistered IN (0, 1)),
  greeting TEXT NOT NULL DEFAULT '',
  updated_at INTEGER NOT NULL
);

CREATE TABLE voicemail_messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tel TEXT NOT NULL REFERENCES stations (tel) ON DELETE CASCADE ON UPDATE CASCADE,
  caller_tel TEXT NOT NULL,
  caller_name TEXT NOT NULL DEFAULT '',
  received_at INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL CHECK (duration_ms >= 0),
  file TEXT NOT NULL UNIQUE,
  heard INTEGER NOT NULL DEFAULT 0 CHECK (heard IN (0, 1))
);

CREATE INDEX voicemail_messages_tel ON voicemail_messages (tel, heard, received_at);

INSERT INTO change_counter (area) VALUES ('voicemail');

CREATE TRIGGER voicemail_boxes_ai AFTER INSERT ON voicemail_boxes
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'voicemail'; END;
CREATE TRIGGER voicemail_boxes_au AFTER UPDATE ON voicemail_boxes
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'voicemail'; END;
CREATE TRIGGER voicemail_boxes_ad AFTER DELETE ON voicemail_boxes
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'voicemail'; END;
CREATE TRIGGER voicemail_messages_ai AFTER INSERT ON voicemail_messages
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'voicemail'; END;
CREATE TRIGGER voicemail_messages_au AFTER UPDATE ON voicemail_messages
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'voicemail'; END;
CREATE TRIGGER voicemail_messages_ad AFTER DELETE ON voicemail_messages
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'voicemail'; END;
