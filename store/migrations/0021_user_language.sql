-- The language a user chose for pages and mail: a BCP 47 tag, '' for none
-- (pages follow the browser's Accept-Language).
ALTER TABLE auth_users ADD COLUMN language TEXT NOT NULL DEFAULT '';
