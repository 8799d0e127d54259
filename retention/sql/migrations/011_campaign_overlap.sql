-- Campaigns whose measurement is still running keep their members: a launch leaves them out unless told not to.
-- overlap_allowed: the launch was told to include members of campaigns still being measured (audience.allow_overlap)
-- excluded_open: customers of the audience left out because they were members of such a campaign (0 when allowed)
-- open_overlap: members who were, at launch, members of such a campaign too (0 unless allowed)
-- All three are NULL for campaigns launched before this version and for drafts.
ALTER TABLE campaigns ADD COLUMN overlap_allowed BOOLEAN;
ALTER TABLE campaigns ADD COLUMN excluded_open INTEGER;
ALTER TABLE campaigns ADD COLUMN open_overlap INTEGER;
