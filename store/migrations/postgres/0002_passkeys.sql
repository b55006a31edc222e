-- Passkeys (WebAuthn): each user's random user handle, their credentials,
-- ceremonies in progress, and passkey-only sign-ups. Times are Unix
-- milliseconds.

-- The WebAuthn user handle: 32 random bytes per user, never the email or
-- the row id. A discoverable sign-in names the user by it.
CREATE TABLE auth_passkey_users (
    user_id    TEXT PRIMARY KEY REFERENCES auth_users(id) ON DELETE CASCADE,
    handle     BYTEA NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

-- Credential ids are unique across all users and at most 1023 bytes
-- (WebAuthn L3 §7.1 steps 25-26).
CREATE TABLE auth_passkeys (
    id                 TEXT PRIMARY KEY,
    user_id            TEXT NOT NULL REFERENCES auth_users(id) ON DELETE CASCADE,
    credential_id      BYTEA NOT NULL UNIQUE CHECK (length(credential_id) BETWEEN 1 AND 1023),
    public_key         BYTEA NOT NULL,
    aaguid             BYTEA NOT NULL,
    sign_count         BIGINT NOT NULL DEFAULT 0,
    transports         TEXT NOT NULL DEFAULT '',
    attestation_format TEXT NOT NULL DEFAULT '',
    backup_eligible    INTEGER NOT NULL,
    backup_state       INTEGER NOT NULL,
    name               TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    last_used_at       BIGINT
);
CREATE INDEX auth_passkeys_user ON auth_passkeys (user_id, created_at);

-- A challenge is used once (used_at) and expires; rows are pruned a while
-- after they expire.
CREATE TABLE auth_passkey_challenges (
    challenge   TEXT PRIMARY KEY,
    flow        TEXT NOT NULL,
    subject     TEXT NOT NULL DEFAULT '',
    binding     TEXT NOT NULL,
    user_handle BYTEA,
    session     BYTEA NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX auth_passkey_challenges_expires ON auth_passkey_challenges (expires_at);

-- A sign-up that will get a passkey instead of a password: the pending
-- sign-up (auth_signups, without a password hash) plus the user handle its
-- passkey is created for and when its email was verified.
CREATE TABLE auth_passkey_signups (
    signup_id   TEXT PRIMARY KEY REFERENCES auth_signups(id) ON DELETE CASCADE,
    user_handle BYTEA NOT NULL,
    verified_at BIGINT
);
