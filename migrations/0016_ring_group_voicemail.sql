-- Ring group overflow to voice mail (issue 13): a group call that no member answers within
-- `voicemail_after` seconds (NULL: the system option features.forwardNoAnswerTimer), or that no
-- member can take at all, goes to the mailbox of station `voicemail_tel`. NULL (the default):
-- no overflow, the caller hears ringing until it gives up, as before. Removing that station
-- turns the overflow off.

ALTER TABLE ring_groups ADD COLUMN voicemail_tel TEXT
  REFERENCES stations (tel) ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE ring_groups ADD COLUMN voicemail_after REAL
  CHECK (voicemail_after IS NULL OR (voicemail_after > 0 AND voicemail_after <= 600));
