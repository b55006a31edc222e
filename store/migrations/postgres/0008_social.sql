-- Social sign-in: a user's identities at OAuth 2.0 and OpenID Connect
-- providers. (provider, subject) is the provider's own stable id for the
-- person; the email is what the provider last said, with whether it
-- vouched for it. Provider tokens are kept only when the app asks, sealed
-- with the encryption key. Times are Unix milliseconds.
CREATE TABLE auth_external_accounts (
    id               TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES auth_users(id) ON DELETE CASCADE,
    provider         TEXT NOT NULL,
    subject          TEXT NOT NULL,
    email            TEXT NOT NULL DEFAULT '',
    email_verified   INTEGER NOT NULL DEFAULT 0,
    name             TEXT NOT NULL DEFAULT '',
    avatar_url       TEXT NOT NULL DEFAULT '',
    access_token     BYTEA,
    refresh_token    BYTEA,
    token_expires_at BIGINT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    UNIQUE (provider, subject)
);
CREATE INDEX auth_external_accounts_user ON auth_external_accounts (user_id);
