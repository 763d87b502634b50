-- Per-station option: challenge this station's INVITEs with 407 Proxy Authentication Required
-- (digest, the station's own credentials) on top of the source check OfficeServ makes. Off by
-- default, as on the OfficeServ, which checks the source address only.

ALTER TABLE stations ADD COLUMN challenge_invites INTEGER NOT NULL DEFAULT 0
  CHECK (challenge_invites IN (0, 1));
