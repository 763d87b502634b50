-- The feature-code number plan changed with `pbx numplan set|clear`. Only changes from the
-- defaults are stored: a feature without a row uses the code table's default
-- (packages/dialplan FEATURE_CODES); a row with a NULL code means the administrator unassigned it.
-- Clashes with stations, ring groups and other codes are checked by the writer (dialplan's
-- checkCodeChange); the UNIQUE constraint only stops two stored rows sharing a code.

CREATE TABLE number_plan (
  -- A dialplan FeatureId ('forward.all', 'dnd', ...). Not constrained here, so a later program
  -- can add features without rebuilding the table; readers ignore ids they do not know.
  feature TEXT PRIMARY KEY NOT NULL CHECK (length(feature) BETWEEN 1 AND 64),
  code TEXT UNIQUE
    CHECK (code IS NULL OR (length(code) BETWEEN 1 AND 8 AND code NOT GLOB '*[^0-9*#]*')),
  updated_at INTEGER NOT NULL
);

INSERT INTO change_counter (area) VALUES ('numplan');

CREATE TRIGGER number_plan_ai AFTER INSERT ON number_plan
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'numplan'; END;
CREATE TRIGGER number_plan_au AFTER UPDATE ON number_plan
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'numplan'; END;
CREATE TRIGGER number_plan_ad AFTER DELETE ON number_plan
BEGIN UPDATE change_counter SET counter = counter + 1 WHERE area = 'numplan'; END;
