-- Sign-up restrictions edited by administrators at run time. One row
-- (id = 1) when an administrator saved settings; none means Config rules.
-- The lists are newline-separated addresses and domains.
CREATE TABLE auth_signup_settings (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    mode       TEXT NOT NULL,
    allowlist  TEXT NOT NULL DEFAULT '',
    blocklist  TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL
);

-- People waiting to be let in while sign-up is in waitlist mode. One row
-- per address; approving one invites the address.
CREATE TABLE auth_waitlist (
    id         TEXT PRIMARY KEY,
    email      TEXT NOT NULL,
    email_key  TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL DEFAULT '',
    status     TEXT NOT NULL DEFAULT 'pending',
    created_at BIGINT NOT NULL,
    decided_at BIGINT
);
CREATE INDEX auth_waitlist_status ON auth_waitlist (status, created_at);

-- Addresses invited to sign up to the app (by an administrator, or by
-- approving their waitlist entry): they may sign up while sign-up is
-- restricted or in waitlist mode.
CREATE TABLE auth_signup_invitations (
    email_key  TEXT PRIMARY KEY,
    email      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
