-- Trunks to telephone providers (ITSPs), their DIDs, the LCR table, auth codes, and billing:
-- rates, accounts and the trunk/account/charge of every call record. Times are epoch ms; money is
-- integer micro-units of the currency (1 = 0.000001), so sums never drift.

-- One row per trunk (`pbx trunk add`).
CREATE TABLE trunks (
  name TEXT PRIMARY KEY NOT NULL
    CHECK (length(name) BETWEEN 1 AND 32 AND name NOT GLOB '*[^a-z0-9_-]*'),
  -- The provider's SIP host (IP address or host name) and port.
  host TEXT NOT NULL CHECK (length(host) BETWEEN 1 AND 253),
  port INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
  transport TEXT NOT NULL DEFAULT 'udp' CHECK (transport IN ('udp', 'tcp', 'tls')),
  -- host[:port] every request goes through first, or '' (none).
  outbound_proxy TEXT NOT NULL DEFAULT '',
  -- 1: REGISTER with digest; 0: IP-authenticated (the provider knows our address).
  register INTEGER NOT NULL DEFAULT 1 CHECK (register IN (0, 1)),
  -- The account at the provider (user part of From/To/Contact) and the digest user name.
  username TEXT NOT NULL DEFAULT '',
  auth_user TEXT NOT NULL DEFAULT '',
  -- AES-256-GCM ciphertext of the digest password, as stations' password_enc; '' when none.
  password_enc TEXT NOT NULL DEFAULT '',
  -- The provider's realm: challenges for another realm are refused. '' accepts the challenge's.
  realm TEXT NOT NULL DEFAULT '',
  -- Domain of our From/To when it differs from host ('' = host).
  domain TEXT NOT NULL DEFAULT '',
  expires INTEGER NOT NULL DEFAULT 3600 CHECK (expires BETWEEN 60 AND 86400),
  -- Number presented to the provider ('' = the account username); anonymous hides it.
  caller_id TEXT NOT NULL DEFAULT '',
  anonymous INTEGER NOT NULL DEFAULT 0 CHECK (anonymous IN (0, 1)),
  -- Simultaneous calls on the trunk; 0 = unlimited.
  max_channels INTEGER NOT NULL DEFAULT 0 CHECK (max_channels BETWEEN 0 AND 10000),
  -- Codecs offered, comma separated rtpmap names in preference order.
  codecs TEXT NOT NULL DEFAULT 'PCMU,PCMA',
  -- Further source addresses (comma separated IPs/CIDRs) the provider sends calls from.
  inbound_addresses TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  CHECK (register = 0 OR (username <> '' AND password_enc <> ''))
);

-- DIDs: the called number of an incoming trunk call → a station, a ring group or the operator.
CREATE TABLE trunk_dids (
  did TEXT PRIMARY KEY NOT NULL CHECK (length(did) BETWEEN 1 AND 32 AND did NOT GLOB '*[^0-9+]*'),
  trunk TEXT NOT NULL REFERENCES trunks (name) ON DELETE CASCADE ON UPDATE CASCADE,
  -- A station or ring group number; '' sends the call to the operator station.
  target TEXT NOT NULL DEFAULT '' CHECK (target NOT GLOB '*[^0-9]*'),
  created_at INTEGER NOT NULL
);
CREATE INDEX trunk_dids_trunk ON trunk_dids (trunk);

-- Least-cost routing: the longest prefix of the dialled number picks its trunks, in priority
-- order (lowest first); the next one is tried on 5xx or timeout. The prefix '' matches anything.
CREATE TABLE trunk_routes (
  prefix TEXT NOT NULL CHECK (length(prefix) <= 32 AND prefix NOT GLOB '*[^0-9*#+]*'),
  trunk TEXT NOT NULL REFERENCES trunks (name) ON DELETE CASCADE ON UPDATE CASCADE,
  priority INTEGER NOT NULL DEFAULT 0 CHECK (priority BETWEEN 0 AND 1000),
  -- Digits taken off the front and put on before the number goes to the provider.
  strip INTEGER NOT NULL DEFAULT 0 CHECK (strip BETWEEN 0 AND 32),
  add_prefix TEXT NOT NULL DEFAULT '' CHECK (add_prefix NOT GLOB '*[^0-9*#+]*'),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (prefix, trunk)
);

-- Registration state as the running PBX last saw it (read by `pbx trunk list`). No change
-- counter: the PBX writes it, nobody reloads it.
CREATE TABLE trunk_status (
  trunk TEXT PRIMARY KEY NOT NULL REFERENCES trunks (name) ON DELETE CASCADE ON UPDATE CASCADE,
  state TEXT NOT NULL CHECK (state IN ('registering', 'registered', 'failed', 'unregistered', 'ip')),
  last_error TEXT NOT NULL DEFAULT '',
  -- When the provider's registration runs out (registered), or the next attempt (failed).
  until_at INTEGER,
  updated_at INTEGER NOT NULL
);

-- Authorisation codes (`pbx authcode`): dialled after the auth feature code; the call is billed
-- to the code's account.
CREATE TABLE auth_codes (
  code TEXT PRIMARY KEY NOT NULL CHECK (length(code) BETWEEN 2 AND 12 AND code NOT GLOB '*[^0-9]*'),
  account TEXT NOT NULL CHECK (length(account) BETWEEN 1 AND 32),
  note TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);

-- Rate table (`pbx rate import`): the longest prefix of the number sent to the provider wins.
CREATE TABLE rates (
  prefix TEXT PRIMARY KEY NOT NULL CHECK (length(prefix) <= 32 AND prefix NOT GLOB '*[^0-9+]*'),
  -- Price per minute, charged per increment after the minimum.
  per_minute INTEGER NOT NULL CHECK (per_minute >= 0),
  min_seconds INTEGER NOT NULL DEFAULT 0 CHECK (min_seconds >= 0),
  increment_seconds INTEGER NOT NULL DEFAULT 60 CHECK (increment_seconds >= 1),
  setup_fee INTEGER NOT NULL DEFAULT 0 CHECK (setup_fee >= 0),
  updated_at INTEGER NOT NULL
);

-- Accounts calls are billed to: a station number or an auth code's account.
CREATE TABLE accounts (
  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) BETWEEN 1 AND 32),
  name TEXT NOT NULL DEFAULT '',
  -- prepaid: a balance that stops service when spent; postpaid: billed per period; flat: a
  -- fixed fee per period, calls not charged.
  kind TEXT NOT NULL CHECK (kind IN ('prepaid', 'postpaid', 'flat')),
  balance INTEGER NOT NULL DEFAULT 0,
  flat_fee INTEGER NOT NULL DEFAULT 0 CHECK (flat_fee >= 0),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- Every change of a balance: top-ups (positive) and call charges (negative).
CREATE TABLE account_ledger (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  at INTEGER NOT NULL,
  amount INTEGER NOT NULL,
  call_ref TEXT,
  note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX account_ledger_account ON account_ledger (account, at);

-- Trunk calls on the call record: the trunk used, the number sent to the provider, the account
-- billed and the charge (NULL: not rated).
ALTER TABLE cdrs ADD COLUMN trunk TEXT;
ALTER TABLE cdrs ADD COLUMN account TEXT;
ALTER TABLE cdrs ADD COLUMN charge INTEGER;
CREATE INDEX cdrs_account ON cdrs (account, start_at) WHERE account IS NOT NULL;

INSERT INTO change_counter (area) VALUES ('trunks');
CREATE TRIGGER trunks_ai AFTER INSERT ON trunks
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'trunks'; END;
CREATE TRIGGER trunks_au AFTER UPDATE ON trunks
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'trunks'; END;
CREATE TRIGGER trunks_ad AFTER DELETE ON trunks
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'trunks'; END;
CREATE TRIGGER trunk_dids_ai AFTER INSERT ON trunk_dids
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'trunks'; END;
CREATE TRIGGER trunk_dids_ad AFTER DELETE ON trunk_dids
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'trunks'; END;
CREATE TRIGGER trunk_dids_au AFTER UPDATE ON trunk_dids
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'trunks'; END;
CREATE TRIGGER trunk_routes_ai AFTER INSERT ON trunk_routes
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'trunks'; END;
CREATE TRIGGER trunk_routes_ad AFTER DELETE ON trunk_routes
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'trunks'; END;
CREATE TRIGGER trunk_routes_au AFTER UPDATE ON trunk_routes
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'trunks'; END;
CREATE TRIGGER auth_codes_ai AFTER INSERT ON auth_codes
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'trunks'; END;
CREATE TRIGGER auth_codes_ad AFTER DELETE ON auth_codes
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'trunks'; END;
