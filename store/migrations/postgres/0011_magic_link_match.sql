-- The code a browser that asked for a cross-device magic link shows, and
-- the device that opens the link must enter. Empty for same-device links.
ALTER TABLE auth_challenges ADD COLUMN match_code TEXT NOT NULL DEFAULT '';
