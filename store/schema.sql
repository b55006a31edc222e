-- The schema of a new database: what the migrations listed below build,
-- as one script. Written by `go test ./store -run TestSchemaIsTheMigrations -update`;
-- do not edit. Migrations added after these still apply one by one.
-- migration: 0001_foundation.sql
-- migration: 0002_passkeys.sql
-- migration: 0003_tokens_webhooks.sql
-- migration: 0004_organizations.sql
-- migration: 0005_passwordless.sql
-- migration: 0006_mfa.sql
-- migration: 0007_security_log.sql
-- migration: 0008_social.sql
-- migration: 0009_org_mfa.sql
-- migration: 0010_sms_factor.sql
-- migration: 0011_magic_link_match.sql
-- migration: 0012_lockout_window.sql
-- migration: 0013_user_images.sql
-- migration: 0014_admin.sql
-- migration: 0015_signup_restrictions.sql
-- migration: 0016_impersonation.sql
-- migration: 0017_user_search.sql
-- migration: 0021_user_language.sql

CREATE TABLE auth_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL);

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
, failure_window_start BIGINT NOT NULL DEFAULT 0, lockouts INTEGER NOT NULL DEFAULT 0, image_version BIGINT NOT NULL DEFAULT 0, is_admin INTEGER NOT NULL DEFAULT 0, language TEXT NOT NULL DEFAULT '');

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
, active_org_id TEXT REFERENCES auth_organizations(id) ON DELETE SET NULL, actor_id TEXT NOT NULL DEFAULT '', actor_session_id TEXT NOT NULL DEFAULT '');

CREATE INDEX auth_sessions_user ON auth_sessions (user_id, ended_at);

CREATE TABLE auth_session_tokens (
    token_hash TEXT PRIMARY KEY,
    data       BLOB NOT NULL,
    expiry     BIGINT NOT NULL,
    session_id TEXT REFERENCES auth_sessions(id) ON DELETE CASCADE
);

CREATE INDEX auth_session_tokens_session ON auth_session_tokens (session_id);

CREATE INDEX auth_session_tokens_expiry ON auth_session_tokens (expiry);

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

CREATE TABLE auth_passkey_users (
    user_id    TEXT PRIMARY KEY REFERENCES auth_users(id) ON DELETE CASCADE,
    handle     BLOB NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE auth_passkeys (
    id                 TEXT PRIMARY KEY,
    user_id            TEXT NOT NULL REFERENCES auth_users(id) ON DELETE CASCADE,
    credential_id      BLOB NOT NULL UNIQUE CHECK (length(credential_id) BETWEEN 1 AND 1023),
    public_key         BLOB NOT NULL,
    aaguid             BLOB NOT NULL,
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

CREATE TABLE auth_passkey_challenges (
    challenge   TEXT PRIMARY KEY,
    flow        TEXT NOT NULL,
    subject     TEXT NOT NULL DEFAULT '',
    binding     TEXT NOT NULL,
    user_handle BLOB,
    session     BLOB NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);

CREATE INDEX auth_passkey_challenges_expires ON auth_passkey_challenges (expires_at);

CREATE TABLE auth_passkey_signups (
    signup_id   TEXT PRIMARY KEY REFERENCES auth_signups(id) ON DELETE CASCADE,
    user_handle BLOB NOT NULL,
    verified_at BIGINT
);

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

CREATE TABLE auth_organizations (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    slug       TEXT NOT NULL UNIQUE,
    logo_url   TEXT NOT NULL DEFAULT '',
    created_by TEXT REFERENCES auth_users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
, require_mfa INTEGER NOT NULL DEFAULT 0);

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

CREATE INDEX auth_sessions_active_org ON auth_sessions (active_org_id);

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
, match_code TEXT NOT NULL DEFAULT '');

CREATE UNIQUE INDEX auth_challenges_secret ON auth_challenges (secret_hash);

CREATE INDEX auth_challenges_expires ON auth_challenges (flow_expires_at);

CREATE TABLE auth_challenge_failures (
    channel      TEXT NOT NULL,
    address_key  TEXT NOT NULL,
    failures     INTEGER NOT NULL DEFAULT 0,
    locked_until BIGINT NOT NULL DEFAULT 0,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (channel, address_key)
);

CREATE TABLE auth_send_counts (
    key          TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    count        INTEGER NOT NULL,
    PRIMARY KEY (key, window_start)
);

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

CREATE TABLE auth_mfa (
    user_id         TEXT PRIMARY KEY REFERENCES auth_users(id) ON DELETE CASCADE,
    totp_secret     BLOB,
    totp_last_step  BIGINT NOT NULL DEFAULT 0,
    totp_enabled_at BIGINT,
    pending_secret  BLOB,
    pending_at      BIGINT,
    failures        INTEGER NOT NULL DEFAULT 0,
    locked_until    BIGINT NOT NULL DEFAULT 0
, sms_enabled_at BIGINT);

CREATE TABLE auth_backup_codes (
    user_id    TEXT NOT NULL REFERENCES auth_users(id) ON DELETE CASCADE,
    code_hash  BLOB NOT NULL,
    created_at BIGINT NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE auth_reverifications (
    session_id  TEXT PRIMARY KEY REFERENCES auth_sessions(id) ON DELETE CASCADE,
    verified_at BIGINT NOT NULL
);

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

CREATE TABLE auth_external_accounts (
    id               TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES auth_users(id) ON DELETE CASCADE,
    provider         TEXT NOT NULL,
    subject          TEXT NOT NULL,
    email            TEXT NOT NULL DEFAULT '',
    email_verified   INTEGER NOT NULL DEFAULT 0,
    name             TEXT NOT NULL DEFAULT '',
    avatar_url       TEXT NOT NULL DEFAULT '',
    access_token     BLOB,
    refresh_token    BLOB,
    token_expires_at BIGINT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    UNIQUE (provider, subject)
);

CREATE INDEX auth_external_accounts_user ON auth_external_accounts (user_id);

CREATE TABLE auth_user_images (
    user_id      TEXT PRIMARY KEY REFERENCES auth_users(id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    data         BLOB NOT NULL,
    updated_at   BIGINT NOT NULL
);

CREATE INDEX auth_users_admin ON auth_users (is_admin) WHERE is_admin = 1;

CREATE INDEX auth_users_created ON auth_users (created_at, id);

CREATE INDEX auth_users_name ON auth_users (lower(name), id);

CREATE TABLE auth_admin_audit (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_id     TEXT NOT NULL,
    actor_email  TEXT NOT NULL DEFAULT '',
    action       TEXT NOT NULL,
    target_id    TEXT NOT NULL DEFAULT '',
    target_email TEXT NOT NULL DEFAULT '',
    detail       TEXT NOT NULL DEFAULT '',
    ip           TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL
);

CREATE INDEX auth_admin_audit_target ON auth_admin_audit (target_id, id);

CREATE INDEX auth_users_banned ON auth_users (banned) WHERE banned = 1;

CREATE INDEX auth_users_locked ON auth_users (locked_until);

CREATE TABLE auth_signup_settings (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    mode       TEXT NOT NULL,
    allowlist  TEXT NOT NULL DEFAULT '',
    blocklist  TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL
);

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

CREATE TABLE auth_signup_invitations (
    email_key  TEXT PRIMARY KEY,
    email      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE auth_user_search (
    term       TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES auth_users(id) ON DELETE CASCADE,
    source     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    email_key  TEXT NOT NULL,
    PRIMARY KEY (term, user_id, source)
) WITHOUT ROWID;

CREATE INDEX auth_user_search_user ON auth_user_search (user_id);

CREATE TRIGGER auth_user_search_user_insert AFTER INSERT ON auth_users
BEGIN
    INSERT INTO auth_user_search (term, user_id, source, created_at, email_key)
    VALUES ('i' || NEW.id, NEW.id, 'id', NEW.created_at, NEW.email_key);
    INSERT INTO auth_user_search (term, user_id, source, created_at, email_key)
    SELECT 'n' || lower(NEW.name), NEW.id, 'name', NEW.created_at, NEW.email_key WHERE NEW.name <> '';
END;

CREATE TRIGGER auth_user_search_user_name AFTER UPDATE OF name ON auth_users
WHEN NEW.name <> OLD.name
BEGIN
    DELETE FROM auth_user_search WHERE term = 'n' || lower(OLD.name) AND user_id = OLD.id AND source = 'name';
    INSERT INTO auth_user_search (term, user_id, source, created_at, email_key)
    SELECT 'n' || lower(NEW.name), NEW.id, 'name', NEW.created_at, NEW.email_key WHERE NEW.name <> '';
END;

CREATE TRIGGER auth_user_search_user_keys AFTER UPDATE OF email_key, created_at ON auth_users
WHEN NEW.email_key <> OLD.email_key OR NEW.created_at <> OLD.created_at
BEGIN
    UPDATE auth_user_search SET email_key = NEW.email_key, created_at = NEW.created_at WHERE user_id = NEW.id;
END;

CREATE TRIGGER auth_user_search_identifier_insert AFTER INSERT ON auth_identifiers
WHEN NEW.kind IN ('email', 'phone')
BEGIN
    INSERT INTO auth_user_search (term, user_id, source, created_at, email_key)
    SELECT substr(NEW.kind, 1, 1) || NEW.value_key, NEW.user_id, NEW.id, u.created_at, u.email_key
    FROM auth_users u WHERE u.id = NEW.user_id;
END;

CREATE TRIGGER auth_user_search_identifier_delete AFTER DELETE ON auth_identifiers
WHEN OLD.kind IN ('email', 'phone')
BEGIN
    DELETE FROM auth_user_search
    WHERE term = substr(OLD.kind, 1, 1) || OLD.value_key AND user_id = OLD.user_id AND source = OLD.id;
END;

CREATE TRIGGER auth_user_search_identifier_update AFTER UPDATE OF kind, value_key ON auth_identifiers
BEGIN
    DELETE FROM auth_user_search
    WHERE term = substr(OLD.kind, 1, 1) || OLD.value_key AND user_id = OLD.user_id AND source = OLD.id;
    INSERT INTO auth_user_search (term, user_id, source, created_at, email_key)
    SELECT substr(NEW.kind, 1, 1) || NEW.value_key, NEW.user_id, NEW.id, u.created_at, u.email_key
    FROM auth_users u WHERE u.id = NEW.user_id AND NEW.kind IN ('email', 'phone');
END;

