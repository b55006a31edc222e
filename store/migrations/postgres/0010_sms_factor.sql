-- Text message codes as a second factor: when the user turned them on.
ALTER TABLE auth_mfa ADD COLUMN sms_enabled_at BIGINT;
