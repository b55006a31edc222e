-- Multi-factor authentication: a user's TOTP secret (sealed with the
-- encryption key, never stored in clear), the last accepted time step, a
-- pending secret during enrolment, the count of failed second-factor
-- attempts, and single-use backup codes stored as keyed hashes. Times are
-- Unix milliseconds.
CREATE TABLE auth_mfa (
    user_id         TEXT PRIMARY KEY REFERENCES auth_users(id) ON DELETE CASCADE,
    totp_secret     BYTEA,
    totp_last_step  BIGINT NOT NULL DEFAULT 0,
    totp_enabled_at BIGINT,
    pending_secret  BYTEA,
    pending_at      BIGINT,
    failures        INTEGER NOT NULL DEFAULT 0,
    locked_until    BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE auth_backup_codes (
    user_id    TEXT NOT NULL REFERENCES auth_users(id) ON DELETE CASCADE,
    code_hash  BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

-- When a device session last proved its factors again (reverification);
-- a session's creation counts as the first proof.
CREATE TABLE auth_reverifications (
    session_id  TEXT PRIMARY KEY REFERENCES auth_sessions(id) ON DELETE CASCADE,
    verified_at BIGINT NOT NULL
);
