-- Per-station SRTP requirement (issue 11): `required` makes the station one "that must use SRTP"
-- whatever its transport, on top of the system policy `security.srtp` (optional | tls | all),
-- which `policy` (the default) follows alone. A plain-RTP offer from or to such a station is
-- refused with 488 before it rings.

ALTER TABLE stations ADD COLUMN srtp TEXT NOT NULL DEFAULT 'policy'
  CHECK (srtp IN ('policy', 'required'));
