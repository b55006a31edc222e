-- User administration: who administers the app (granted from the command
-- line or by another administrator), the admin audit log, and the indexes
-- the users table pages and searches on. Times are Unix milliseconds.
ALTER TABLE auth_users ADD COLUMN is_admin INTEGER NOT NULL DEFAULT 0;
CREATE INDEX auth_users_admin ON auth_users (is_admin) WHERE is_admin = 1;

-- The users table pages by creation time (newest first by default) with
-- the id as tie-breaker; email order pages on the unique email_key.
CREATE INDEX auth_users_created ON auth_users (created_at, id);
-- Name search is a prefix match on the lower-cased name.
CREATE INDEX auth_users_name ON auth_users (lower(name), id);
-- Identifier search (any email or phone of a user) is a prefix match on
-- value_key: the UNIQUE (kind, value_key) index serves it per kind.

-- Every administrator action: who did it, to whom, what, from where.
-- actor_id is '' for the command line tool. Rows outlive the users they
-- name: the emails are copied in.
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

-- Filters of the users table that few users match read these indexes.
CREATE INDEX auth_users_banned ON auth_users (banned) WHERE banned = 1;
CREATE INDEX auth_users_locked ON auth_users (locked_until);
