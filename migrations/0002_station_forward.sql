-- Call forward (all, busy, no answer, busy/no answer) targets, the per-station no-answer timer
-- and DND, set by feature codes or `pbx ext set`. Targets are dialled digits (a station, or a
-- trunk access code and number), NULL when the forward is off.

ALTER TABLE stations ADD COLUMN forward_all TEXT
  CHECK (forward_all IS NULL OR (length(forward_all) BETWEEN 1 AND 32 AND forward_all NOT GLOB '*[^0-9]*'));
ALTER TABLE stations ADD COLUMN forward_busy TEXT
  CHECK (forward_busy IS NULL OR (length(forward_busy) BETWEEN 1 AND 32 AND forward_busy NOT GLOB '*[^0-9]*'));
ALTER TABLE stations ADD COLUMN forward_no_answer TEXT
  CHECK (forward_no_answer IS NULL OR (length(forward_no_answer) BETWEEN 1 AND 32 AND forward_no_answer NOT GLOB '*[^0-9]*'));
ALTER TABLE stations ADD COLUMN forward_busy_no_answer TEXT
  CHECK (forward_busy_no_answer IS NULL OR (length(forward_busy_no_answer) BETWEEN 1 AND 32 AND forward_busy_no_answer NOT GLOB '*[^0-9]*'));
-- Seconds; NULL means the system option features.forwardNoAnswerTimer.
ALTER TABLE stations ADD COLUMN forward_no_answer_timer REAL
  CHECK (forward_no_answer_timer IS NULL OR forward_no_answer_timer > 0);
ALTER TABLE stations ADD COLUMN dnd INTEGER NOT NULL DEFAULT 0 CHECK (dnd IN (0, 1));
