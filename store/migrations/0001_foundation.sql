-- Foundation: users, passwords, sessions, pending sign-ups, one-time tokens,
-- the mail outbox and the events outbox. Times are Unix milliseconds.

CREATE TABLE auth_users (
    id               TEXT PRIMARY KEY,
    email            TEXT NOT NULL,
    email_key        TEXT NOT NULL UNIQUE,
    email_verified   INTEGER NOT NULL DEFAULT 0,
    name             TEXT NOT NULL DEFAULT '',
    banned           INTEGER NOT NULL DEFAULT 0,
    public_metadata  TEXT NOT NULL DEFAULT '{}',
    private_metadata TEXT NOT NULL DEFAULT '{}',
    unsafe_metadata  TEXT NOT NULL DEFAULT '{}',
    failed_attempts  INTEGER NOT NULL DEFAULT 0,
    locked_until     BIGINT NOT NULL DEFAULT 0,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);

CREATE TABLE auth_passwords (
    user_id    TEXT PRIMARY KEY REFERENCES auth_users(id) ON DELETE CASCADE,
    hash       TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE auth_sessions (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES auth_users(id) ON DELETE CASCADE,
    auth_method    TEXT NOT NULL,
    user_agent     TEXT NOT NULL DEFAULT '',
    ip             TEXT NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL,
    last_active_at BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    ended_at       BIGINT,
    end_reason     TEXT
);
CREATE INDEX auth_sessions_user ON auth_sessions (user_id, ended_at);

-- Browser session state (the scs store): one row per cookie token, keyed by
-- the token's SHA-256. session_id is the device session the cookie is
-- signed in as, if any.
CREATE TABLE auth_session_tokens (
    token_hash TEXT PRIMARY KEY,
    data       BLOB NOT NULL,
    expiry     BIGINT NOT NULL,
    session_id TEXT REFERENCES auth_sessions(id) ON DELETE CASCADE
);
CREATE INDEX auth_session_tokens_session ON auth_session_tokens (session_id);
CREATE INDEX auth_session_tokens_expiry ON auth_session_tokens (expiry);

-- A sign-up waits here until its email is verified; the user row is
-- created only then, so an unverified address never owns an account.
CREATE TABLE auth_signups (
    id              TEXT PRIMARY KEY,
    email           TEXT NOT NULL,
    email_key       TEXT NOT NULL,
    name            TEXT NOT NULL DEFAULT '',
    password_hash   TEXT NOT NULL,
    code_hash       TEXT NOT NULL,
    code_expires_at BIGINT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    sends           INTEGER NOT NULL DEFAULT 1,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL
);
CREATE INDEX auth_signups_email ON auth_signups (email_key);
CREATE INDEX auth_signups_expires ON auth_signups (expires_at);

CREATE TABLE auth_tokens (
    token_hash TEXT PRIMARY KEY,
    purpose    TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES auth_users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX auth_tokens_user ON auth_tokens (user_id, purpose, created_at);

CREATE TABLE auth_mail_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient       TEXT NOT NULL,
    template        TEXT NOT NULL,
    body            BLOB,
    status          TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT
);
CREATE INDEX auth_mail_outbox_due ON auth_mail_outbox (status, next_attempt_at);

CREATE TABLE auth_events (
    id           TEXT PRIMARY KEY,
    type         TEXT NOT NULL,
    data         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    delivered_at BIGINT
);
CREATE INDEX auth_events_pending ON auth_events (delivered_at, created_at);
