-- Trunks (issue 14): a trunk can be disabled (`pbx trunk set <name> --enabled off`) without
-- removing it: a disabled trunk is unregistered from its provider, carries no calls either way
-- and keeps its settings, DIDs and routes for when it is enabled again.
-- The trunks triggers already bump the `trunks` change counter, so the running PBX sees it.

ALTER TABLE trunks ADD COLUMN enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1));
