-- External contacts for the web console's contact book (issue 10): shared ones, managed by the
-- administrator (owner_tel NULL), and a station user's personal ones (owner_tel = the station;
-- they go with the station, ON DELETE CASCADE). A contact is called as a dialled number (a
-- station number, or trunk access code + digits).

CREATE TABLE contacts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  owner_tel TEXT REFERENCES stations (tel) ON DELETE CASCADE ON UPDATE CASCADE,
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  number TEXT NOT NULL CHECK (length(number) BETWEEN 1 AND 32),
  notes TEXT NOT NULL DEFAULT '' CHECK (length(notes) <= 1000),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE INDEX contacts_owner ON contacts (owner_tel, name);
