-- Presence (issue 9): a status text the administrator sets for a station (`pbx ext set <tel>
-- --status "..."`), shown to presence watchers as the PIDF note. Empty = none. A note the client
-- PUBLISHes itself wins while its publication lives (apps/pbx/src/presence/README.md).
-- The stations triggers already bump the `stations` change counter, so the running PBX sees it.

ALTER TABLE stations ADD COLUMN status_text TEXT NOT NULL DEFAULT '';
