-- Tokens and webhooks: the JWT signing keys (private keys sealed with the
-- encryption key), stored JWT templates, webhook endpoints (secrets
-- sealed), the messages the events outbox fans out to them, and the log of
-- delivery attempts. Times are Unix milliseconds.

-- The key whose retired_at is NULL signs; retired keys keep only their
-- public part, published in the JWKS until expires_at.
CREATE TABLE auth_jwt_keys (
    id          TEXT PRIMARY KEY,
    algorithm   TEXT NOT NULL,
    public_jwk  TEXT NOT NULL,
    private_key BLOB,
    created_at  BIGINT NOT NULL,
    retired_at  BIGINT,
    expires_at  BIGINT
);

CREATE TABLE auth_jwt_templates (
    name       TEXT PRIMARY KEY,
    definition TEXT NOT NULL,
    secret     BLOB,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- previous_secret still signs, beside secret, until previous_expires_at.
CREATE TABLE auth_webhook_endpoints (
    id                  TEXT PRIMARY KEY,
    url                 TEXT NOT NULL,
    description         TEXT NOT NULL DEFAULT '',
    event_types         TEXT NOT NULL DEFAULT '[]',
    enabled             INTEGER NOT NULL DEFAULT 1,
    disabled_reason     TEXT NOT NULL DEFAULT '',
    secret              BLOB NOT NULL,
    previous_secret     BLOB,
    previous_expires_at BIGINT,
    failing_since       BIGINT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);

-- One message per (endpoint, event). Messages to an endpoint are sent in
-- id order: only the oldest pending one is attempted.
CREATE TABLE auth_webhook_messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id     TEXT NOT NULL REFERENCES auth_webhook_endpoints(id) ON DELETE CASCADE,
    event_id        TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_status     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    delivered_at    BIGINT,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX auth_webhook_messages_queue ON auth_webhook_messages (endpoint_id, status, id);
CREATE INDEX auth_webhook_messages_created ON auth_webhook_messages (created_at);

CREATE TABLE auth_webhook_attempts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id   INTEGER NOT NULL REFERENCES auth_webhook_messages(id) ON DELETE CASCADE,
    number       INTEGER NOT NULL,
    attempted_at BIGINT NOT NULL,
    duration_ms  INTEGER NOT NULL,
    status_code  INTEGER NOT NULL,
    response     TEXT NOT NULL DEFAULT '',
    error        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX auth_webhook_attempts_message ON auth_webhook_attempts (message_id);
