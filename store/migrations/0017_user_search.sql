-- The users table's search: one row per searchable value of a user (each
-- email and phone number by its comparison key, the lower-cased name, the
-- id), each prefixed by its kind ('e', 'p', 'n', 'i') so that one range of
-- terms is one kind's prefix match. Each row carries the user's sort keys
-- (created_at, email_key): a search's matches are read from this table
-- alone and ordered without looking each user up. Triggers keep it in
-- step with auth_users and auth_identifiers.
CREATE TABLE auth_user_search (
    term       TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES auth_users(id) ON DELETE CASCADE,
    source     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    email_key  TEXT NOT NULL,
    PRIMARY KEY (term, user_id, source)
) WITHOUT ROWID;
CREATE INDEX auth_user_search_user ON auth_user_search (user_id);

INSERT INTO auth_user_search (term, user_id, source, created_at, email_key)
SELECT 'i' || id, id, 'id', created_at, email_key FROM auth_users;
INSERT INTO auth_user_search (term, user_id, source, created_at, email_key)
SELECT 'n' || lower(name), id, 'name', created_at, email_key FROM auth_users WHERE name <> '';
INSERT INTO auth_user_search (term, user_id, source, created_at, email_key)
SELECT substr(i.kind, 1, 1) || i.value_key, i.user_id, i.id, u.created_at, u.email_key
FROM auth_identifiers i JOIN auth_users u ON u.id = i.user_id
WHERE i.kind IN ('email', 'phone');

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
