-- Stations, registrations, white list, access log, IP blocks, system options and the change
-- counter the running PBX polls. Times are integer milliseconds since the Unix epoch.

-- One row per SIP station ("SIP Phone Information", DM 2.7.2).
CREATE TABLE stations (
  tel TEXT PRIMARY KEY NOT NULL
    CHECK (length(tel) BETWEEN 1 AND 16 AND tel NOT GLOB '*[^0-9]*'),
  user_id TEXT NOT NULL UNIQUE CHECK (length(trim(user_id)) > 0),
  -- MD5(user_id ":" ha1_realm ":" password), hex.
  ha1 TEXT NOT NULL CHECK (length(ha1) = 32),
  ha1_realm TEXT NOT NULL,
  -- AES-256-GCM ciphertext of the password (see packages/store/README.md); never the clear text.
  password_enc TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  tone_source TEXT NOT NULL DEFAULT 'system' CHECK (tone_source IN ('system', 'phone')),
  call_waiting INTEGER NOT NULL DEFAULT 0 CHECK (call_waiting IN (0, 1)),
  forward_unreachable TEXT REFERENCES stations (tel) ON DELETE SET NULL ON UPDATE CASCADE,
  dtmf_type TEXT NOT NULL DEFAULT 'rfc2833' CHECK (dtmf_type IN ('rfc2833', 'info')),
  insert_trunk_port TEXT NOT NULL DEFAULT '' CHECK (insert_trunk_port NOT GLOB '*[^0-9]*'),
  insert_trunk_type TEXT NOT NULL DEFAULT 'none'
    CHECK (insert_trunk_type IN ('incoming', 'outgoing', 'none')),
  nat_check TEXT NOT NULL DEFAULT 'ip' CHECK (nat_check IN ('ip', 'ip-port')),
  use_whitelist INTEGER NOT NULL DEFAULT 1 CHECK (use_whitelist IN (0, 1)),
  -- 0 means no pickup group; 1 is the default group of every station.
  pickup_group INTEGER NOT NULL DEFAULT 1 CHECK (pickup_group BETWEEN 0 AND 99),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  CHECK (forward_unreachable IS NULL OR forward_unreachable <> tel)
);

-- Contacts bound by REGISTER; a station may have several.
CREATE TABLE registrations (
  id INTEGER PRIMARY KEY,
  tel TEXT NOT NULL REFERENCES stations (tel) ON DELETE CASCADE ON UPDATE CASCADE,
  contact TEXT NOT NULL,
  source_ip TEXT NOT NULL,
  source_port INTEGER NOT NULL CHECK (source_port BETWEEN 0 AND 65535),
  protocol TEXT NOT NULL CHECK (protocol IN ('udp', 'tcp', 'tls', 'ws', 'wss')),
  user_agent TEXT NOT NULL DEFAULT '',
  expires_at INTEGER NOT NULL,
  call_id TEXT NOT NULL,
  cseq INTEGER NOT NULL,
  -- Registrar-specific details (instance id, local socket, ...) as a JSON object.
  extra TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(extra)),
  registered_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (tel, contact)
);
CREATE INDEX registrations_expires_at ON registrations (expires_at);

-- Phone IP White List (DM 5.13.10), each entry normalised to a CIDR block.
CREATE TABLE whitelist (
  cidr TEXT PRIMARY KEY NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);

-- Access Information (DM 5.2.21): refused or failed registrations and blocked IPs.
CREATE TABLE access_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  ip TEXT NOT NULL,
  port INTEGER,
  caller_id TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL
);
CREATE INDEX access_log_at ON access_log (at);

-- IP addresses blocked by Comm Exclusive (or by hand) until a time.
CREATE TABLE blocks (
  ip TEXT PRIMARY KEY NOT NULL,
  blocked_until INTEGER NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  failures INTEGER NOT NULL DEFAULT 0,
  blocked_at INTEGER NOT NULL
);
CREATE INDEX blocks_blocked_until ON blocks (blocked_until);

-- System options set with `pbx config set`; key is the dotted option name, value is JSON.
CREATE TABLE system_options (
  key TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL CHECK (json_valid(value)),
  updated_at INTEGER NOT NULL
);

-- One counter per area, bumped by the triggers below on every write; the PBX polls it.
CREATE TABLE change_counter (
  area TEXT PRIMARY KEY NOT NULL,
  counter INTEGER NOT NULL DEFAULT 0
);
INSERT INTO change_counter (area) VALUES ('stations'), ('whitelist'), ('config'), ('blocks');

CREATE TRIGGER stations_ai AFTER INSERT ON stations
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'stations'; END;
CREATE TRIGGER stations_au AFTER UPDATE ON stations
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'stations'; END;
CREATE TRIGGER stations_ad AFTER DELETE ON stations
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'stations'; END;

CREATE TRIGGER whitelist_ai AFTER INSERT ON whitelist
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'whitelist'; END;
CREATE TRIGGER whitelist_au AFTER UPDATE ON whitelist
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'whitelist'; END;
CREATE TRIGGER whitelist_ad AFTER DELETE ON whitelist
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'whitelist'; END;

CREATE TRIGGER system_options_ai AFTER INSERT ON system_options
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'config'; END;
CREATE TRIGGER system_options_au AFTER UPDATE ON system_options
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'config'; END;
CREATE TRIGGER system_options_ad AFTER DELETE ON system_options
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'config'; END;

CREATE TRIGGER blocks_ai AFTER INSERT ON blocks
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'blocks'; END;
CREATE TRIGGER blocks_au AFTER UPDATE ON blocks
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'blocks'; END;
CREATE TRIGGER blocks_ad AFTER DELETE ON blocks
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'blocks'; END;
