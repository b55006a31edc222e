-- Password lockout: when the failures counted in failed_attempts started
-- (they expire after a window), and how many locks came in a row (each
-- one is longer than the last). A right password clears both.
ALTER TABLE auth_users ADD COLUMN failure_window_start BIGINT NOT NULL DEFAULT 0;
ALTER TABLE auth_users ADD COLUMN lockouts INTEGER NOT NULL DEFAULT 0;
