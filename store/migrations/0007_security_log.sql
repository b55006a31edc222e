-- Account protection: a per-user log of sign-ins, failures, factor changes
-- and session revocations, pruned by age; the devices (hashes of a
-- long-lived device cookie) each user has signed in from; and the pending
-- email codes that let an unknown device in when device verification is
-- on. Times are Unix milliseconds.
CREATE TABLE auth_security_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    TEXT NOT NULL REFERENCES auth_users(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    method     TEXT NOT NULL DEFAULT '',
    ip         TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX auth_security_log_user ON auth_security_log (user_id, created_at);
CREATE INDEX auth_security_log_age ON auth_security_log (created_at);

CREATE TABLE auth_known_devices (
    user_id       TEXT NOT NULL REFERENCES auth_users(id) ON DELETE CASCADE,
    device_hash   TEXT NOT NULL,
    user_agent    TEXT NOT NULL DEFAULT '',
    ip            TEXT NOT NULL DEFAULT '',
    first_seen_at BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    PRIMARY KEY (user_id, device_hash)
);
CREATE INDEX auth_known_devices_age ON auth_known_devices (last_seen_at);

CREATE TABLE auth_device_challenges (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES auth_users(id) ON DELETE CASCADE,
    device_hash  TEXT NOT NULL,
    method       TEXT NOT NULL,
    code_hash    TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT
);
CREATE INDEX auth_device_challenges_age ON auth_device_challenges (expires_at);
