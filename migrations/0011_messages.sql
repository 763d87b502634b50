-- Instant messages (RFC 3428 MESSAGE) between stations and from the PBX itself (`from_tel` 'pbx':
-- welcome messages, `pbx message send`). Every message is kept as history per pair of stations;
-- `delivered_at` is NULL while it waits for its recipient to register again (offline storage),
-- and such messages are delivered in `id` order with their original date.

CREATE TABLE messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  from_tel TEXT NOT NULL,
  to_tel TEXT NOT NULL,
  content_type TEXT NOT NULL DEFAULT 'text/plain',
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  delivered_at INTEGER
);
CREATE INDEX messages_pending ON messages (to_tel, id) WHERE delivered_at IS NULL;
CREATE INDEX messages_pair ON messages (from_tel, to_tel, id);

INSERT INTO change_counter (area) VALUES ('messages');

-- Only new rows wake the PBX (a `pbx message send` to deliver); delivery marks do not.
CREATE TRIGGER messages_ai AFTER INSERT ON messages
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'messages'; END;
