-- Profile pictures: the re-encoded image, kept in the database with its
-- type. auth_users.image_version is when it was last set (ms, 0 without
-- one), so a user loaded for a session knows its picture's URL without a
-- second query.
ALTER TABLE auth_users ADD COLUMN image_version BIGINT NOT NULL DEFAULT 0;
CREATE TABLE auth_user_images (
    user_id      TEXT PRIMARY KEY REFERENCES auth_users(id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    data         BYTEA NOT NULL,
    updated_at   BIGINT NOT NULL
);
