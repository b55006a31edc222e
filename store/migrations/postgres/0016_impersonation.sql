-- Impersonation: a session an administrator opened as another user. The
-- actor is the administrator's user id; actor_session_id the session they
-- return to when the impersonation ends.
ALTER TABLE auth_sessions ADD COLUMN actor_id TEXT NOT NULL DEFAULT '';
ALTER TABLE auth_sessions ADD COLUMN actor_session_id TEXT NOT NULL DEFAULT '';
