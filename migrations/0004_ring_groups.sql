-- Ring groups (OfficeServ 4.7 "unconditional" station groups of SIP phones): a number that
-- rings its members 4 at a time, 50 ms apart. Members are stations, in ring order, at most 10.
-- Group numbers share the dialling space with stations and feature codes; the writer checks
-- codes (dialplan checkNewNumber), the triggers below keep stations and groups apart.

CREATE TABLE ring_groups (
  number TEXT PRIMARY KEY NOT NULL
    CHECK (length(number) BETWEEN 1 AND 8 AND number NOT GLOB '*[^0-9]*'),
  name TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE ring_group_members (
  group_number TEXT NOT NULL REFERENCES ring_groups (number) ON DELETE CASCADE ON UPDATE CASCADE,
  tel TEXT NOT NULL REFERENCES stations (tel) ON DELETE CASCADE ON UPDATE CASCADE,
  -- Ring order, 0-based; gaps are allowed (a removed station leaves one).
  position INTEGER NOT NULL CHECK (position >= 0),
  PRIMARY KEY (group_number, tel),
  UNIQUE (group_number, position)
);
-- Which groups a station is in (station removal, `pbx group list`).
CREATE INDEX ring_group_members_tel ON ring_group_members (tel);

-- OfficeServ 4.7 (systems other than the OS7030): at most 10 SIP members per group.
CREATE TRIGGER ring_group_members_limit BEFORE INSERT ON ring_group_members
WHEN (SELECT COUNT(*) FROM ring_group_members WHERE group_number = NEW.group_number) >= 10
BEGIN SELECT RAISE(ABORT, 'ring group member limit: at most 10 SIP members per group'); END;

-- A number is either a station or a ring group.
CREATE TRIGGER ring_groups_not_station BEFORE INSERT ON ring_groups
WHEN EXISTS (SELECT 1 FROM stations WHERE tel = NEW.number)
BEGIN SELECT RAISE(ABORT, 'ring group number is a station number'); END;
CREATE TRIGGER ring_groups_renamed_not_station BEFORE UPDATE OF number ON ring_groups
WHEN EXISTS (SELECT 1 FROM stations WHERE tel = NEW.number)
BEGIN SELECT RAISE(ABORT, 'ring group number is a station number'); END;
CREATE TRIGGER stations_not_ring_group BEFORE INSERT ON stations
WHEN EXISTS (SELECT 1 FROM ring_groups WHERE number = NEW.tel)
BEGIN SELECT RAISE(ABORT, 'station number is a ring group number'); END;
CREATE TRIGGER stations_renamed_not_ring_group BEFORE UPDATE OF tel ON stations
WHEN EXISTS (SELECT 1 FROM ring_groups WHERE number = NEW.tel)
BEGIN SELECT RAISE(ABORT, 'station number is a ring group number'); END;

INSERT INTO change_counter (area) VALUES ('groups');

CREATE TRIGGER ring_groups_ai AFTER INSERT ON ring_groups
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'groups'; END;
CREATE TRIGGER ring_groups_au AFTER UPDATE ON ring_groups
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'groups'; END;
CREATE TRIGGER ring_groups_ad AFTER DELETE ON ring_groups
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'groups'; END;
CREATE TRIGGER ring_group_members_ai AFTER INSERT ON ring_group_members
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'groups'; END;
CREATE TRIGGER ring_group_members_au AFTER UPDATE ON ring_group_members
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'groups'; END;
CREATE TRIGGER ring_group_members_ad AFTER DELETE ON ring_group_members
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'groups'; END;
