-- Security (issue 17): account lockout after repeated failed logins, API token scopes and
-- expiry. Existing tokens keep full access and no expiry so machine clients do not break on
-- upgrade; new tokens always get an expiry.
ALTER TABLE users ADD COLUMN locked_until TIMESTAMP;
-- Failures before lock_reset_at (a governance unlock) no longer count.
ALTER TABLE users ADD COLUMN lock_reset_at TIMESTAMP;
ALTER TABLE api_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT 'read write';
ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMP;
CREATE INDEX login_attempts_remote ON login_attempts(remote, at);
