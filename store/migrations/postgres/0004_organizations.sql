-- Organizations: teams of users with roles, invitations by email, run-time
-- roles and permissions, claimed email domains, and the active
-- organization of each device session. Times are Unix milliseconds.

CREATE TABLE auth_organizations (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    slug       TEXT NOT NULL UNIQUE,
    logo_url   TEXT NOT NULL DEFAULT '',
    created_by TEXT REFERENCES auth_users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX auth_organizations_creator ON auth_organizations (created_by);

CREATE TABLE auth_org_memberships (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES auth_organizations(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES auth_users(id) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (org_id, user_id)
);
CREATE INDEX auth_org_memberships_user ON auth_org_memberships (user_id);

-- Roles and permissions an organization's admins define at run time.
-- permissions is the role's permission keys, separated by spaces.
CREATE TABLE auth_org_roles (
    org_id      TEXT NOT NULL REFERENCES auth_organizations(id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    permissions TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (org_id, key)
);

CREATE TABLE auth_org_permissions (
    org_id      TEXT NOT NULL REFERENCES auth_organizations(id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (org_id, key)
);

-- An invitation is bound to one address (email_key, compared like user
-- emails) and its token is stored only as a SHA-256 hash.
CREATE TABLE auth_org_invitations (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES auth_organizations(id) ON DELETE CASCADE,
    email       TEXT NOT NULL,
    email_key   TEXT NOT NULL,
    role        TEXT NOT NULL,
    inviter_id  TEXT REFERENCES auth_users(id) ON DELETE SET NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    status      TEXT NOT NULL DEFAULT 'pending',
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    accepted_at BIGINT,
    accepted_by TEXT REFERENCES auth_users(id) ON DELETE SET NULL,
    revoked_at  BIGINT
);
CREATE INDEX auth_org_invitations_org ON auth_org_invitations (org_id, status);
CREATE INDEX auth_org_invitations_email ON auth_org_invitations (email_key, status);

-- A domain may be claimed by several organizations until one proves it;
-- a verified domain belongs to exactly one.
CREATE TABLE auth_org_domains (
    id                TEXT PRIMARY KEY,
    org_id            TEXT NOT NULL REFERENCES auth_organizations(id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    enrollment_mode   TEXT NOT NULL,
    verified_at       BIGINT,
    affiliation_email TEXT NOT NULL DEFAULT '',
    code_hash         TEXT NOT NULL DEFAULT '',
    code_expires_at   BIGINT NOT NULL DEFAULT 0,
    code_attempts     INTEGER NOT NULL DEFAULT 0,
    code_sends        INTEGER NOT NULL DEFAULT 0,
    created_at        BIGINT NOT NULL,
    UNIQUE (org_id, name)
);
CREATE UNIQUE INDEX auth_org_domains_verified ON auth_org_domains (name) WHERE verified_at IS NOT NULL;

CREATE TABLE auth_org_membership_requests (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES auth_organizations(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES auth_users(id) ON DELETE CASCADE,
    status     TEXT NOT NULL DEFAULT 'pending',
    created_at BIGINT NOT NULL,
    decided_at BIGINT
);
CREATE INDEX auth_org_membership_requests_org ON auth_org_membership_requests (org_id, status);
CREATE UNIQUE INDEX auth_org_membership_requests_pending ON auth_org_membership_requests (org_id, user_id) WHERE status = 'pending';

-- The active organization of a device session, read with the session on
-- every request. Losing the membership or the organization leaves it
-- pointing nowhere (the read joins the membership) or NULL.
ALTER TABLE auth_sessions ADD COLUMN active_org_id TEXT REFERENCES auth_organizations(id) ON DELETE SET NULL;
CREATE INDEX auth_sessions_active_org ON auth_sessions (active_org_id);
