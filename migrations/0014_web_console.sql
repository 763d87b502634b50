-- Web console and CTI (issue 10): the administrator's console password and each station user's
-- CTI password, separate from the SIP password. Both are kept only as salted scrypt hashes
-- (packages/store/src/web-passwords.ts), never in clear and never encrypted-reversible.
-- A station's CTI password goes with the station (ON DELETE CASCADE).

CREATE TABLE web_admins (
  name TEXT PRIMARY KEY NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
  password_hash TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE cti_passwords (
  tel TEXT PRIMARY KEY NOT NULL REFERENCES stations (tel) ON DELETE CASCADE ON UPDATE CASCADE,
  password_hash TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
