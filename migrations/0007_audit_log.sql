-- Administrative changes (`pbx` commands that change something, and backups/restores): who, what,
-- when. Never secrets: passwords, keys and secret option values are written as '***'. Kept until
-- pruned (pbx audit keeps the newest security.accessLogLimit rows, like the access log).

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  -- Epoch ms.
  at INTEGER NOT NULL,
  -- Who: the operating-system user that ran the command (SUDO_USER when run through sudo), or what
  -- PBX_ACTOR names (an admin tool acting for a person).
  actor TEXT NOT NULL,
  -- Through what: 'cli'.
  origin TEXT NOT NULL DEFAULT 'cli',
  -- The command: 'ext add', 'config set', 'whitelist remove', 'restore', ...
  action TEXT NOT NULL,
  -- Its arguments and options as JSON, secrets replaced by '***'.
  details TEXT NOT NULL DEFAULT '{}',
  outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'failed')),
  -- The error's first line when it failed.
  error TEXT NOT NULL DEFAULT ''
);

CREATE INDEX audit_log_at ON audit_log (at);
