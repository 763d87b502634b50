-- Call detail records: one row per call attempt, written when the INVITE arrives, updated on
-- answer and on end. Numbers are kept as text and are not foreign keys: a record outlives the
-- station it names. Times are integer milliseconds since the Unix epoch. Writes do not bump the
-- change counter (too frequent, and nothing reloads them).

CREATE TABLE cdrs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  -- Our CallRef (one per call, across its legs), not a SIP Call-ID.
  call_ref TEXT NOT NULL,
  -- The calling station (or outside number); its display name as sent to the callee.
  caller_tel TEXT NOT NULL,
  caller_name TEXT NOT NULL DEFAULT '',
  -- The station rung last, or the one that answered; NULL when nothing was rung (unknown number,
  -- feature code, rejected before ringing).
  callee_tel TEXT,
  -- The digits dialled (Request-URI user part): a station, a ring group, a feature code + argument.
  dialled TEXT NOT NULL,
  -- The station whose forward sent the call to callee_tel (the newest Diversion, RFC 5806) and why.
  forwarded_from TEXT,
  forward_reason TEXT CHECK (forward_reason IS NULL OR forward_reason IN (
    'unknown', 'user-busy', 'no-answer', 'unavailable', 'unconditional', 'time-of-day',
    'do-not-disturb', 'deflection', 'follow-me', 'out-of-service', 'away')),
  -- Markers: the station whose ringing call was picked up (callee_tel is the picker), and the
  -- station that transferred the call.
  picked_up_from TEXT,
  transferred_by TEXT,
  -- The feature id when the digits were a feature code (disposition 'feature').
  feature TEXT,
  start_at INTEGER NOT NULL,
  answer_at INTEGER CHECK (answer_at IS NULL OR answer_at >= start_at),
  end_at INTEGER CHECK (end_at IS NULL OR end_at >= start_at),
  -- NULL while the call is in progress.
  disposition TEXT CHECK (disposition IS NULL OR disposition IN (
    'answered', 'no-answer', 'busy', 'rejected', 'cancelled', 'failed', 'feature')),
  -- Final SIP status given to the caller (200 when answered, 486, 480, 487, ...).
  sip_status INTEGER CHECK (sip_status IS NULL OR sip_status BETWEEN 100 AND 699),
  hangup_side TEXT CHECK (hangup_side IS NULL OR hangup_side IN ('caller', 'callee', 'system')),
  -- Talk time: end minus answer, NULL when not answered or not ended.
  duration_ms INTEGER GENERATED ALWAYS AS (
    CASE WHEN answer_at IS NULL OR end_at IS NULL THEN NULL ELSE end_at - answer_at END) VIRTUAL,
  -- Free text for the log: a feature's result or why it changed nothing.
  note TEXT NOT NULL DEFAULT '',
  CHECK (disposition IS NULL OR end_at IS NOT NULL),
  CHECK (disposition IS NOT 'answered' OR answer_at IS NOT NULL),
  CHECK (disposition IS NOT 'feature' OR feature IS NOT NULL)
);

-- `pbx cdr list --since`, and the --ext filter on each column it looks at.
CREATE INDEX cdrs_start_at ON cdrs (start_at);
CREATE INDEX cdrs_caller_tel ON cdrs (caller_tel, start_at);
CREATE INDEX cdrs_callee_tel ON cdrs (callee_tel, start_at);
CREATE INDEX cdrs_forwarded_from ON cdrs (forwarded_from, start_at) WHERE forwarded_from IS NOT NULL;
CREATE INDEX cdrs_picked_up_from ON cdrs (picked_up_from, start_at) WHERE picked_up_from IS NOT NULL;
CREATE INDEX cdrs_transferred_by ON cdrs (transferred_by, start_at) WHERE transferred_by IS NOT NULL;
-- The running PBX finds a call's record by its CallRef.
CREATE INDEX cdrs_call_ref ON cdrs (call_ref);
