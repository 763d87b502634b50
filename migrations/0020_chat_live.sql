-- Chat groups live (issue 10): a running PBX learns of group changes written by `pbx chat` (the
-- CLI writes SQLite directly) through a `chatgroups` change area, and pushes them to the open
-- web consoles of the members as the API's own changes are. Each member's delivery keeps the
-- status of the last attempt, so the writer sees per member: delivered, waiting (offline or not
-- tried yet), or failed (the phone answered an error; the message stays queued and is tried
-- again when the phone registers).

INSERT INTO change_counter (area) VALUES ('chatgroups');

CREATE TRIGGER chat_groups_live_ai AFTER INSERT ON chat_groups
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'chatgroups'; END;
CREATE TRIGGER chat_groups_live_au AFTER UPDATE ON chat_groups
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'chatgroups'; END;
CREATE TRIGGER chat_groups_live_ad AFTER DELETE ON chat_groups
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'chatgroups'; END;
CREATE TRIGGER chat_group_members_live_ai AFTER INSERT ON chat_group_members
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'chatgroups'; END;
CREATE TRIGGER chat_group_members_live_ad AFTER DELETE ON chat_group_members
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'chatgroups'; END;

-- SIP status of the last attempt to send this member's copy (NULL: not tried yet).
ALTER TABLE chat_deliveries ADD COLUMN last_status INTEGER;
ALTER TABLE chat_deliveries ADD COLUMN last_try_at INTEGER;
