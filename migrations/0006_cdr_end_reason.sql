-- Why a call record was closed when it was not closed by the call itself. 'restart': the call was
-- connected when the PBX stopped without ending it (crash, kill -9, power cut); the next start
-- closed it, with the restart time as end_at (an upper bound of the real end). NULL otherwise.
-- Connected calls are written (disposition NULL) when they connect, so a crash cannot lose them.

ALTER TABLE cdrs ADD COLUMN end_reason TEXT CHECK (end_reason IS NULL OR end_reason IN ('restart'));
CREATE INDEX cdrs_open ON cdrs (call_ref) WHERE disposition IS NULL;
