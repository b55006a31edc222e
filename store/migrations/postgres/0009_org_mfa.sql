-- Organizations may require two-step verification of their members: a
-- member without it cannot make the organization active.
ALTER TABLE auth_organizations ADD COLUMN require_mfa INTEGER NOT NULL DEFAULT 0;
