-- Passwordless: one-time codes and magic links, send caps, per-address
-- failure counts, a user's email addresses and phone numbers, and the SMS
-- outbox. Times are Unix milliseconds.

-- Every address a user signs in with. A user's primary email is also
-- auth_users.email; the triggers below keep this table in step with
-- auth_users for the code paths that write only there. (The triggers are
-- SQLite's syntax; a PostgreSQL store would write the rows in the same
-- transactions instead.)
CREATE TABLE auth_identifiers (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES auth_users(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    value       TEXT NOT NULL,
    value_key   TEXT NOT NULL,
    is_primary  INTEGER NOT NULL DEFAULT 0,
    verified_at BIGINT,
    created_at  BIGINT NOT NULL,
    UNIQUE (kind, value_key)
);
CREATE INDEX auth_identifiers_user ON auth_identifiers (user_id);

INSERT INTO auth_identifiers (id, user_id, kind, value, value_key, is_primary, verified_at, created_at)
SELECT 'idn_' || id, id, 'email', email, email_key, 1,
       CASE WHEN email_verified THEN updated_at END, created_at
FROM auth_users WHERE email <> '';

CREATE TRIGGER auth_identifiers_user_insert AFTER INSERT ON auth_users
WHEN NEW.email <> ''
BEGIN
    INSERT INTO auth_identifiers (id, user_id, kind, value, value_key, is_primary, verified_at, created_at)
    VALUES ('idn_' || NEW.id, NEW.id, 'email', NEW.email, NEW.email_key, 1,
            CASE WHEN NEW.email_verified THEN NEW.created_at END, NEW.created_at);
END;

CREATE TRIGGER auth_identifiers_user_verified AFTER UPDATE OF email_verified ON auth_users
WHEN NEW.email_verified <> OLD.email_verified
BEGIN
    UPDATE auth_identifiers
    SET verified_at = CASE WHEN NEW.email_verified THEN COALESCE(verified_at, NEW.updated_at) END
    WHERE user_id = NEW.id AND kind = 'email' AND value_key = NEW.email_key;
END;

-- One row per passwordless flow. secret_hash is the keyed hash of the
-- current code, or the SHA-256 of the current link token.
CREATE TABLE auth_challenges (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    purpose         TEXT NOT NULL,
    channel         TEXT NOT NULL,
    address         TEXT NOT NULL,
    address_key     TEXT NOT NULL,
    user_id         TEXT,
    secret_hash     TEXT NOT NULL,
    name            TEXT NOT NULL DEFAULT '',
    redirect_url    TEXT NOT NULL DEFAULT '',
    allow_sign_up   INTEGER NOT NULL DEFAULT 0,
    same_device     INTEGER NOT NULL DEFAULT 0,
    requester       TEXT NOT NULL DEFAULT '',
    attempts        INTEGER NOT NULL DEFAULT 0,
    sends           INTEGER NOT NULL DEFAULT 1,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    flow_expires_at BIGINT NOT NULL,
    consumed_at     BIGINT,
    session_id      TEXT,
    waiter_claimed  INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX auth_challenges_secret ON auth_challenges (secret_hash);
CREATE INDEX auth_challenges_expires ON auth_challenges (flow_expires_at);

-- Consecutive wrong codes per address (per channel), whoever owns it, so
-- an address without an account locks like one with an account. A new
-- code does not reset it; a correct one does.
CREATE TABLE auth_challenge_failures (
    channel      TEXT NOT NULL,
    address_key  TEXT NOT NULL,
    failures     INTEGER NOT NULL DEFAULT 0,
    locked_until BIGINT NOT NULL DEFAULT 0,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (channel, address_key)
);

-- Messages sent per key (an address, a client IP, all SMS) per window.
CREATE TABLE auth_send_counts (
    key          TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    count        INTEGER NOT NULL,
    PRIMARY KEY (key, window_start)
);

-- Text messages waiting to be sent, like auth_mail_outbox.
CREATE TABLE auth_sms_outbox (
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
CREATE INDEX auth_sms_outbox_due ON auth_sms_outbox (status, next_attempt_at);
