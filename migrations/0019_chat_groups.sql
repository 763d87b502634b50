-- Chat groups ("text conferences", issue 10): a named group of stations with a dialable number.
-- A MESSAGE to the group's number (from a member's phone or the web console) is stored once in
-- `messages` (to_tel = the group number, group_id set, delivered_at = when the PBX took it) and
-- relayed to every other member; `chat_deliveries` keeps one row per other member, with
-- `delivered_at` NULL while that member is offline. A member who registers again gets the group's
-- messages in `messages.id` order with their original date, together with one-to-one ones.
-- Group numbers share the dialling space with stations and ring groups: the triggers below keep
-- them apart, the writer checks feature codes (dialplan checkNewNumber).

CREATE TABLE chat_groups (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  number TEXT NOT NULL UNIQUE
    CHECK (length(number) BETWEEN 1 AND 8 AND number NOT GLOB '*[^0-9]*'),
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
  -- The station that created it, or 'admin' (an administrator).
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE chat_group_members (
  group_id INTEGER NOT NULL REFERENCES chat_groups (id) ON DELETE CASCADE,
  tel TEXT NOT NULL REFERENCES stations (tel) ON DELETE CASCADE ON UPDATE CASCADE,
  joined_at INTEGER NOT NULL,
  PRIMARY KEY (group_id, tel)
);
CREATE INDEX chat_group_members_tel ON chat_group_members (tel);

-- NULL for one-to-one messages. Deleting a group deletes its history.
ALTER TABLE messages ADD COLUMN group_id INTEGER REFERENCES chat_groups (id) ON DELETE CASCADE;
CREATE INDEX messages_group ON messages (group_id, id) WHERE group_id IS NOT NULL;

CREATE TABLE chat_deliveries (
  message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  tel TEXT NOT NULL REFERENCES stations (tel) ON DELETE CASCADE ON UPDATE CASCADE,
  delivered_at INTEGER,
  PRIMARY KEY (message_id, tel)
);
CREATE INDEX chat_deliveries_pending ON chat_deliveries (tel, message_id) WHERE delivered_at IS NULL;

-- A number is a station, a ring group or a chat group, never two of them.
CREATE TRIGGER chat_groups_not_station BEFORE INSERT ON chat_groups
WHEN EXISTS (SELECT 1 FROM stations WHERE tel = NEW.number)
  OR EXISTS (SELECT 1 FROM ring_groups WHERE number = NEW.number)
BEGIN SELECT RAISE(ABORT, 'chat group number is a station or ring group number'); END;
CREATE TRIGGER chat_groups_renumbered_not_station BEFORE UPDATE OF number ON chat_groups
WHEN EXISTS (SELECT 1 FROM stations WHERE tel = NEW.number)
  OR EXISTS (SELECT 1 FROM ring_groups WHERE number = NEW.number)
BEGIN SELECT RAISE(ABORT, 'chat group number is a station or ring group number'); END;
CREATE TRIGGER stations_not_chat_group BEFORE INSERT ON stations
WHEN EXISTS (SELECT 1 FROM chat_groups WHERE number = NEW.tel)
BEGIN SELECT RAISE(ABORT, 'station number is a chat group number'); END;
CREATE TRIGGER stations_renamed_not_chat_group BEFORE UPDATE OF tel ON stations
WHEN EXISTS (SELECT 1 FROM chat_groups WHERE number = NEW.tel)
BEGIN SELECT RAISE(ABORT, 'station number is a chat group number'); END;
CREATE TRIGGER ring_groups_not_chat_group BEFORE INSERT ON ring_groups
WHEN EXISTS (SELECT 1 FROM chat_groups WHERE number = NEW.number)
BEGIN SELECT RAISE(ABORT, 'ring group number is a chat group number'); END;
CREATE TRIGGER ring_groups_renamed_not_chat_group BEFORE UPDATE OF number ON ring_groups
WHEN EXISTS (SELECT 1 FROM chat_groups WHERE number = NEW.number)
BEGIN SELECT RAISE(ABORT, 'ring group number is a chat group number'); END;

-- A group message queued by `pbx chat post` wakes the PBX through the messages_ai trigger
-- (0011); its delivery rows are written in the same transaction, before the watcher reads.
